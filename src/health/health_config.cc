// readHealthCheck, the checks: section and the health area's section validator (see
// health/health_config.h).
#include "shipgate/health/health_config.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/config/loader.h"

namespace shipgate::health {
namespace {

using config::asHostPort;
using config::asInt;
using config::asString;
using config::asStringList;
using config::itemPath;
using config::MapView;
using config::validName;
using config::YEntry;
using config::YNode;

constexpr std::string_view kKinds[] = {"http", "tcp", "postgres", "jsonrpc", "exec"};

// Which kinds each kind-specific key applies to (bit per HealthKind).
struct KeyKinds {
  std::string_view key;
  unsigned kinds;
};
constexpr unsigned bit(HealthKind k) { return 1u << static_cast<int>(k); }
constexpr KeyKinds kKeyKinds[] = {
    {"path", bit(HealthKind::kHttp) | bit(HealthKind::kJsonRpc)},
    {"host_header", bit(HealthKind::kHttp) | bit(HealthKind::kJsonRpc)},
    {"tls", bit(HealthKind::kHttp) | bit(HealthKind::kJsonRpc)},
    {"expect_status", bit(HealthKind::kHttp)},
    {"expect_body", bit(HealthKind::kHttp)},
    {"user", bit(HealthKind::kPostgres)},
    {"database", bit(HealthKind::kPostgres)},
    {"peers", bit(HealthKind::kJsonRpc)},
    {"max_lag_blocks", bit(HealthKind::kJsonRpc)},
    {"command", bit(HealthKind::kExec)},
};

// One http check per health_checks entry whose endpoint is a valid URL (the loader reports the
// others), named "health_checks.<name>".
void addRegionChecks(const config::Config& c, HealthConfig& out) {
  for (const auto& hc : c.health_checks) {
    auto url = config::parseUrl(hc.endpoint);
    if (!url.isOk()) continue;
    ComponentCheck cc;
    cc.name = "health_checks." + hc.name;
    cc.target = hc.endpoint;
    cc.address = url->address;
    cc.check.kind = HealthKind::kHttp;
    cc.check.tls = url->tls;
    cc.check.path = url->path;
    cc.where = hc.where;
    out.checks.push_back(std::move(cc));
  }
}

void readChecks(const YNode& n, config::Diagnostics& d, HealthConfig& out) {
  if (!n.isSeq()) {
    d.error(n.where, std::string("checks: expected a list of checks, got ") + n.kindName());
    return;
  }
  for (size_t i = 0; i < n.items.size(); ++i) {
    const YNode& item = n.items[i];
    // Messages name the check by its name when it has a usable one.
    std::string path = itemPath("checks", i);
    const YEntry* name = item.isMap() ? item.find("name") : nullptr;
    if (name != nullptr && name->value.isScalar() && validName(name->value.scalar)) {
      path = "checks." + name->value.scalar;
    }
    MapView m(item, path, d);
    if (!m.isMap()) continue;
    ComponentCheck cc;
    cc.where = item.where;
    if (!m.getString("name", cc.name)) {
      if (m.take("name") == nullptr) d.error(item.where, path + ": name is required");
    } else if (!validName(cc.name)) {
      d.error(m.take("name")->where, path + ".name: \"" + cc.name + "\" is not a valid name");
    }
    readHealthCheck(m, cc.check);
    const YNode* target = m.take("target");
    if (target == nullptr) {
      if (cc.check.kind != HealthKind::kExec) {
        d.error(item.where, path +
                                ": target is required (a URL for http and jsonrpc, "
                                "host:port for tcp and postgres)");
      }
    } else if (asString(*target, path + ".target", d, cc.target)) {
      HealthKind k = cc.check.kind;
      if (k == HealthKind::kHttp || k == HealthKind::kJsonRpc) {
        auto url = config::parseUrl(cc.target);
        if (!url.isOk()) {
          d.error(target->where, path + ".target: " + url.status().message());
        } else {
          cc.address = url->address;
          if (item.find("tls") == nullptr) cc.check.tls = url->tls;
          if (item.find("path") == nullptr) cc.check.path = url->path;
        }
      } else if (k == HealthKind::kTcp || k == HealthKind::kPostgres) {
        asHostPort(*target, path + ".target", d, cc.address);
      }
    }
    if (cc.target.empty() && !cc.check.command.empty()) cc.target = cc.check.command.back();
    m.finish();
    for (const auto& other : out.checks) {
      if (!cc.name.empty() && other.name == cc.name) {
        d.error(item.where, path + ": duplicate check name \"" + cc.name + "\" (first at " +
                                other.where.toString() + ")");
      }
    }
    out.checks.push_back(std::move(cc));
  }
}

class HealthSection : public config::SectionValidator {
 public:
  std::string_view key() const override { return kHealthSection; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config& config, const YNode& document,
      config::Diagnostics& diags) const override {
    return validateHealthConfig(config, document, diags);
  }
};

}  // namespace

const char* healthKindName(HealthKind k) {
  switch (k) {
    case HealthKind::kHttp:
      return "http";
    case HealthKind::kTcp:
      return "tcp";
    case HealthKind::kPostgres:
      return "postgres";
    case HealthKind::kJsonRpc:
      return "jsonrpc";
    case HealthKind::kExec:
      return "exec";
  }
  return "?";
}

void readHealthCheck(config::MapView& m, HealthCheckConfig& out) {
  config::Diagnostics& d = m.diags();
  int kind = static_cast<int>(out.kind);
  if (m.getChoice("kind", {kKinds[0], kKinds[1], kKinds[2], kKinds[3], kKinds[4]}, kind)) {
    out.kind = static_cast<HealthKind>(kind);
  }
  if (m.getDuration("interval", out.interval) && out.interval.count() <= 0) {
    d.error(m.take("interval")->where, m.sub("interval") + ": must be greater than 0");
  }
  if (m.getDuration("timeout", out.timeout) && out.timeout.count() <= 0) {
    d.error(m.take("timeout")->where, m.sub("timeout") + ": must be greater than 0");
  }
  m.getDouble("jitter", 0.0, 1.0, out.jitter);
  m.getInt("rise", 1, 100, out.rise);
  m.getInt("fall", 1, 100, out.fall);
  if (m.getString("path", out.path) && (out.path.empty() || out.path[0] != '/')) {
    d.error(m.take("path")->where, m.sub("path") + ": must start with '/'");
  }
  m.getString("host_header", out.host_header);
  m.getBool("tls", out.tls);
  if (const YNode* st = m.take("expect_status")) {
    std::vector<const YNode*> items;
    if (st->isSeq()) {
      for (const auto& i : st->items) items.push_back(&i);
    } else {
      items.push_back(st);
    }
    std::vector<int> codes;
    for (size_t i = 0; i < items.size(); ++i) {
      int64_t code = 0;
      std::string p = st->isSeq() ? itemPath(m.sub("expect_status"), i) : m.sub("expect_status");
      if (asInt(*items[i], p, d, 100, 599, code)) codes.push_back(static_cast<int>(code));
    }
    out.expect_status = codes;
  }
  m.getString("expect_body", out.expect_body);
  m.getString("user", out.pg_user);
  m.getString("database", out.pg_database);
  if (m.getStringList("peers", out.peers)) {
    const YNode* peers = m.take("peers");
    for (size_t i = 0; i < out.peers.size(); ++i) {
      auto url = config::parseUrl(out.peers[i]);
      if (!url.isOk()) {
        const YNode& at = peers->isSeq() ? peers->items[i] : *peers;
        d.error(at.where, itemPath(m.sub("peers"), i) + ": " + url.status().message());
      }
    }
  }
  m.getInt64("max_lag_blocks", 0, 1'000'000'000, out.max_lag_blocks);
  if (const YNode* cmd = m.take("command")) {
    // A list is an argv; a single string runs through /bin/sh -c.
    if (cmd->isScalar()) {
      out.command = {"/bin/sh", "-c", cmd->scalar};
    } else {
      asStringList(*cmd, m.sub("command"), d, out.command);
    }
    if (out.command.empty()) d.error(cmd->where, m.sub("command") + ": empty command");
  }
  if (out.kind == HealthKind::kExec && out.command.empty() && m.take("command") == nullptr) {
    d.error(m.node().where, m.path() + ": kind exec needs a command");
  }
  if (m.take("interval") != nullptr || m.take("timeout") != nullptr) {
    if (out.timeout > out.interval) {
      const YNode* t = m.take("timeout");
      d.warning(t != nullptr ? t->where : m.node().where,
                m.path() + ": timeout is longer than interval; checks will overlap");
    }
  }
  for (const auto& kk : kKeyKinds) {
    const YEntry* e = m.node().isMap() ? m.node().find(kk.key) : nullptr;
    if (e != nullptr && (kk.kinds & bit(out.kind)) == 0) {
      d.warning(e->key_where,
                m.sub(kk.key) + " has no effect for kind " + healthKindName(out.kind));
    }
  }
}

std::shared_ptr<const HealthConfig> validateHealthConfig(const config::Config& config,
                                                         const YNode& document,
                                                         config::Diagnostics& d) {
  bool had_errors = d.hasErrors();
  auto out = std::make_shared<HealthConfig>();
  addRegionChecks(config, *out);
  // The region checks go after the checks the operator listed.
  size_t region_checks = out->checks.size();
  const YEntry* checks = document.isMap() ? document.find("checks") : nullptr;
  if (checks != nullptr && !checks->value.isNull()) readChecks(checks->value, d, *out);
  std::rotate(out->checks.begin(), out->checks.begin() + static_cast<long>(region_checks),
              out->checks.end());
  if (!had_errors && d.hasErrors()) return nullptr;
  return out;
}

const config::SectionValidator& healthSection() {
  static const HealthSection section;
  return section;
}

const HealthConfig& healthConfigOf(const config::Config& config) {
  return config.sectionOrDefault<HealthConfig>(kHealthSection);
}

HealthConfig& healthConfigForTest(config::Config& config) {
  return config.mutableSectionForTest<HealthConfig>(kHealthSection);
}

}  // namespace shipgate::health
