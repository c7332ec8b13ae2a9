// examples/coinestate: shipgate.yaml (with the seed's four blocks verbatim) and demo.yaml load
// without errors; the seed blocks map onto the model, every key of them in effect.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "unit/config/test_util.h"

namespace shipgate::config {
namespace {

using testing::countErrors;
using testing::hasDiag;
using testing::hasWarning;
using testing::load;

std::string exampleDir() {
  const char* src = std::getenv("SHIPGATE_SOURCE_DIR");
  if (src == nullptr) {
    ADD_FAILURE() << "SHIPGATE_SOURCE_DIR is not set (run through ctest)";
    return "";
  }
  return std::string(src) + "/examples/coinestate";
}

int countWarnings(const LoadResult& r, const std::string& text) {
  int n = 0;
  for (const auto& d : r.diagnostics) {
    n += d.severity == Diagnostic::Severity::kWarning && d.message.find(text) != std::string::npos;
  }
  return n;
}

TEST(ExampleConfig, ShipgateYamlLoadsWithTheSeedBlocks) {
  std::string file = exampleDir() + "/shipgate.yaml";
  auto r = testing::loadAll(file);
  ASSERT_TRUE(r.ok()) << r.toString();
  const Config& c = *r.config;

  // The seed's security_rules, exactly.
  ASSERT_EQ(c.security_rules.size(), 3u);
  EXPECT_EQ(c.security_rules[0].name, "Block malicious bots");
  EXPECT_EQ(c.security_rules[0].expression, "(cf.bot_management.score lt 30)");
  EXPECT_EQ(c.security_rules[0].action, RuleAction::kBlock);
  EXPECT_EQ(c.security_rules[0].rate_limit, "");
  EXPECT_EQ(c.security_rules[1].name, "Rate limit API");
  EXPECT_EQ(c.security_rules[1].expression, "(http.request.uri.path matches \"/api/.*\")");
  EXPECT_EQ(c.security_rules[1].action, RuleAction::kRateLimit);
  EXPECT_EQ(c.security_rules[1].rate_limit, "100req/min");
  EXPECT_EQ(c.security_rules[2].name, "Block SQL injection attempts");
  EXPECT_EQ(c.security_rules[2].expression,
            "(any(http.request.uri.query contains {\"union select\" \"' or 1=1\" "
            "\"drop table\"}))");
  EXPECT_EQ(c.security_rules[2].action, RuleAction::kBlock);
  for (const auto& rule : c.security_rules) {
    EXPECT_EQ(rule.where.file, file);
    EXPECT_EQ(rule.expression_where.line, rule.where.line + 1);
    EXPECT_EQ(rule.expression_where.column, 17);
  }
  // The rules compile with the real engine; the seed's quirks are warned at the spot inside the
  // expression (file column = opening quote + 1 + offset), with the Cloudflare rewrite.
  EXPECT_EQ(countWarnings(r, "NOT enforced"), 0);
  std::string where = file + ":" + std::to_string(c.security_rules[2].expression_where.line);
  EXPECT_TRUE(hasWarning(r, where + ":19", "any() expects an Array<Bool>"));
  EXPECT_TRUE(hasWarning(r, where + ":23", "is not Cloudflare syntax"));
  EXPECT_TRUE(hasWarning(r, where + ":23",
                         "rewrite: (http.request.uri.query contains \"union select\" or "
                         "http.request.uri.query contains \"' or 1=1\" or "
                         "http.request.uri.query contains \"drop table\")"));

  // quality_gates: recorded verbatim and in effect (gates/gates_config.h reads the wording):
  // no "not enforced" warning any more.
  ASSERT_EQ(c.quality_gates.size(), 6u);
  EXPECT_EQ(c.quality_gates.at("unit_tests"), "> 80% coverage");
  EXPECT_EQ(c.quality_gates.at("manual_approval"), "Required for production");
  EXPECT_EQ(countWarnings(r, "quality gates are recorded but not enforced yet"), 0);
  EXPECT_EQ(countWarnings(r, "quality_gates"), 0);

  // container_security: every key in effect (policy check, the runtime's user, the scan gate):
  // no warning about it.
  EXPECT_EQ(c.container_security.at("base_image"), "node:18-alpine");
  EXPECT_EQ(c.container_security.at("non_root_user"), "true");
  EXPECT_EQ(countWarnings(r, "container_security"), 0);
  EXPECT_EQ(countWarnings(r, "non_root_user"), 0);
  EXPECT_EQ(c.server.user, "shipgate");
  EXPECT_FALSE(c.server.allow_root);

  // health_checks: the secondary region's manual approval reaches the app's eu-west-1 region.
  ASSERT_EQ(c.health_checks.size(), 2u);
  EXPECT_EQ(c.health_checks[0].name, "primary");
  EXPECT_EQ(c.health_checks[0].region, "us-east-1");
  EXPECT_EQ(c.health_checks[0].endpoint, "https://api.coinestate.io/health");
  EXPECT_EQ(c.health_checks[0].failover, FailoverPolicy::kAutomatic);
  EXPECT_EQ(c.health_checks[1].region, "eu-west-1");
  EXPECT_EQ(c.health_checks[1].failover, FailoverPolicy::kManualApproval);
  const AppConfig* api = testing::trafficOf(c).findApp("api");
  ASSERT_NE(api, nullptr);
  ASSERT_EQ(api->regions.size(), 2u);
  EXPECT_EQ(api->regions[0].name, "us-east-1");
  EXPECT_EQ(api->regions[0].failover, FailoverPolicy::kAutomatic);
  EXPECT_EQ(api->regions[1].name, "eu-west-1");
  EXPECT_EQ(api->regions[1].priority, 1);
  EXPECT_EQ(api->regions[1].failover, FailoverPolicy::kManualApproval);

  // The platform: the API is a managed app (its `release:` block is the release controller's),
  // so its slots get their endpoints from the replicas the runtime starts, none by hand.
  EXPECT_TRUE(api->managed);
  for (const auto& slot : api->slots) EXPECT_TRUE(slot.endpoints.empty());
  ASSERT_EQ(testing::healthOf(c).checks.size(), 4u);
  EXPECT_EQ(testing::healthOf(c).checks[0].name, "database");
  EXPECT_EQ(testing::healthOf(c).checks[1].name, "blockchain");
  EXPECT_EQ(testing::healthOf(c).checks[2].name, "health_checks.primary");
  EXPECT_TRUE(testing::healthOf(c).checks[2].check.tls);
  EXPECT_EQ(testing::healthOf(c).checks[2].address.toString(), "api.coinestate.io:443");
  EXPECT_EQ(testing::healthOf(c).checks[2].check.path, "/health");
  ASSERT_EQ(testing::trafficOf(c).sites.size(), 2u);
  EXPECT_EQ(testing::trafficOf(c).sites[1].static_site.root.substr(
                testing::trafficOf(c).sites[1].static_site.root.size() - 26),
            "/build/coinestate/frontend");
}

TEST(ExampleConfig, DemoYamlPointsTheSeedHealthChecksAtLoopback) {
  auto r = testing::loadAll(exampleDir() + "/demo.yaml");
  ASSERT_TRUE(r.ok()) << r.toString();
  const Config& c = *r.config;
  EXPECT_EQ(c.security_rules.size(), 3u);
  ASSERT_EQ(c.health_checks.size(), 2u);
  EXPECT_EQ(c.health_checks[0].endpoint, "http://127.0.0.1:8080/api/health");
  EXPECT_EQ(c.health_checks[1].endpoint, "http://127.0.0.1:9111/api/health");
  EXPECT_EQ(c.health_checks[1].failover, FailoverPolicy::kManualApproval);
  EXPECT_EQ(c.admin.address.toString(), "127.0.0.1:9901");
  EXPECT_EQ(c.admin.token_file, exampleDir() + "/demo-admin.token");
  EXPECT_EQ(c.listeners.at(0).address.toString(), "127.0.0.1:8080");
  // Started as root, the demo drops to "nobody", an account every Debian system has; the seed's
  // non_root_user stays in effect.
  EXPECT_EQ(c.server.user, "nobody");
  EXPECT_FALSE(c.server.allow_root);
  EXPECT_EQ(c.container_security.at("non_root_user"), "true");
  EXPECT_EQ(c.container_security.at("base_image"), "node:18-alpine");  // merged, not replaced
  for (const auto& check : testing::healthOf(c).checks)
    EXPECT_NE(check.address.host, "api.coinestate.io");
}

TEST(ExampleConfig, NonRootUserIsInEffect) {
  constexpr const char* kBlock = "container_security:\n  non_root_user: true\n";
  // Serving as root is allowed explicitly; the process runtime still never starts a release as
  // root (runtime/run_as.h), so nothing is reported.
  auto root = load(std::string("server: {allow_root: true}\n") + kBlock);
  ASSERT_TRUE(root.ok()) << root.toString();
  EXPECT_FALSE(hasWarning(root, "test.yaml:3:18", "non_root_user"));
  auto no_user = load(kBlock);
  ASSERT_TRUE(no_user.ok()) << no_user.toString();
  EXPECT_TRUE(hasWarning(no_user, "test.yaml:2:18",
                         "server.user is empty, so shipgate refuses "
                         "to start as root"));
  auto bad = load("container_security: {non_root_user: sometimes}\n");
  EXPECT_TRUE(hasDiag(bad, "test.yaml:1:37", "expected true or false"));
}

TEST(ExampleConfig, SeedBlocksAreValidated) {
  auto r = load(R"(security_rules:
  - {name: a, expression: "x", action: "ban"}
  - {name: b, expression: "x", action: "rate_limit"}
  - {name: c, expression: "x", action: "block", rate_limit: "100req/min"}
  - {name: d, expression: "x", action: "rate_limit", rate_limit: "lots"}
  - {name: a, expresion: "x", action: block}
health_checks:
  primary: {region: us-east-1, endpoint: "ftp://x", failover_policy: sometimes}
  other: {endpoint: "https://x/health"}
quality_gates: {coverage: [80]}
)");
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:40",
                      "\"ban\" is not one of block, challenge, log, skip, "
                      "allow or rate_limit"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:5", "action rate_limit needs rate_limit"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:61", "only applies to action \"rate_limit\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:66", "\"lots\" is not a rate such as \"100req/min\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:15",
                      "unknown key \"expresion\" in security_rules[4] (did "
                      "you mean \"expression\"?)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:5", "expression is required"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:5", "duplicate rule name \"a\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:8:42", "health_checks.primary.endpoint: bad URL"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:8:70",
                      "\"sometimes\" is not one of automatic or "
                      "manual_approval"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:9:3", "health_checks.other: region is required"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:10:27", "quality_gates.coverage: expected a string"));
  // "x" is not a field: the real engine compiles every expression.
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:28", "security_rules[0].expression: unknown field \"x\""));
  EXPECT_EQ(countErrors(r), 15) << r.toString();
}

}  // namespace
}  // namespace shipgate::config
