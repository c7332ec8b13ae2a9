// The `quality_gates:` + `gates:` section validator (see gates/gates_config.h).
#include "shipgate/gates/gates_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "shipgate/config/yaml.h"

namespace shipgate::gates {
namespace {

using config::MapView;
using config::YEntry;
using config::YNode;

bool feeds(GateKind gate, ReportKind report) {
  auto kinds = defaultReportKinds(gate);
  return std::find(kinds.begin(), kinds.end(), report) != kinds.end();
}

const char* familyOf(GateKind kind) {
  switch (kind) {
    case GateKind::kCoverage: return "a coverage gate (lcov, cobertura)";
    case GateKind::kPassRate: return "a pass-rate gate (junit)";
    case GateKind::kVulnerabilities: return "a vulnerability gate (npm-audit, sarif, trivy)";
    case GateKind::kAccessibility: return "an accessibility gate (axe)";
    case GateKind::kSize: return "a size gate (it measures the release's files)";
    case GateKind::kApproval: return "an approval gate (the deploy's approval step)";
  }
  return "a gate";
}

// kilobyte: 1024 makes the SI units of the wording binary ones.
void applyKilobyte(GateWording& w, int kilobyte) {
  if (kilobyte != 1024 || w.kind != GateKind::kSize) return;
  struct Map {
    const char* from;
    const char* to;
    int power;
  };
  static const Map kMap[] = {{"KB", "KiB", 1}, {"kB", "KiB", 1}, {"MB", "MiB", 2}, {"GB", "GiB", 3}};
  for (const Map& m : kMap) {
    if (w.unit_text != m.from) continue;
    w.threshold = w.threshold / std::pow(1000.0, m.power) * std::pow(1024.0, m.power);
    w.unit_text = m.to;
    return;
  }
}

void readGateSettings(const YEntry& e, GateSpec& spec, config::Diagnostics& d) {
  const std::string path = config::childPath("gates", e.key);
  MapView m(e.value, path, d);
  if (!m.isMap()) return;  // MapView reported it
  const GateKind kind = spec.wording.kind;
  if (const YEntry* reports = m.entry("reports")) {
    std::vector<std::string> names;
    if (config::asStringList(reports->value, path + ".reports", d, names)) {
      spec.reports.clear();
      for (const std::string& name : names) {
        ReportKind k;
        if (!parseReportKind(name, k)) {
          d.error(reports->value.where, path + ".reports: unknown report kind \"" + name +
                                            "\" (lcov, cobertura, junit, npm-audit, sarif, "
                                            "trivy, axe)");
        } else if (!feeds(kind, k)) {
          d.error(reports->value.where, path + ".reports: a " + name + " report cannot feed " +
                                            familyOf(kind) + " (\"" + spec.wording.text + "\")");
        } else if (std::find(spec.reports.begin(), spec.reports.end(), k) ==
                   spec.reports.end()) {
          spec.reports.push_back(k);
        }
      }
      if (names.empty()) d.error(reports->value.where, path + ".reports: empty list");
    }
  }
  if (const YEntry* cov = m.entry("coverage")) {
    int metric = 0;
    if (kind != GateKind::kCoverage) {
      d.error(cov->key_where, path + ".coverage: only for a coverage gate; this is " +
                                  familyOf(kind));
    } else if (m.getChoice("coverage", {"lines", "branches"}, metric)) {
      spec.wording.coverage_metric = metric == 0 ? CoverageMetric::kLines : CoverageMetric::kBranches;
    }
  }
  for (const char* key : {"files", "compression", "kilobyte"}) {
    if (const YEntry* s = m.entry(key); s != nullptr && kind != GateKind::kSize) {
      d.error(s->key_where, path + "." + key + ": only for a size gate; this is " + familyOf(kind));
    }
  }
  if (kind == GateKind::kSize) {
    if (const YEntry* files = m.entry("files")) {
      if (m.getString("files", spec.files) && spec.files.empty()) {
        d.error(files->value.where, path + ".files: empty glob");
      }
    }
    if (const YEntry* comp = m.entry("compression")) {
      std::string name;
      if (m.getString("compression", name) && !parseCompression(name, spec.compression)) {
        d.error(comp->value.where,
                path + ".compression: \"" + name + "\" is not one of raw, gzip, brotli");
      }
    }
    if (const YEntry* kb = m.entry("kilobyte")) {
      int v = 0;
      if (m.getInt("kilobyte", 1000, 1024, v)) {
        if (v != 1000 && v != 1024) {
          d.error(kb->value.where, path + ".kilobyte: 1000 or 1024, not " + std::to_string(v));
        } else {
          spec.kilobyte = v;
        }
      }
    }
  }
  m.finish("x-");
}

// The gate container_security.security_scanning: true stands for when quality_gates has none.
constexpr std::string_view kImpliedScanWording = "0 critical vulnerabilities";

// container_security.security_scanning when it is the scalar true; nullptr otherwise (the seed
// loader reports a value that is not a boolean).
const YEntry* securityScanning(const YNode& document) {
  const YEntry* cs = document.isMap() ? document.find("container_security") : nullptr;
  if (cs == nullptr || !cs->value.isMap()) return nullptr;
  const YEntry* e = cs->value.find("security_scanning");
  if (e == nullptr || !e->value.isScalar() || e->value.scalar != "true") return nullptr;
  return e;
}

class GatesSection final : public config::SectionValidator {
 public:
  std::string_view key() const override { return "gates"; }

  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config&, const YNode& document, config::Diagnostics& d) const override {
    const YEntry* qg = document.isMap() ? document.find("quality_gates") : nullptr;
    const YEntry* settings = document.isMap() ? document.find("gates") : nullptr;
    const YEntry* scanning = securityScanning(document);
    if ((qg == nullptr || !qg->value.isMap()) && scanning == nullptr) {
      if (settings != nullptr && !settings->value.isNull()) {
        d.error(settings->key_where, "gates: there is no quality_gates: block to configure");
      }
      return nullptr;  // the loader reports a quality_gates that is not a map
    }
    const bool had_errors = d.hasErrors();
    auto out = std::make_shared<GatesConfig>();
    static const YNode kNoGates;
    const YNode& gate_map = qg != nullptr && qg->value.isMap() ? qg->value : kNoGates;
    for (const YEntry& e : gate_map.entries) {
      if (!e.value.isScalar()) continue;  // reported by the loader
      GateSpec spec;
      spec.name = e.key;
      spec.where = e.value.where;
      WordingError err;
      if (!parseGateWording(e.value.scalar, spec.wording, err)) {
        config::Location at = e.value.where;
        at.column += static_cast<int>(err.column) - 1 + (e.value.quoted ? 1 : 0);
        d.error(at, "quality_gates." + e.key + ": " + err.message + " (in \"" + e.value.scalar +
                        "\")");
        continue;
      }
      spec.reports = defaultReportKinds(spec.wording.kind);
      out->gates.push_back(std::move(spec));
    }
    // container_security.security_scanning: true means a deploy needs a clean scan report. With
    // no vulnerability gate in quality_gates, the checklist's "Security scan completed (0
    // critical issues)" is that gate, named security_scan.
    if (scanning != nullptr &&
        std::none_of(out->gates.begin(), out->gates.end(), [](const GateSpec& g) {
          return g.wording.kind == GateKind::kVulnerabilities;
        })) {
      GateSpec spec;
      spec.name = "security_scan";
      spec.where = scanning->value.where;
      WordingError err;
      parseGateWording(kImpliedScanWording, spec.wording, err);
      spec.reports = defaultReportKinds(spec.wording.kind);
      out->gates.push_back(std::move(spec));
    }
    if (settings != nullptr && !settings->value.isNull()) {
      if (!settings->value.isMap()) {
        d.error(settings->value.where,
                "gates: expected a map {environments, <gate>: {...}}, found " +
                    std::string(settings->value.kindName()));
      } else {
        for (const YEntry& e : settings->value.entries) {
          if (e.key == "environments") {
            config::asStringList(e.value, "gates.environments", d, out->environments);
            continue;
          }
          if (e.key.rfind("x-", 0) == 0) continue;
          GateSpec* spec = nullptr;
          for (GateSpec& g : out->gates) {
            if (g.name == e.key) spec = &g;
          }
          if (spec == nullptr) {
            if (gate_map.find(e.key) == nullptr) {
              d.error(e.key_where, "gates." + e.key + ": there is no quality_gates." + e.key);
            }
            continue;
          }
          readGateSettings(e, *spec, d);
        }
      }
    }
    for (GateSpec& g : out->gates) applyKilobyte(g.wording, g.kilobyte);
    if (!had_errors && d.hasErrors()) return nullptr;
    return out;
  }
};

}  // namespace

bool GatesConfig::appliesTo(std::string_view environment) const {
  if (environments.empty()) return true;
  return std::find(environments.begin(), environments.end(), environment) != environments.end();
}

const GateSpec* GatesConfig::find(std::string_view name) const {
  for (const GateSpec& g : gates) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

std::vector<ReportKind> defaultReportKinds(GateKind kind) {
  switch (kind) {
    case GateKind::kCoverage: return {ReportKind::kLcov, ReportKind::kCobertura};
    case GateKind::kPassRate: return {ReportKind::kJunit};
    case GateKind::kVulnerabilities:
      return {ReportKind::kNpmAudit, ReportKind::kSarif, ReportKind::kTrivy};
    case GateKind::kAccessibility: return {ReportKind::kAxe};
    case GateKind::kSize:
    case GateKind::kApproval: return {};
  }
  return {};
}

std::unique_ptr<config::SectionValidator> gatesSection() {
  return std::make_unique<GatesSection>();
}

std::shared_ptr<const GatesConfig> gatesConfigOf(const config::Config& config) {
  return config.section<GatesConfig>("gates");
}

}  // namespace shipgate::gates
