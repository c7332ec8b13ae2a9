# confirm: the match confirmation of FP-prone CRS rules (src/managed/engine_confirm.cc): each
# check on prose and on attacks, and the CRS v3.3.4 regression payloads in process with the
# confirmation on and off (no payload the CRS catches may be lost).
shipgate_add_gtest(managed_confirm_test SOURCES confirm_test.cc
  LIBS shipgate_managed crs_ftw_lib shipgate_test_support)
target_include_directories(managed_confirm_test PRIVATE ${CMAKE_SOURCE_DIR}/src
  ${CMAKE_SOURCE_DIR}/tests/integration/managed)
