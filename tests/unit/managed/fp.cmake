# fp: the full CRS at PL1 on the benign corpus (tests/integration/managed/benign_corpus.cc), in
# process: per-rule false-positive counts and the share intercepted, with ceilings.
shipgate_add_gtest(managed_fp_test SOURCES fp_test.cc
  ${CMAKE_SOURCE_DIR}/tests/integration/managed/benign_corpus.cc LIBS shipgate_managed)
target_include_directories(managed_fp_test PRIVATE ${CMAKE_SOURCE_DIR}/tests/integration/managed)
