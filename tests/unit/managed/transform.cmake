# The `t:` transformations (src/managed/transform*.cc).
shipgate_add_gtest(managed_transform_test SOURCES transform_test.cc LIBS shipgate_managed)
