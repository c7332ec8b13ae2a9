// The seed's four blocks, loaded verbatim: security_rules, health_checks, quality_gates and
// container_security. What is not in effect yet gets a located warning, so `check` tells the
// operator exactly which lines are recorded but not acted on.
#include <string>
#include <vector>

#include "sections.h"
#include "shipgate/config/loader.h"

namespace shipgate::config::internal {
namespace {

// "100req/min", "10 req/s", "5000req/hour".
bool validRateLimit(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i > 9) return false;
  std::string_view rest = s.substr(i);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.rfind("requests", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("req", 0) == 0) {
    rest.remove_prefix(3);
  }
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest.front() != '/') return false;
  rest.remove_prefix(1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  for (auto unit : {"s", "sec", "second", "m", "min", "minute", "h", "hour"}) {
    if (rest == unit) return true;
  }
  return false;
}

}  // namespace

void loadSecurityRules(const YEntry& e, Config& c, Diags& d) {
  const YNode& n = e.value;
  if (n.isNull()) return;
  if (!n.isSeq()) {
    d.error(n.where, std::string("security_rules: expected a list of rules, got ") + n.kindName());
    return;
  }
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
      rule.action = std::string(kActions[action]);
    } else if (m.take("action") == nullptr) {
      d.error(item.where, path + ": action is required");
    }
    if (m.getString("rate_limit", rule.rate_limit)) {
      const YNode* at = m.take("rate_limit");
      if (!validRateLimit(rule.rate_limit)) {
        d.error(at->where, path + ".rate_limit: \"" + rule.rate_limit +
                               "\" is not a rate such as \"100req/min\" (units: s, min, hour)");
      } else if (!rule.action.empty() && rule.action != "rate_limit") {
        d.error(at->where, path + ".rate_limit: only applies to action \"rate_limit\"");
      }
    } else if (rule.action == "rate_limit" && m.take("rate_limit") == nullptr) {
      d.error(item.where, path + ": action rate_limit needs rate_limit: \"N req/min\"");
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
  if (!c.security_rules.empty()) {
    d.warning(e.key_where, "security_rules: " + std::to_string(c.security_rules.size()) +
                               " WAF rules are parsed and checked but NOT enforced: requests "
                               "are not filtered until the WAF lands (issue 3)");
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
    HealthCheckConfig check;
    HostPort address;
    bool endpoint_ok = false;
    if (endpoint == nullptr) {
      d.error(entry.key_where, path + ": endpoint is required (the health URL of the region)");
    } else if (asString(*endpoint, path + ".endpoint", d, hc.endpoint)) {
      auto url = parseUrl(hc.endpoint);
      if (!url.isOk()) {
        d.error(endpoint->where, path + ".endpoint: " + url.status().message());
      } else {
        endpoint_ok = true;
        address = url->address;
        check.tls = url->tls;
        check.path = url->path;
      }
    }
    int policy = 0;
    if (m.getChoice("failover_policy", {"automatic", "manual_approval"}, policy)) {
      hc.failover = static_cast<FailoverPolicy>(policy);
    }
    m.finish();
    // In effect through `shipgate health`: each region endpoint is also an http component check.
    if (endpoint_ok) {
      ComponentCheck cc;
      cc.name = "health_checks." + hc.name;
      cc.target = hc.endpoint;
      cc.address = address;
      cc.check = check;
      cc.check.kind = HealthKind::kHttp;
      cc.where = hc.where;
      c.checks.push_back(std::move(cc));
    }
    c.health_checks.push_back(std::move(hc));
  }
}

void checkHealthCheckRegions(const YEntry& e, const Config& c, Diags& d) {
  for (const auto& hc : c.health_checks) {
    if (hc.region.empty()) continue;
    bool used = false;
    for (const auto& app : c.apps) {
      for (const auto& r : app.regions) used = used || r.name == hc.region;
    }
    if (!used) {
      d.warning(hc.where, "health_checks." + hc.name + ": no app declares region \"" + hc.region +
                              "\", so its failover_policy is not in effect");
    }
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
    d.warning(entry.key_where,
              "quality_gates." + entry.key +
                  ": quality gates are recorded but "
                  "not enforced yet (the release controller does not gate on them)");
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
    if (entry.key != "non_root_user") {
      d.warning(entry.key_where, path +
                                     " is recorded but not in effect yet (shipgate does not "
                                     "build or scan container images)");
      continue;
    }
    // non_root_user: true is in effect: shipgate never serves as root. Started as root it binds
    // its ports and drops to server.user; with no server.user it refuses to start as root.
    // server.allow_root: true contradicts it and is an error.
    bool non_root = false;
    if (!asBool(entry.value, path, d, non_root) || !non_root) continue;
    const YEntry* server = root.isMap() ? root.find("server") : nullptr;
    const YEntry* allow =
        server != nullptr && server->value.isMap() ? server->value.find("allow_root") : nullptr;
    if (c.server.allow_root) {
      d.error(allow != nullptr ? allow->value.where : entry.value.where,
              "server.allow_root: true contradicts container_security.non_root_user: true (" +
                  entry.value.where.toString() + ")");
    } else if (c.server.user.empty()) {
      d.warning(entry.value.where,
                path +
                    ": server.user is empty, so shipgate refuses to start as root; set "
                    "server.user to the account it should drop to after binding");
    }
  }
}

}  // namespace shipgate::config::internal
