# The SecRule reader (src/managed/seclang*.cc): syntax, vocabulary, located errors, and every
# rule and data file of Debian's modsecurity-crs package.
shipgate_add_gtest(managed_seclang_test SOURCES seclang_test.cc seclang_crs_test.cc
  LIBS shipgate_managed)
