# The operators part: Regex, MultiRegex, PhraseSet and every CompiledOperator.
set(_ops_test_sources operators_test.cc)
# Until the detect part lands (its sources are placeholders), the test links stand-in detectors so
# the @detectSQLi/@detectXSS wiring can be tested; the real ones replace them on merge.
file(READ ${CMAKE_SOURCE_DIR}/src/managed/detect_sqli.cc _ops_detect_src)
if(_ops_detect_src MATCHES "^// placeholder")
  list(APPEND _ops_test_sources operators_detect_standin.cc)
endif()
shipgate_add_gtest(managed_operators_test SOURCES ${_ops_test_sources} LIBS shipgate_managed)
