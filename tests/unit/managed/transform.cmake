# The `t:` transformations (src/managed/transform*.cc).
shipgate_add_gtest(managed_transform_test SOURCES transform_test.cc LIBS shipgate_managed)

# Differential test against libmodsecurity 3 (libmodsecurity-dev, scripts/install-deps.sh test).
# Without it the test is declared anyway and fails, naming the package.
pkg_check_modules(MODSECURITY IMPORTED_TARGET modsecurity)
if(MODSECURITY_FOUND)
  shipgate_add_gtest(managed_transform_modsec_diff_test SOURCES transform_modsec_diff_test.cc
    LIBS shipgate_managed PkgConfig::MODSECURITY)
else()
  add_test(NAME managed_transform_modsec_diff_test COMMAND sh -c
    "echo 'libmodsecurity-dev is not installed: run scripts/install-deps.sh test' >&2; exit 1")
  set_tests_properties(managed_transform_modsec_diff_test PROPERTIES LABELS unit)
endif()
