# detect: our own @detectSQLi / @detectXSS (src/managed/detect_sqli.cc, detect_xss.cc). The test
# reads the CRS regression payloads (yaml-cpp) and reaches the private tokenizer header.
shipgate_add_gtest(managed_detect_test SOURCES detect_test.cc LIBS shipgate_managed yaml-cpp shipgate_test_support)
target_include_directories(managed_detect_test PRIVATE ${CMAKE_SOURCE_DIR}/src)
