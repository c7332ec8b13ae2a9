# sqlmap (Debian package) against a deliberately injectable app, directly (finds the injection)
# and through shipgate with the managed CRS at PL1 (finds nothing, 4 runs with tamper scripts).
# A missing sqlmap fails the test. About 10-60 s.
add_test(NAME managed_sqlmap_test
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/sqlmap_test.py $<TARGET_FILE:shipgate> ${CMAKE_SOURCE_DIR})
# The script never skips; it carries the project's skip expression like every gtest binary (the
# support self-test checks that every non-fuzz test does), and runs alone (it binds ports).
set_tests_properties(managed_sqlmap_test PROPERTIES LABELS integration TIMEOUT 600 RUN_SERIAL TRUE
  SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\] [^\n]*\n$")
