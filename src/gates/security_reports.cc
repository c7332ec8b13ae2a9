// npm audit, SARIF and Trivy readers (contracts in shipgate/gates/reports.h).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "report_util.h"
#include "shipgate/common/strings.h"
#include "shipgate/gates/reports.h"

namespace shipgate::gates {

using detail::bad;
using nlohmann::json;

Severity severityFromScore(double score) {
  if (score >= 9.0) return Severity::kCritical;
  if (score >= 7.0) return Severity::kHigh;
  if (score >= 4.0) return Severity::kMedium;
  return Severity::kLow;
}

namespace {

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string str(const json* j) { return j && j->is_string() ? j->get<std::string>() : std::string(); }

bool severityWord(std::string_view word, Severity& out) {
  const std::string s = asciiLowerCopy(word);
  if (s == "low") out = Severity::kLow;
  else if (s == "moderate" || s == "medium") out = Severity::kMedium;
  else if (s == "high") out = Severity::kHigh;
  else if (s == "critical") out = Severity::kCritical;
  else if (s == "unknown") out = Severity::kUnknown;
  else return false;
  return true;
}

void addFinding(VulnerabilitySummary& sum, Finding f) {
  sum.counts[static_cast<int>(f.severity)]++;
  sum.findings.push_back(std::move(f));
}

// Most severe first, then kept to kMaxListed.
void finish(VulnerabilitySummary& sum) {
  std::stable_sort(sum.findings.begin(), sum.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  if (sum.findings.size() > kMaxListed) sum.findings.resize(kMaxListed);
}

// A security-severity property: a number or a numeric string; false when absent or unreadable.
bool securitySeverity(const json* props, double& score) {
  const json* s = props ? member(*props, "security-severity") : nullptr;
  if (!s) return false;
  if (s->is_number()) {
    score = s->get<double>();
    return true;
  }
  if (s->is_string()) {
    std::string v = s->get<std::string>();
    char* end = nullptr;
    score = std::strtod(v.c_str(), &end);
    return !v.empty() && end == v.c_str() + v.size();
  }
  return false;
}

}  // namespace

Result<VulnerabilitySummary> readNpmAudit(std::string_view text, const std::string& name) {
  auto parsed = detail::parseJson(text, name);
  if (!parsed) return parsed.status();
  const json& j = *parsed;
  if (!j.is_object()) return bad(name, "not an npm audit report (expected a JSON object)");
  if (const json* err = member(j, "error")) {
    std::string summary = str(member(*err, "summary"));
    std::string code = str(member(*err, "code"));
    return bad(name, "npm audit failed" + (code.empty() ? "" : " (" + code + ")") +
                         (summary.empty() ? "" : ": " + summary));
  }
  const json* counts = member(j, "metadata") ? member(*member(j, "metadata"), "vulnerabilities") : nullptr;
  if (!counts || !counts->is_object())
    return bad(name, "no metadata.vulnerabilities: not the output of `npm audit --json` (npm 7 or later)");
  if (member(j, "advisories") && !member(j, "auditReportVersion"))
    return bad(name, "npm 6 audit format (\"advisories\"); run npm audit with npm 7 or later");
  VulnerabilitySummary sum;
  sum.format = "npm-audit";
  auto get = [&](const char* key, int64_t& out) -> Status {
    const json* v = member(*counts, key);
    if (!v) return Status::success();
    if (!v->is_number_integer() || v->get<int64_t>() < 0)
      return bad(name, std::string("metadata.vulnerabilities.") + key + " is not a count");
    out = v->get<int64_t>();
    return Status::success();
  };
  SG_RETURN_IF_ERROR(get("info", sum.info));
  SG_RETURN_IF_ERROR(get("low", sum.counts[static_cast<int>(Severity::kLow)]));
  SG_RETURN_IF_ERROR(get("moderate", sum.counts[static_cast<int>(Severity::kMedium)]));
  SG_RETURN_IF_ERROR(get("high", sum.counts[static_cast<int>(Severity::kHigh)]));
  SG_RETURN_IF_ERROR(get("critical", sum.counts[static_cast<int>(Severity::kCritical)]));
  if (const json* vulns = member(j, "vulnerabilities"); vulns && vulns->is_object()) {
    for (auto it = vulns->begin(); it != vulns->end(); ++it) {
      Severity s;
      if (!severityWord(str(member(it.value(), "severity")), s)) continue;
      sum.findings.push_back({it.key(), str(member(it.value(), "range")), s});
    }
  }
  finish(sum);
  return sum;
}

Result<VulnerabilitySummary> readSarif(std::string_view text, const std::string& name) {
  auto parsed = detail::parseJson(text, name);
  if (!parsed) return parsed.status();
  const json& j = *parsed;
  if (!j.is_object()) return bad(name, "not a SARIF log (expected a JSON object)");
  std::string version = str(member(j, "version"));
  if (version != "2.1.0")
    return bad(name, version.empty() ? "no \"version\": not a SARIF 2.1.0 log"
                                     : "SARIF version \"" + version.substr(0, 20) + "\", expected 2.1.0");
  const json* runs = member(j, "runs");
  if (!runs || !runs->is_array()) return bad(name, "no \"runs\" array");
  VulnerabilitySummary sum;
  sum.format = "sarif";
  size_t run_no = 0;
  for (const json& run : *runs) {
    ++run_no;
    const json* tool = member(run, "tool");
    const json* driver = tool ? member(*tool, "driver") : nullptr;
    if (!driver || !driver->is_object())
      return bad(name, "runs[" + std::to_string(run_no - 1) + "] has no tool.driver");
    const json* driver_rules = member(*driver, "rules");
    auto findRule = [&](const json& result) -> const json* {
      const json* idx = member(result, "ruleIndex");
      if (idx && idx->is_number_integer() && driver_rules && driver_rules->is_array()) {
        int64_t i = idx->get<int64_t>();
        if (i >= 0 && static_cast<size_t>(i) < driver_rules->size()) return &(*driver_rules)[i];
      }
      std::string id = str(member(result, "ruleId"));
      if (id.empty()) {
        if (const json* rule = member(result, "rule")) id = str(member(*rule, "id"));
      }
      if (id.empty()) return nullptr;
      auto search = [&](const json* rules) -> const json* {
        if (!rules || !rules->is_array()) return nullptr;
        for (const json& r : *rules)
          if (str(member(r, "id")) == id) return &r;
        return nullptr;
      };
      if (const json* r = search(driver_rules)) return r;
      if (const json* exts = tool ? member(*tool, "extensions") : nullptr; exts && exts->is_array())
        for (const json& ext : *exts)
          if (const json* r = search(member(ext, "rules"))) return r;
      return nullptr;
    };
    const json* results = member(run, "results");
    if (!results) continue;
    if (!results->is_array())
      return bad(name, "runs[" + std::to_string(run_no - 1) + "].results is not an array");
    for (const json& result : *results) {
      if (!result.is_object()) continue;
      if (const json* sup = member(result, "suppressions"); sup && sup->is_array() && !sup->empty())
        continue;
      if (str(member(result, "baselineState")) == "absent") continue;
      const json* rule = findRule(result);
      double score = 0;
      Severity sev;
      if (securitySeverity(member(result, "properties"), score) ||
          (rule && securitySeverity(member(*rule, "properties"), score))) {
        sev = severityFromScore(score);
      } else {
        std::string level = str(member(result, "level"));
        if (level.empty() && rule)
          if (const json* dc = member(*rule, "defaultConfiguration")) level = str(member(*dc, "level"));
        if (level.empty()) level = "warning";
        if (level == "error") sev = Severity::kHigh;
        else if (level == "warning") sev = Severity::kMedium;
        else if (level == "note") sev = Severity::kLow;
        else { ++sum.info; continue; }
      }
      std::string id = str(member(result, "ruleId"));
      if (id.empty() && rule) id = str(member(*rule, "id"));
      std::string where;
      if (const json* locs = member(result, "locations"); locs && locs->is_array() && !locs->empty()) {
        const json* phys = member((*locs)[0], "physicalLocation");
        const json* art = phys ? member(*phys, "artifactLocation") : nullptr;
        where = str(art ? member(*art, "uri") : nullptr);
      }
      addFinding(sum, {id, where, sev});
    }
  }
  finish(sum);
  return sum;
}

Result<VulnerabilitySummary> readTrivy(std::string_view text, const std::string& name) {
  auto parsed = detail::parseJson(text, name);
  if (!parsed) return parsed.status();
  const json& j = *parsed;
  if (!j.is_object() || (!member(j, "SchemaVersion") && !member(j, "Results")))
    return bad(name, "not a Trivy JSON report (no SchemaVersion or Results)");
  VulnerabilitySummary sum;
  sum.format = "trivy";
  const json* results = member(j, "Results");
  if (!results) return sum;  // a clean scan may omit Results
  if (!results->is_array()) return bad(name, "Results is not an array");
  size_t ri = 0;
  for (const json& r : *results) {
    const json* vulns = member(r, "Vulnerabilities");
    std::string target = str(member(r, "Target"));
    if (vulns && !vulns->is_null()) {
      if (!vulns->is_array())
        return bad(name, "Results[" + std::to_string(ri) + "].Vulnerabilities is not an array");
      size_t vi = 0;
      for (const json& v : *vulns) {
        Severity s;
        std::string word = str(member(v, "Severity"));
        if (!severityWord(word, s))
          return bad(name, "Results[" + std::to_string(ri) + "].Vulnerabilities[" +
                               std::to_string(vi) + "].Severity \"" + word.substr(0, 20) +
                               "\" is not LOW, MEDIUM, HIGH, CRITICAL or UNKNOWN");
        std::string pkg = str(member(v, "PkgName"));
        addFinding(sum, {str(member(v, "VulnerabilityID")), pkg.empty() ? target : pkg, s});
        ++vi;
      }
    }
    ++ri;
  }
  finish(sum);
  return sum;
}

}  // namespace shipgate::gates
