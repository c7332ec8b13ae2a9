# The engine: small rule texts, and the full Debian CRS at paranoia levels 1 and 4.
shipgate_add_gtest(managed_engine_test SOURCES engine_test.cc engine_crs_test.cc engine_prefilter_test.cc
  LIBS shipgate_managed shipgate_test_support)
# The engine's private parts: the per-transaction variable table, the target selectors and the
# literal gates of multiMatch patterns.
shipgate_add_gtest(managed_engine_vars_test SOURCES engine_vars_test.cc engine_selector_test.cc
  LIBS shipgate_managed)
target_include_directories(managed_engine_vars_test PRIVATE ${CMAKE_SOURCE_DIR}/src)
