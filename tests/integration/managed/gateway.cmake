# The managed rules in the running gateway (part gateway): the real binary, the Debian CRS.
shipgate_add_gtest(gateway_managed_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/gateway_managed_test.cc
  LIBS waf_gateway_util LABEL integration)
shipgate_binary_tests(TIMEOUT 600 TESTS gateway_managed_test)
