// Good configs: every section maps onto the model, defaults survive, warnings are located.
#include <gtest/gtest.h>

#include "unit/config/test_util.h"

namespace shipgate::config {
namespace {

using testing::hasWarning;
using testing::load;

constexpr const char* kFull = R"(server:
  workers: 3
  user: shipgate
  limits: {max_header_bytes: 8KiB, max_body_bytes: 1MiB, header_timeout: 500ms,
           idle_timeout: 1m30s, max_connections: 64}
  log: {access_log: yes, access_log_path: logs/access.log, level: debug}
listeners:
  - {name: http, address: "127.0.0.1:0"}
  - name: https
    address: "[::1]:8443"
    tls: [{cert: certs/a.pem, key: certs/a.key}, {cert: /etc/b.pem, key: /etc/b.key}]
admin: {address: "127.0.0.1:9901", token_file: admin.token}
sites:
  - {name: web, hosts: ["App.Example.com", "*.example.com"], path_prefix: /, redirect_https: true,
     https_port: 8443, static: {root: /tmp, spa_fallback: true, html_max_age: 2m, index: main.html}}
  - {name: api, path_prefix: /v1/, app: api}
apps:
  api:
    balance: least_request
    active_slot: green
    weights: {blue: 90, green: 10}
    sticky: {cookie: pick, ttl: 2h}
    connect_timeout: 250ms
    read_timeout: 5s
    retry_idempotent: false
    min_healthy_fraction: 0.5
    regions: {us: {priority: 0}, eu: {priority: 1, failover_policy: manual_approval}}
    health: {path: /v1/health, interval: 2s, jitter: 0, timeout: 1s, rise: 1, fall: 2,
             expect_status: [200, 204], expect_body: ok}
    outlier: {consecutive_5xx: 7, base_ejection: 10s, max_ejection: 1m, max_ejection_percent: 30}
    slots:
      blue: [{address: "127.0.0.1:9101", region: us}, {address: "127.0.0.1:9111", region: eu}]
      green: [{address: "127.0.0.1:9102", region: us, weight: 3}]
checks:
  - {name: db, kind: postgres, target: "127.0.0.1:55432", user: app, database: appdb}
  - {name: chain, kind: jsonrpc, target: "https://rpc.example:8545/v2", max_lag_blocks: 9,
     peers: ["http://127.0.0.1:8546"]}
  - {name: disk, kind: exec, command: ["/bin/true", "x"], interval: 10s}
  - {name: sh, kind: exec, command: "test -d /"}
)";

TEST(ConfigLoader, MapsEverySectionOntoTheModel) {
  auto r = loadString(kFull, "/etc/shipgate/main.yaml", testing::allSections());
  ASSERT_TRUE(r.ok()) << r.toString();
  const Config& c = *r.config;
  EXPECT_EQ(c.source_file, "/etc/shipgate/main.yaml");
  EXPECT_EQ(c.server.workers, 3);
  EXPECT_EQ(c.server.user, "shipgate");
  EXPECT_EQ(c.server.limits.max_header_bytes, 8192u);
  EXPECT_EQ(c.server.limits.max_body_bytes, 1024u * 1024);
  EXPECT_EQ(c.server.limits.header_timeout.count(), 500);
  EXPECT_EQ(c.server.limits.idle_timeout.count(), 90'000);
  EXPECT_EQ(c.server.limits.body_timeout.count(), 60'000);  // default kept
  EXPECT_EQ(c.server.limits.max_connections, 64u);
  EXPECT_TRUE(c.server.log.access_log);
  EXPECT_EQ(c.server.log.access_log_path, "/etc/shipgate/logs/access.log");
  EXPECT_EQ(c.server.log.level, LogLevel::kDebug);

  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[0].address.port, 0);
  EXPECT_FALSE(c.listeners[0].isTls());
  EXPECT_EQ(c.listeners[0].where.toString(), "/etc/shipgate/main.yaml:8:5");
  EXPECT_EQ(c.listeners[1].address.host, "::1");
  ASSERT_EQ(c.listeners[1].tls.size(), 2u);
  EXPECT_EQ(c.listeners[1].tls[0].cert_file, "/etc/shipgate/certs/a.pem");
  EXPECT_EQ(c.listeners[1].tls[1].key_file, "/etc/b.key");

  EXPECT_TRUE(c.admin.enabled);
  EXPECT_EQ(c.admin.token_file, "/etc/shipgate/admin.token");

  ASSERT_EQ(testing::trafficOf(c).sites.size(), 2u);
  EXPECT_EQ(testing::trafficOf(c).sites[0].kind, SiteKind::kStatic);
  EXPECT_EQ(testing::trafficOf(c).sites[0].hosts,
            (std::vector<std::string>{"app.example.com", "*.example.com"}));
  EXPECT_TRUE(testing::trafficOf(c).sites[0].redirect_https);
  EXPECT_EQ(testing::trafficOf(c).sites[0].https_port, 8443);
  EXPECT_EQ(testing::trafficOf(c).sites[0].static_site.root, "/tmp");
  EXPECT_TRUE(testing::trafficOf(c).sites[0].static_site.spa_fallback);
  EXPECT_EQ(testing::trafficOf(c).sites[0].static_site.html_max_age_s, 120);
  EXPECT_EQ(testing::trafficOf(c).sites[0].static_site.index, "main.html");
  EXPECT_EQ(testing::trafficOf(c).sites[1].kind, SiteKind::kApp);
  EXPECT_EQ(testing::trafficOf(c).sites[1].app, "api");
  EXPECT_TRUE(testing::trafficOf(c).sites[1].hosts.empty());

  const AppConfig* app = testing::trafficOf(c).findApp("api");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->balance, Balance::kLeastRequest);
  EXPECT_EQ(app->active_slot, Slot::kGreen);
  ASSERT_TRUE(app->weights.has_value());
  EXPECT_EQ((*app->weights)[0], 90);
  EXPECT_EQ((*app->weights)[1], 10);
  EXPECT_TRUE(app->sticky.enabled);
  EXPECT_EQ(app->sticky.cookie, "pick");
  EXPECT_EQ(app->sticky.ttl_s, 7200);
  EXPECT_EQ(app->connect_timeout.count(), 250);
  EXPECT_FALSE(app->retry_idempotent);
  EXPECT_DOUBLE_EQ(app->min_healthy_fraction, 0.5);
  ASSERT_EQ(app->regions.size(), 2u);
  EXPECT_EQ(app->regions[1].name, "eu");
  EXPECT_EQ(app->regions[1].priority, 1);
  EXPECT_EQ(app->regions[1].failover, FailoverPolicy::kManualApproval);
  ASSERT_TRUE(app->health.has_value());
  EXPECT_EQ(app->health->kind, HealthKind::kHttp);
  EXPECT_EQ(app->health->path, "/v1/health");
  EXPECT_EQ(app->health->expect_status, (std::vector<int>{200, 204}));
  EXPECT_EQ(app->health->expect_body, "ok");
  EXPECT_EQ(app->health->rise, 1);
  EXPECT_EQ(app->outlier.consecutive_5xx, 7);
  EXPECT_EQ(app->outlier.consecutive_gateway_failures, 3);  // default kept
  EXPECT_EQ(app->outlier.max_ejection.count(), 60'000);
  ASSERT_EQ(app->slots[0].endpoints.size(), 2u);
  EXPECT_EQ(app->slots[0].endpoints[1].region, "eu");
  EXPECT_EQ(app->slots[0].endpoints[1].where.toString(), "/etc/shipgate/main.yaml:32:55");
  EXPECT_EQ(app->slots[1].endpoints[0].weight, 3);

  ASSERT_EQ(testing::healthOf(c).checks.size(), 4u);
  EXPECT_EQ(testing::healthOf(c).checks[0].check.kind, HealthKind::kPostgres);
  EXPECT_EQ(testing::healthOf(c).checks[0].address.port, 55432);
  EXPECT_EQ(testing::healthOf(c).checks[0].check.pg_user, "app");
  EXPECT_EQ(testing::healthOf(c).checks[0].check.pg_database, "appdb");
  EXPECT_EQ(testing::healthOf(c).checks[1].check.kind, HealthKind::kJsonRpc);
  EXPECT_TRUE(testing::healthOf(c).checks[1].check.tls);
  EXPECT_EQ(testing::healthOf(c).checks[1].check.path, "/v2");
  EXPECT_EQ(testing::healthOf(c).checks[1].address.toString(), "rpc.example:8545");
  EXPECT_EQ(testing::healthOf(c).checks[1].check.max_lag_blocks, 9);
  EXPECT_EQ(testing::healthOf(c).checks[2].check.command,
            (std::vector<std::string>{"/bin/true", "x"}));
  EXPECT_EQ(testing::healthOf(c).checks[3].check.command,
            (std::vector<std::string>{"/bin/sh", "-c", "test -d /"}));
}

TEST(ConfigLoader, EmptyDocumentGivesDefaults) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_FALSE(r.config->admin.enabled);  // no admin block: admin API off
  EXPECT_EQ(r.config->server.limits.max_header_bytes, 16u * 1024);
}

TEST(ConfigLoader, AcceptsShorthands) {
  auto r = load(R"(server: {workers: auto}
listeners: [{address: ":8080"}]
apps:
  a: {sticky: false, slots: {blue: ["127.0.0.1:1", "localhost:2"]}}
sites: [{name: s, hosts: "*", app: a}]
x-anchors: {anything: [goes]}
)");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(r.config->server.workers, 0);
  EXPECT_EQ(r.config->listeners[0].name, "listener-0");
  EXPECT_EQ(r.config->listeners[0].address.host, "*");
  EXPECT_EQ(testing::trafficOf(*r.config).apps[0].slots[0].endpoints[1].address.host, "localhost");
  EXPECT_TRUE(testing::trafficOf(*r.config).sites[0].hosts.empty());
}

TEST(ConfigLoader, MergeKeysAndXAnchors) {
  auto r = load(R"(x-health: &health {path: /v1/health, interval: 2s, rise: 4}
apps:
  a:
    health: {<<: *health, rise: 1}
    slots: {blue: ["127.0.0.1:1"]}
  b:
    health: {<<: [*health], path: /b}
    slots: {blue: ["127.0.0.1:2"]}
)");
  ASSERT_TRUE(r.ok()) << r.toString();
  const auto& a = *testing::trafficOf(*r.config).findApp("a")->health;
  EXPECT_EQ(a.path, "/v1/health");
  EXPECT_EQ(a.interval.count(), 2000);
  EXPECT_EQ(a.rise, 1);  // written explicitly: wins over the merged map
  EXPECT_EQ(testing::trafficOf(*r.config).findApp("b")->health->path, "/b");
  EXPECT_EQ(testing::trafficOf(*r.config).findApp("b")->health->rise, 4);
  auto bad = load("x-x: &x [1]\nserver: {<<: *x}\n");
  EXPECT_TRUE(testing::hasDiag(bad, "test.yaml:1:10",
                               "\"<<\" merges a map (or a list of "
                               "maps), not a scalar"));
  EXPECT_EQ(testing::countErrors(bad), 1) << bad.toString();
}

TEST(ConfigLoader, WarningsAreLocatedAndCopiedIntoTheConfig) {
  auto r = load(R"(listeners: [{address: "127.0.0.1:1", tls: {cert: nope.pem, key: /nope.key}}]
apps:
  a:
    sticky: true
    health: {kind: tcp, path: /x, interval: 1s, timeout: 2s}
    slots: {blue: ["127.0.0.1:2"]}
sites: [{name: s, static: {root: /nonexistent-shipgate-root}, redirect_https: true}]
)");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_TRUE(hasWarning(r, "test.yaml:1:50", "certificate"));
  EXPECT_TRUE(hasWarning(r, "test.yaml:1:65", "key file \"/nope.key\" does not exist"));
  EXPECT_TRUE(hasWarning(r, "test.yaml:4:13", "sticky has no effect without weights"));
  EXPECT_TRUE(hasWarning(r, "test.yaml:5:25", "apps.a.health.path has no effect for kind tcp"));
  EXPECT_TRUE(hasWarning(r, "test.yaml:5:58", "timeout is longer than interval"));
  EXPECT_TRUE(hasWarning(r, "test.yaml:7:34", "does not exist yet"));
  EXPECT_EQ(r.config->warnings.size(), r.diagnostics.size());
  // File order.
  for (size_t i = 1; i < r.diagnostics.size(); ++i) {
    const auto& a = r.diagnostics[i - 1].where;
    const auto& b = r.diagnostics[i].where;
    EXPECT_TRUE(a.line < b.line || (a.line == b.line && a.column <= b.column)) << r.toString();
  }
}

TEST(ConfigLoader, StaticRootIsRelativeToTheConfigFile) {
  auto r = loadString("sites: [{name: s, static: {root: ../www}}]\n", "/srv/conf/x.yaml",
                      testing::allSections());
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(testing::trafficOf(*r.config).sites[0].static_site.root, "/srv/www");
  EXPECT_TRUE(hasWarning(r, "/srv/conf/x.yaml:1:34", "\"/srv/www\" does not exist yet"));
  EXPECT_TRUE(hasWarning(r, "/srv/conf/x.yaml:1:1", "no listeners"));
}

TEST(ConfigLoader, SendTimeoutAndResponseBuffer) {
  auto defaults = load("listeners: [{name: http, address: \"127.0.0.1:0\"}]\n");
  ASSERT_TRUE(defaults.ok()) << defaults.toString();
  EXPECT_EQ(defaults.config->server.limits.send_timeout.count(), 60'000);
  EXPECT_EQ(defaults.config->server.limits.response_buffer_bytes, 64u * 1024);
  auto r = load(
      "server: {limits: {send_timeout: 5s, response_buffer_bytes: 16KiB}}\n"
      "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(r.config->server.limits.send_timeout.count(), 5'000);
  EXPECT_EQ(r.config->server.limits.response_buffer_bytes, 16u * 1024);
}

// apps, sites and checks belong to the areas (kAreaSections): a load without their validators
// (a client command that only needs admin:) accepts and ignores them; with them, each area keeps
// its typed section in Config::sections, and a misspelt one still gets a hint.
TEST(ConfigLoader, AreaSectionsAreReadByTheirValidators) {
  const std::string yaml =
      "listeners: [{address: \"127.0.0.1:0\"}]\n"
      "apps: {api: {slots: {blue: [\"127.0.0.1:9101\"]}, health: {path: /up}}}\n"
      "sites: [{name: web, app: api}]\n"
      "checks: [{name: db, kind: tcp, target: \"127.0.0.1:5432\"}]\n";
  auto plain = loadString(yaml, "test.yaml");
  ASSERT_TRUE(plain.ok()) << plain.toString();
  EXPECT_TRUE(plain.config->sections.empty());

  auto r = loadString(yaml, "test.yaml", testing::allSections());
  ASSERT_TRUE(r.ok()) << r.toString();
  const AppConfig* api = testing::trafficOf(*r.config).findApp("api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->health->path, "/up");
  EXPECT_EQ(testing::trafficOf(*r.config).sites[0].kind, SiteKind::kApp);
  ASSERT_EQ(testing::healthOf(*r.config).checks.size(), 1u);
  EXPECT_EQ(testing::healthOf(*r.config).checks[0].check.kind, HealthKind::kTcp);

  EXPECT_TRUE(testing::hasDiag(loadString("aps: {}\n", "test.yaml"), "test.yaml:1:1",
                               "unknown key \"aps\" at the top level (did you mean \"apps\"?)"));
}

}  // namespace
}  // namespace shipgate::config
