# The operators part: Regex, MultiRegex, PhraseSet and every CompiledOperator.
shipgate_add_gtest(managed_operators_test SOURCES operators_test.cc LIBS shipgate_managed shipgate_test_support)
