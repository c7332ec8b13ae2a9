// JUnit XML reader (contract in shipgate/gates/reports.h).
#include <pugixml.hpp>

#include <string>
#include <vector>

#include "report_util.h"
#include "shipgate/gates/reports.h"

namespace shipgate::gates {

using detail::bad;

double TestSummary::passRatePercent() const {
  int64_t ran = tests - skipped;
  if (ran <= 0) return -1;
  return 100.0 * static_cast<double>(passed) / static_cast<double>(ran);
}

namespace {

constexpr int kMaxDepth = 64;

struct Walk {
  TestSummary sum;
  int64_t testcases = 0;
  // Attribute totals of the leaf suites (suites without child suites), used without testcases.
  int64_t attr_tests = 0, attr_failures = 0, attr_errors = 0, attr_skipped = 0;
};

int64_t attrCount(const pugi::xml_node& n, const char* a) {
  int64_t v = 0;
  return detail::parseCount(n.attribute(a).value(), v) ? v : 0;
}

void testcase(const pugi::xml_node& tc, Walk& w) {
  ++w.testcases;
  ++w.sum.tests;
  std::string_view status = tc.attribute("status").value();
  bool failed = tc.child("failure"), errored = tc.child("error");
  bool skipped = tc.child("skipped") || status == "notrun" || status == "disabled";
  if (failed || errored) {
    if (failed) ++w.sum.failures; else ++w.sum.errors;
    if (w.sum.failed.size() < kMaxListed) {
      std::string cls = tc.attribute("classname").value(), nm = tc.attribute("name").value();
      w.sum.failed.push_back(cls.empty() ? nm : cls + "." + nm);
    }
  } else if (skipped) {
    ++w.sum.skipped;
  } else {
    ++w.sum.passed;
  }
}

Status suite(const pugi::xml_node& s, Walk& w, int depth, const std::string& name) {
  if (depth > kMaxDepth) return bad(name, "test suites nested deeper than 64 levels");
  bool has_child_suite = false;
  for (pugi::xml_node c : s.children()) {
    std::string_view n = c.name();
    if (n == "testsuite") {
      has_child_suite = true;
      SG_RETURN_IF_ERROR(suite(c, w, depth + 1, name));
    } else if (n == "testcase") {
      testcase(c, w);
    }
  }
  if (!has_child_suite && std::string_view(s.name()) == "testsuite") {
    w.attr_tests += attrCount(s, "tests");
    w.attr_failures += attrCount(s, "failures");
    w.attr_errors += attrCount(s, "errors");
    w.attr_skipped += attrCount(s, "skipped") + attrCount(s, "disabled");
  }
  return Status::success();
}

}  // namespace

Result<TestSummary> readJunit(std::string_view text, const std::string& name) {
  if (text.size() > kMaxReportBytes) return detail::tooLarge(name, text.size());
  pugi::xml_document doc;
  pugi::xml_parse_result r = doc.load_buffer(text.data(), text.size(), pugi::parse_default);
  if (!r) return detail::xmlError(name, text, r);
  pugi::xml_node root = doc.document_element();
  std::string_view rn = root.name();
  if (rn != "testsuites" && rn != "testsuite")
    return bad(name, "root element is <" + std::string(rn) + ">, not JUnit's <testsuites> or <testsuite>");
  Walk w;
  SG_RETURN_IF_ERROR(suite(root, w, 0, name));
  if (w.testcases == 0) {
    // Only totals: use the leaf suites' attributes.
    int64_t bad_total = w.attr_failures + w.attr_errors + w.attr_skipped;
    if (bad_total > w.attr_tests)
      return bad(name, "failures + errors + skipped (" + std::to_string(bad_total) +
                           ") is more than tests (" + std::to_string(w.attr_tests) + ")");
    w.sum.tests = w.attr_tests;
    w.sum.failures = w.attr_failures;
    w.sum.errors = w.attr_errors;
    w.sum.skipped = w.attr_skipped;
    w.sum.passed = w.attr_tests - bad_total;
  }
  return w.sum;
}

}  // namespace shipgate::gates
