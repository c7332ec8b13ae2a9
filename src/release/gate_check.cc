// The configured gates against a release's stored reports and files (see gate_check.h).
#include "shipgate/release/gate_check.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "shipgate/common/strings.h"

namespace shipgate::release {
namespace {

using nlohmann::json;

std::string kindList(const std::vector<gates::ReportKind>& kinds) {
  std::string out;
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (i > 0) out += i + 1 == kinds.size() ? " or " : ", ";
    out += gates::reportKindName(kinds[i]);
  }
  return out;
}

GateResult fromReports(const gates::GateSpec& spec, store::StateStore& store,
                       const GateCheckInput& in,
                       const std::vector<store::ReleaseReportRecord>& stored) {
  GateResult r;
  r.verdict.gate = spec.name;
  r.verdict.threshold_text = gateThresholdText(spec.wording);
  std::vector<gates::GateVerdict> verdicts;
  for (const store::ReleaseReportRecord& meta : stored) {
    gates::ReportKind kind;
    if (!gates::parseReportKind(meta.kind, kind)) continue;
    if (std::find(spec.reports.begin(), spec.reports.end(), kind) == spec.reports.end()) continue;
    r.reports.push_back(meta.kind + ":" + meta.name);
    auto full = store.readReleaseReport(in.app, in.version, meta.kind, meta.name);
    if (!full) {
      r.outcome = GateOutcome::kMissing;
      r.verdict.reason = "cannot read " + meta.kind + " report " + meta.name + ": " +
                         full.status().message();
      return r;
    }
    auto summary = gates::readReport(kind, full->content, meta.name);
    if (!summary) {
      r.outcome = GateOutcome::kMissing;
      r.verdict.reason = "unreadable " + meta.kind + " report: " + summary.status().message();
      return r;
    }
    verdicts.push_back(gates::evaluateReport(spec.name, spec.wording, *summary));
  }
  if (verdicts.empty()) {
    r.outcome = GateOutcome::kMissing;
    r.verdict.reason = "no " + kindList(spec.reports) + " report stored with " + in.app + " " +
                       in.version + " (shipgate release create --report KIND=FILE)";
    return r;
  }
  // Every report must pass; the verdict shown is the first failing one, else the first.
  const gates::GateVerdict* shown = &verdicts[0];
  for (const auto& v : verdicts) {
    if (!v.pass) {
      shown = &v;
      break;
    }
  }
  r.verdict = *shown;
  if (verdicts.size() > 1) {
    std::string measured;
    for (size_t i = 0; i < verdicts.size(); ++i) {
      if (i > 0) measured += "; ";
      measured += r.reports[i] + " " + verdicts[i].measured_text;
    }
    r.verdict.measured_text = measured;
  }
  r.outcome = shown->pass ? GateOutcome::kPass : GateOutcome::kFail;
  return r;
}

GateResult fromFiles(const gates::GateSpec& spec, const GateCheckInput& in) {
  GateResult r;
  r.verdict.gate = spec.name;
  r.verdict.threshold_text = gateThresholdText(spec.wording);
  std::error_code ec;
  if (in.artifact.empty()) {
    r.verdict.reason = "the release has no artifact directory to measure " + spec.files + " in";
    return r;
  }
  if (!std::filesystem::is_directory(in.artifact, ec)) {
    r.verdict.reason = "the release's artifact " + in.artifact + " is not a directory";
    return r;
  }
  auto files = gates::measureFiles(in.artifact, spec.files);
  if (!files) {
    r.verdict.reason = "cannot measure " + spec.files + ": " + files.status().message();
    return r;
  }
  r.verdict = gates::evaluateSize(spec.name, spec.wording, spec.files, *files, spec.compression);
  r.outcome = r.verdict.pass ? GateOutcome::kPass : GateOutcome::kFail;
  for (const auto& f : *files) r.reports.push_back("file:" + f.path);
  if (r.reports.size() > gates::kMaxListed) r.reports.resize(gates::kMaxListed);
  return r;
}

GateResult approval(const gates::GateSpec& spec, const GateCheckInput& in) {
  GateResult r;
  r.outcome = GateOutcome::kApproval;
  r.verdict.gate = spec.name;
  r.verdict.threshold_text = gateThresholdText(spec.wording);
  r.verdict.pass = true;
  const std::string& env = spec.wording.environment;
  if (env.empty()) {
    r.verdict.reason = "the approval step of every environment";
  } else if (!in.environment.empty() && in.environment != env) {
    r.verdict.reason = "not required for " + in.environment + " (only " + env + ")";
  } else {
    r.verdict.reason = "enforced by the approval step of environment " + env +
                       " (environments." + env + ".approval: required)";
  }
  return r;
}

}  // namespace

std::string gateThresholdText(const gates::GateWording& w) {
  if (w.kind != gates::GateKind::kSize) return gates::describe(w);
  return std::string(gates::comparisonSymbol(w.comparison)) + " " +
         gates::formatBytes(w.threshold, w.unit_text);
}

const char* gateOutcomeName(GateOutcome o) {
  switch (o) {
    case GateOutcome::kPass: return "PASS";
    case GateOutcome::kFail: return "FAIL";
    case GateOutcome::kMissing: return "MISSING";
    case GateOutcome::kApproval: return "APPROVAL";
  }
  return "?";
}

int GateCheck::exitCode() const {
  bool fail = false;
  for (const GateResult& g : gates) {
    if (g.outcome == GateOutcome::kMissing) return 2;
    fail = fail || g.outcome == GateOutcome::kFail;
  }
  return fail ? 1 : 0;
}

json GateCheck::toJson() const {
  json list = json::array();
  for (const GateResult& g : gates) {
    std::string outcome = asciiLowerCopy(gateOutcomeName(g.outcome));
    list.push_back({{"gate", g.verdict.gate},
                    {"outcome", outcome},
                    {"measured", g.verdict.measured_text.empty() ? json(nullptr)
                                                                 : json(g.verdict.measured_text)},
                    {"threshold", g.verdict.threshold_text},
                    {"reason", g.verdict.reason},
                    {"reports", g.reports}});
  }
  return {{"app", app},
          {"version", version},
          {"environment", environment},
          {"passed", passed()},
          {"gates", list}};
}

std::string GateCheck::toText() const {
  size_t name_w = 4, measured_w = 8, threshold_w = 9;
  for (const GateResult& g : gates) {
    name_w = std::max(name_w, g.verdict.gate.size());
    measured_w = std::max(measured_w, g.verdict.measured_text.size());
    threshold_w = std::max(threshold_w, g.verdict.threshold_text.size());
  }
  auto pad = [](const std::string& s, size_t w) { return s + std::string(w - s.size() + 2, ' '); };
  std::ostringstream out;
  out << pad("GATE", name_w) << pad("MEASURED", measured_w) << pad("THRESHOLD", threshold_w)
      << pad("VERDICT", 8) << "REASON\n";
  for (const GateResult& g : gates) {
    out << pad(g.verdict.gate, name_w)
        << pad(g.verdict.measured_text.empty() ? "-" : g.verdict.measured_text, measured_w)
        << pad(g.verdict.threshold_text, threshold_w) << pad(gateOutcomeName(g.outcome), 8)
        << g.verdict.reason << "\n";
  }
  return out.str();
}

Result<GateCheck> checkGates(const gates::GatesConfig& config, store::StateStore& store,
                             const GateCheckInput& input) {
  auto stored = store.listReleaseReports(input.app, input.version);
  if (!stored) return stored.status();
  GateCheck check;
  check.app = input.app;
  check.version = input.version;
  check.environment = input.environment;
  for (const gates::GateSpec& spec : config.gates) {
    switch (spec.wording.kind) {
      case gates::GateKind::kSize: check.gates.push_back(fromFiles(spec, input)); break;
      case gates::GateKind::kApproval: check.gates.push_back(approval(spec, input)); break;
      default: check.gates.push_back(fromReports(spec, store, input, *stored)); break;
    }
  }
  return check;
}

}  // namespace shipgate::release
