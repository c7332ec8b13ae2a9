# errmask: the upstream error-leak detector (waf.mask_upstream_errors).
shipgate_add_gtest(managed_error_leaks_test SOURCES error_leaks_test.cc
  LIBS shipgate_managed shipgate_test_support)
shipgate_add_gtest(managed_error_mask_test SOURCES error_mask_test.cc LIBS shipgate_server)
target_include_directories(managed_error_mask_test PRIVATE ${CMAKE_SOURCE_DIR}/src/server)
pkg_check_modules(ERRMASK_TEST_CODECS REQUIRED IMPORTED_TARGET zlib libbrotlienc)
target_link_libraries(managed_error_mask_test PRIVATE PkgConfig::ERRMASK_TEST_CODECS)
