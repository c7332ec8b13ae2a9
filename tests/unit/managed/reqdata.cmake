# The request's collections and body processors (src/managed/request_data*.cc).
shipgate_add_gtest(managed_reqdata_test SOURCES request_data_test.cc LIBS shipgate_managed)
