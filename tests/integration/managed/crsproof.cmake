# crsproof: the CRS v3.3.4 regression runner (any HTTP server), the benign corpus, and the ctest
# that runs both through the real shipgate binary at paranoia levels 1 and 4 against the floors in
# crs_floors.txt. `crs_ftw` is also a command-line tool (see crs_modsec.sh for the ModSecurity peer).
add_library(crs_ftw_lib STATIC ${CMAKE_CURRENT_LIST_DIR}/crs_ftw.cc
  ${CMAKE_CURRENT_LIST_DIR}/benign_corpus.cc)
target_link_libraries(crs_ftw_lib PUBLIC shipgate_test_support PRIVATE yaml-cpp)
target_include_directories(crs_ftw_lib PUBLIC ${CMAKE_SOURCE_DIR}/tests ${CMAKE_CURRENT_LIST_DIR})
add_executable(crs_ftw ${CMAKE_CURRENT_LIST_DIR}/crs_ftw_main.cc)
target_link_libraries(crs_ftw PRIVATE crs_ftw_lib)
shipgate_add_gtest(crs_regression_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/crs_regression_test.cc
  LIBS crs_ftw_lib LABEL integration)
shipgate_binary_tests(TIMEOUT 900 TESTS crs_regression_test)
# The runner's own semantics (no server).
shipgate_add_gtest(crs_ftw_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/crs_ftw_test.cc LIBS crs_ftw_lib)
