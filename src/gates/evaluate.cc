// Gate evaluation (contract in shipgate/gates/evaluate.h).
#include "shipgate/gates/evaluate.h"

#include <algorithm>
#include <cstdio>

#include "shipgate/common/strings.h"

namespace shipgate::gates {
namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s(buf);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string withCommas(uint64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string severities(const GateWording& w) {
  std::string s;
  for (size_t i = 0; i < w.severities.size(); ++i) {
    if (i) s += "/";
    s += severityName(w.severities[i]);
  }
  return s;
}

std::string thresholdText(const GateWording& w) {
  std::string op = comparisonSymbol(w.comparison);
  switch (w.kind) {
    case GateKind::kCoverage:
    case GateKind::kPassRate: return op + " " + fixed(w.threshold, 6) + "%";
    case GateKind::kVulnerabilities: return op + " " + fixed(w.threshold, 0) + " " + severities(w);
    case GateKind::kSize: return op + " " + formatBytes(w.threshold, w.unit_text);
    case GateKind::kAccessibility: return "0 violations of " + describe(w).substr(0, describe(w).size() - 11);
    case GateKind::kApproval: return describe(w);
  }
  return "";
}

GateVerdict start(const std::string& gate, const GateWording& w) {
  GateVerdict v;
  v.gate = gate;
  v.threshold_text = thresholdText(w);
  return v;
}

GateVerdict wrongReport(GateVerdict v, const GateWording& w, const char* report) {
  static const char* kNeeds[] = {"a coverage report (lcov, cobertura)", "a JUnit report",
                                 "a security report (npm-audit, sarif, trivy)", "file sizes",
                                 "an axe-core report", "an approval"};
  v.reason = std::string("a ") + report + " cannot measure this gate; it needs " +
             kNeeds[static_cast<int>(w.kind)];
  return v;
}

GateVerdict coverage(GateVerdict v, const GateWording& w, const CoverageSummary& c) {
  bool branches = w.coverage_metric == CoverageMetric::kBranches;
  double pct = branches ? c.branchPercent() : c.linePercent();
  const char* what = branches ? "branches" : "lines";
  if (pct < 0) {
    v.reason = std::string("the ") + c.format + " report has no " + what;
    return v;
  }
  v.measured = pct;
  int64_t found = branches ? c.branches_found : c.lines_found;
  int64_t hit = branches ? c.branches_hit : c.lines_hit;
  v.measured_text = fixed(pct, 2) + "% of " + what;
  if (found > 0) v.measured_text += " (" + std::to_string(hit) + "/" + std::to_string(found) + ")";
  v.pass = compare(pct, w.comparison, w.threshold);
  v.reason = std::string(what) + " covered " + fixed(pct, 2) + "%, needs " + v.threshold_text;
  return v;
}

GateVerdict passRate(GateVerdict v, const GateWording& w, const TestSummary& t) {
  double pct = t.passRatePercent();
  std::string counts = std::to_string(t.passed) + " passed, " + std::to_string(t.failures) +
                       " failed, " + std::to_string(t.errors) + " errors, " +
                       std::to_string(t.skipped) + " skipped";
  if (pct < 0) {
    v.measured_text = counts;
    v.reason = t.tests == 0 ? "the report has no tests" : "every test was skipped (" + counts + ")";
    return v;
  }
  v.measured = pct;
  v.measured_text = fixed(pct, 2) + "% (" + counts + ")";
  v.pass = compare(pct, w.comparison, w.threshold);
  v.reason = v.pass ? "pass rate " + fixed(pct, 2) + "%, needs " + v.threshold_text
                    : "pass rate " + fixed(pct, 2) + "%, needs " + v.threshold_text +
                          (t.failed.empty() ? "" : "; first failed: " + t.failed[0]);
  return v;
}

GateVerdict vulnerabilities(GateVerdict v, const GateWording& w, const VulnerabilitySummary& s) {
  int64_t n = 0;
  for (Severity sev : w.severities) n += s.count(sev);
  v.measured = static_cast<double>(n);
  v.measured_text = std::to_string(n) + " " + severities(w) + " (" + s.format + ")";
  v.pass = compare(static_cast<double>(n), w.comparison, w.threshold);
  v.reason = std::to_string(n) + " " + severities(w) + " vulnerabilities, allowed " + v.threshold_text;
  if (!v.pass) {
    for (const Finding& f : s.findings) {
      if (std::find(w.severities.begin(), w.severities.end(), f.severity) != w.severities.end()) {
        v.reason += "; e.g. " + f.id + (f.where.empty() ? "" : " in " + f.where) + " (" +
                    severityName(f.severity) + ")";
        break;
      }
    }
  }
  return v;
}

GateVerdict accessibility(GateVerdict v, const GateWording& w, const AccessibilitySummary& a) {
  std::vector<std::string> tags = wcagFailingTags(w.wcag_minor, w.wcag_level);
  int64_t n = 0, nodes = 0;
  std::string first;
  for (const AxeViolation& viol : a.violations) {
    bool fails = std::any_of(viol.tags.begin(), viol.tags.end(), [&](const std::string& t) {
      return std::find(tags.begin(), tags.end(), t) != tags.end();
    });
    if (!fails) continue;
    ++n;
    nodes += viol.nodes;
    if (first.empty()) first = viol.id + (viol.url.empty() ? "" : " on " + viol.url);
  }
  v.measured = static_cast<double>(n);
  v.measured_text = std::to_string(n) + " violations (" + std::to_string(nodes) + " elements) on " +
                    std::to_string(a.pages) + (a.pages == 1 ? " page" : " pages");
  v.pass = n == 0;
  v.reason = v.pass ? "no violations tagged " + tags.back() + " or below"
                    : std::to_string(n) + " violations; first: " + first;
  return v;
}

}  // namespace

std::string formatBytes(double bytes, std::string_view unit_text) {
  double scale = 1;
  if (unit_text == "KB" || unit_text == "kB") scale = 1e3;
  else if (unit_text == "MB") scale = 1e6;
  else if (unit_text == "GB") scale = 1e9;
  else if (unit_text == "KiB") scale = 1024;
  else if (unit_text == "MiB") scale = 1048576;
  else if (unit_text == "GiB") scale = 1073741824;
  else unit_text = "B";
  std::string s = fixed(bytes / scale, 2) + " " + std::string(unit_text);
  if (scale != 1) s += " (" + withCommas(static_cast<uint64_t>(bytes)) + " bytes)";
  return s;
}

GateVerdict evaluateReport(const std::string& gate, const GateWording& w, const ReportSummary& report) {
  GateVerdict v = start(gate, w);
  if (const auto* c = std::get_if<CoverageSummary>(&report)) {
    if (w.kind != GateKind::kCoverage) return wrongReport(v, w, "coverage report");
    return coverage(v, w, *c);
  }
  if (const auto* t = std::get_if<TestSummary>(&report)) {
    if (w.kind != GateKind::kPassRate) return wrongReport(v, w, "JUnit report");
    return passRate(v, w, *t);
  }
  if (const auto* s = std::get_if<VulnerabilitySummary>(&report)) {
    if (w.kind != GateKind::kVulnerabilities) return wrongReport(v, w, "security report");
    return vulnerabilities(v, w, *s);
  }
  const auto& a = std::get<AccessibilitySummary>(report);
  if (w.kind != GateKind::kAccessibility) return wrongReport(v, w, "axe-core report");
  return accessibility(v, w, a);
}

GateVerdict evaluateSize(const std::string& gate, const GateWording& w, std::string_view glob,
                         const std::vector<FileSize>& files, Compression compression) {
  GateVerdict v = start(gate, w);
  if (w.kind != GateKind::kSize) return wrongReport(v, w, "size measurement");
  if (files.empty()) {
    v.reason = "\"" + std::string(glob) + "\" matched no file";
    return v;
  }
  const FileSize* largest = &files[0];
  const FileSize* failing = nullptr;
  for (const FileSize& f : files) {
    if (f.size(compression) > largest->size(compression)) largest = &f;
    if (!failing && !compare(static_cast<double>(f.size(compression)), w.comparison, w.threshold))
      failing = &f;
  }
  const char* cn = compressionName(compression);
  v.measured = static_cast<double>(largest->size(compression));
  v.measured_text = formatBytes(v.measured, w.unit_text) + " " + cn + " (" + largest->path + ")";
  v.pass = failing == nullptr;
  v.reason = v.pass ? std::to_string(files.size()) + " files within " + v.threshold_text + " " + cn
                    : failing->path + " is " +
                          formatBytes(static_cast<double>(failing->size(compression)), w.unit_text) +
                          " " + cn + ", budget " + v.threshold_text;
  return v;
}

GateVerdict evaluateApproval(const std::string& gate, const GateWording& w,
                             std::string_view environment, std::string_view approved_by) {
  GateVerdict v = start(gate, w);
  if (w.kind != GateKind::kApproval) return wrongReport(v, w, "approval");
  if (!w.environment.empty() && !equalsIgnoreCase(w.environment, environment)) {
    v.pass = true;
    v.measured_text = "not required";
    v.reason = "not required for " + std::string(environment);
    return v;
  }
  v.pass = !approved_by.empty();
  v.measured = v.pass ? 1 : 0;
  v.measured_text = v.pass ? "approved by " + std::string(approved_by) : "not approved";
  v.reason = v.pass ? "approved by " + std::string(approved_by)
                    : "deploying to " + std::string(environment) + " needs an approval";
  return v;
}

}  // namespace shipgate::gates
