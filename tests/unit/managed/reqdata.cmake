# The request's collections and body processors (src/managed/request_data*.cc).
shipgate_add_gtest(managed_reqdata_test SOURCES request_data_test.cc LIBS shipgate_managed)
# Differential test against libmodsecurity 3 (libmodsecurity-dev, in scripts/install-deps.sh):
# the same requests through both, the collections compared.
pkg_check_modules(MODSECURITY_REF REQUIRED IMPORTED_TARGET modsecurity)
shipgate_add_gtest(managed_reqdata_modsec_test SOURCES request_data_modsec_test.cc
  LIBS shipgate_managed PkgConfig::MODSECURITY_REF)
# The same against every request of the CRS v3.3.4 regression suite (../shared/crs).
shipgate_add_gtest(managed_reqdata_crs_corpus_test SOURCES request_data_crs_corpus_test.cc
  LIBS shipgate_managed PkgConfig::MODSECURITY_REF yaml-cpp shipgate_test_support)
