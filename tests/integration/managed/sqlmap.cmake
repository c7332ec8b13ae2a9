# sqlmap (Debian package) against a deliberately injectable app, directly (finds the injection)
# and through shipgate with the managed CRS at PL1 (finds nothing, 4 runs with tamper scripts).
# A missing sqlmap fails the test. About 2-5 minutes.
add_test(NAME managed_sqlmap_test
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/sqlmap_test.py $<TARGET_FILE:shipgate> ${CMAKE_SOURCE_DIR})
set_tests_properties(managed_sqlmap_test PROPERTIES LABELS integration TIMEOUT 600)
