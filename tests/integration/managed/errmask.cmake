# errmask: upstream 5xx answers with database or stack-trace text masked by the real gateway
# (waf.mask_upstream_errors), against a python3 upstream of ours (errmask/leaky_upstream.py).
shipgate_add_gtest(managed_errmask_test SOURCES errmask/errmask_test.cc
  LIBS shipgate_test_support LABEL integration)
shipgate_binary_tests(TIMEOUT 300 TESTS managed_errmask_test)
