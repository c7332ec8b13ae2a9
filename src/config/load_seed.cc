// The seed's four blocks, loaded verbatim: security_rules, health_checks, quality_gates and
// container_security, every key of them in effect (a container_security key shipgate does not
// know gets a located warning). security_rules also takes the
// extensions (normalize, enabled, description, block, skip, ratelimit). What needs the rules engine
// (expressions, the rate_limit shorthand, rate-limit characteristics) is the firewall's section
// validator's job (firewall/firewall_config.h).
#include <string>
#include <vector>

#include "sections.h"
#include "shipgate/config/loader.h"

namespace shipgate::config::internal {
namespace {

const std::vector<std::string_view> kNormalizers = {"url_decode", "lower", "compress_whitespace",
                                                    "strip_comments"};

// A list of normaliser names; reports unknown ones.
bool readNormalizers(MapView& m, std::string_view key, std::vector<std::string>& out) {
  std::vector<std::string> names;
  const YNode* n = m.node().isMap() ? &m.node() : nullptr;
  const YEntry* e = n != nullptr ? n->find(key) : nullptr;
  if (!m.getStringList(key, names)) return false;
  bool ok = true;
  for (size_t i = 0; i < names.size(); ++i) {
    bool known = false;
    for (auto k : kNormalizers) known = known || names[i] == k;
    if (!known) {
      const YNode& at =
          e->value.isSeq() && i < e->value.items.size() ? e->value.items[i] : e->value;
      m.diags().error(at.where, m.sub(key) + ": unknown normaliser \"" + names[i] +
                                    "\" (url_decode, lower, compress_whitespace, strip_comments)");
      ok = false;
    }
  }
  if (ok) out = std::move(names);
  return ok;
}

void readBlockResponse(MapView& m, WafBlockResponse& out) {
  m.getInt("status", 100, 599, out.status);
  m.getString("content_type", out.content_type);
  m.getString("body", out.body);
  m.finish();
}

// Cloudflare's structured rate limit.
void readStructuredRateLimit(const YNode& n, const std::string& path, Diags& d, WafRateLimit& out) {
  MapView m(n, path, d);
  if (!m.isMap()) return;
  if (m.getStringList("characteristics", out.characteristics) && out.characteristics.empty()) {
    d.error(m.take("characteristics")->where, path + ".characteristics: needs at least one");
  }
  if (m.getSeconds("period", out.period_seconds) && out.period_seconds <= 0) {
    d.error(m.take("period")->where, path + ".period: must be positive");
  }
  if (!m.getInt64("requests_per_period", 1, int64_t{1} << 40, out.requests_per_period) &&
      m.take("requests_per_period") == nullptr) {
    d.error(n.where, path + ": requests_per_period is required");
  }
  if (m.getSeconds("mitigation_timeout", out.mitigation_timeout_seconds) &&
      out.mitigation_timeout_seconds < 0) {
    d.error(m.take("mitigation_timeout")->where, path + ".mitigation_timeout: must be >= 0");
  }
  if (m.getString("counting_expression", out.counting_expression)) {
    out.counting_expression_where = m.take("counting_expression")->where;
  }
  int action = 0;  // in RateLimitAction's order
  if (m.getChoice("action", {"block", "challenge", "log"}, action)) {
    out.action = static_cast<RateLimitAction>(action);
  }
  m.finish();
}

}  // namespace

void loadSecurityRules(const YEntry& e, Config& c, Diags& d) {
  const YNode& n = e.value;
  if (n.isNull()) return;
  if (!n.isSeq()) {
    d.error(n.where, std::string("security_rules: expected a list of rules, got ") + n.kindName());
    return;
  }
  // In RuleAction's order.
  const std::vector<std::string_view> kActions = {"block", "challenge", "log",
                                                  "skip",  "allow",     "rate_limit"};
  for (size_t i = 0; i < n.items.size(); ++i) {
    const YNode& item = n.items[i];
    std::string path = itemPath("security_rules", i);
    MapView m(item, path, d);
    if (!m.isMap()) continue;
    SecurityRule rule;
    rule.where = item.where;
    if (!m.getString("name", rule.name) && m.take("name") == nullptr) {
      d.error(item.where, path + ": name is required");
    }
    if (m.getString("expression", rule.expression)) {
      rule.expression_where = m.take("expression")->where;
      if (rule.expression.empty()) {
        d.error(rule.expression_where, path + ".expression: empty expression");
      }
    } else if (m.take("expression") == nullptr) {
      d.error(item.where, path + ": expression is required");
    }
    int action = -1;
    if (m.getChoice("action", kActions, action)) {
      rule.action = static_cast<RuleAction>(action);
    } else if (m.take("action") == nullptr) {
      d.error(item.where, path + ": action is required");
    }
    // Checks that an action-specific key goes with its action; silent while the action is
    // missing or invalid (already reported).
    auto actionIsNot = [&](RuleAction a) { return action >= 0 && rule.action != a; };
    const YNode* shorthand = nullptr;
    if (m.getString("rate_limit", rule.rate_limit)) {
      shorthand = m.take("rate_limit");
      rule.rate_limit_where = shorthand->where;
      if (actionIsNot(RuleAction::kRateLimit)) {
        d.error(shorthand->where, path + ".rate_limit: only applies to action \"rate_limit\"");
      }
    }
    if (const YNode* structured = m.take("ratelimit")) {
      if (shorthand != nullptr) {
        d.error(structured->where, path +
                                       ".ratelimit: give either rate_limit: \"N req/min\" or "
                                       "ratelimit: {...}, not both");
      } else if (actionIsNot(RuleAction::kRateLimit)) {
        d.error(structured->where, path + ".ratelimit: only applies to action \"rate_limit\"");
      } else {
        WafRateLimit rl;
        readStructuredRateLimit(*structured, path + ".ratelimit", d, rl);
        rule.ratelimit = rl;
      }
    }
    if (action >= 0 && rule.action == RuleAction::kRateLimit && !rule.ratelimit &&
        shorthand == nullptr &&
        m.take("rate_limit") == nullptr && m.take("ratelimit") == nullptr) {
      d.error(item.where, path +
                              ": action rate_limit needs rate_limit: \"N req/min\" (or "
                              "ratelimit: {requests_per_period, period, ...})");
    }
    std::vector<std::string> normalize;
    if (readNormalizers(m, "normalize", normalize)) rule.normalize = std::move(normalize);
    m.getBool("enabled", rule.enabled);
    m.getString("description", rule.description);
    if (const YNode* block = m.take("block")) {
      if (actionIsNot(RuleAction::kBlock)) {
        d.error(block->where, path + ".block: only applies to action \"block\"");
      } else {
        MapView bm(*block, path + ".block", d);
        if (bm.isMap()) {
          WafBlockResponse resp;
          readBlockResponse(bm, resp);
          rule.block = resp;
        }
      }
    }
    if (const YNode* skip = m.take("skip")) {
      if (actionIsNot(RuleAction::kSkip)) {
        d.error(skip->where, path + ".skip: only applies to action \"skip\"");
      } else {
        MapView sm(*skip, path + ".skip", d);
        if (sm.isMap()) {
          sm.getStringList("rules", rule.skip_rules);
          sm.finish();
        }
      }
    }
    m.finish();
    for (const auto& other : c.security_rules) {
      if (!rule.name.empty() && other.name == rule.name) {
        d.error(item.where, path + ": duplicate rule name \"" + rule.name + "\" (first at " +
                                other.where.toString() + ")");
      }
    }
    c.security_rules.push_back(std::move(rule));
  }
  // Skip targets must name other rules.
  for (size_t i = 0; i < c.security_rules.size(); ++i) {
    for (const auto& target : c.security_rules[i].skip_rules) {
      bool found = false;
      std::vector<std::string> names;
      for (const auto& r : c.security_rules) {
        found = found || r.name == target;
        names.push_back(r.name);
      }
      if (!found) {
        d.error(c.security_rules[i].where, itemPath("security_rules", i) +
                                               ".skip.rules: no rule named \"" + target + "\"" +
                                               didYouMean(target, names));
      }
    }
  }
}

void loadHealthChecks(const YEntry& e, Config& c, Diags& d) {
  const YNode& n = e.value;
  if (n.isNull()) return;
  if (!n.isMap()) {
    d.error(n.where, std::string("health_checks: expected a map of name to {region, endpoint, "
                                 "failover_policy}, got ") +
                         n.kindName());
    return;
  }
  for (const auto& entry : n.entries) {
    std::string path = childPath("health_checks", entry.key);
    MapView m(entry.value, path, d);
    if (!m.isMap()) continue;
    RegionHealthCheck hc;
    hc.name = entry.key;
    hc.where = entry.key_where;
    if (!m.getString("region", hc.region) && m.take("region") == nullptr) {
      d.error(entry.key_where, path + ": region is required");
    } else if (!hc.region.empty() && !validName(hc.region)) {
      d.error(m.take("region")->where, path + ".region: not a valid region name");
    }
    const YNode* endpoint = m.take("endpoint");
    if (endpoint == nullptr) {
      d.error(entry.key_where, path + ": endpoint is required (the health URL of the region)");
    } else if (asString(*endpoint, path + ".endpoint", d, hc.endpoint)) {
      auto url = parseUrl(hc.endpoint);
      if (!url.isOk()) d.error(endpoint->where, path + ".endpoint: " + url.status().message());
    }
    int policy = 0;
    if (m.getChoice("failover_policy", {"automatic", "manual_approval"}, policy)) {
      hc.failover = static_cast<FailoverPolicy>(policy);
    }
    m.finish();
    c.health_checks.push_back(std::move(hc));
  }
}

void loadQualityGates(const YEntry& e, Config& c, Diags& d) {
  const YNode& n = e.value;
  if (n.isNull()) return;
  if (!n.isMap()) {
    d.error(n.where, std::string("quality_gates: expected a map of gate to requirement, got ") +
                         n.kindName());
    return;
  }
  for (const auto& entry : n.entries) {
    std::string value;
    if (!asString(entry.value, childPath("quality_gates", entry.key), d, value)) continue;
    c.quality_gates[entry.key] = value;
    // Each wording is read, and located errors reported, by the gates' section
    // (gates/gates_config.h); the gates are in effect through `gate check` and the deploy's
    // gates step, manual_approval through the environment's approval step.
  }
}

void loadContainerSecurity(const YEntry& e, const YNode& root, Config& c, Diags& d) {
  const YNode& n = e.value;
  if (n.isNull()) return;
  if (!n.isMap()) {
    d.error(n.where, std::string("container_security: expected a map, got ") + n.kindName());
    return;
  }
  for (const auto& entry : n.entries) {
    std::string path = childPath("container_security", entry.key);
    std::string value;
    if (!asString(entry.value, path, d, value)) continue;
    c.container_security[entry.key] = value;
    // base_image and minimal_packages are checked by `shipgate policy check` against the
    // Dockerfile (policy/container_policy.h); security_scanning: true makes the deploy's gates
    // step require a clean scan report (gates/gates_config.h).
    if (entry.key == "base_image" || entry.key == "minimal_packages" ||
        entry.key == "security_scanning") {
      continue;
    }
    if (entry.key != "non_root_user") {
      d.warning(entry.key_where,
                path + " is not a container_security key shipgate knows (base_image, "
                       "security_scanning, non_root_user, minimal_packages); it is ignored");
      continue;
    }
    // non_root_user: true is in effect twice: shipgate never serves as root unless
    // server.allow_root says so (started as root it binds its ports and drops to server.user),
    // and the process runtime never starts a release as root (the app's release.runtime.user,
    // runtime/run_as.h), so with server.allow_root: true the releases still run unprivileged.
    bool non_root = false;
    if (!asBool(entry.value, path, d, non_root) || !non_root) continue;
    if (!c.server.allow_root && c.server.user.empty()) {
      d.warning(entry.value.where,
                path +
                    ": server.user is empty, so shipgate refuses to start as root; set "
                    "server.user to the account it should drop to after binding");
    }
  }
}

}  // namespace shipgate::config::internal
