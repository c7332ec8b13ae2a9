// The postgres and jsonrpc checkers against a real PostgreSQL server and real hardhat nodes, and
// `shipgate health`'s runAllChecks over a config naming all of them.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <memory>
#include <thread>

#include "http_server.h"
#include "shipgate/health/checker.h"
#include "shipgate/health/health_config.h"
#include "shipgate/health/report.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/traffic_config.h"
#include "support/hardhat_node.h"
#include "support/net.h"
#include "support/postgres_server.h"

namespace shipgate::health {
namespace {

using config::Millis;

// One PostgreSQL server and two hardhat nodes for the whole binary (they take seconds to start).
class Servers : public ::testing::Environment {
 public:
  static Servers* instance;
  void SetUp() override {
    pg = std::make_unique<testsupport::PostgresServer>();
    ASSERT_TRUE(pg->start());
    node_a = std::make_unique<testsupport::HardhatNode>();
    node_b = std::make_unique<testsupport::HardhatNode>();
    ASSERT_TRUE(node_a->start());
    ASSERT_TRUE(node_b->start());
  }
  void TearDown() override {
    node_b.reset();
    node_a.reset();
    pg.reset();
  }
  std::unique_ptr<testsupport::PostgresServer> pg;
  std::unique_ptr<testsupport::HardhatNode> node_a;
  std::unique_ptr<testsupport::HardhatNode> node_b;
};
Servers* Servers::instance = nullptr;

health::HealthCheckConfig pgCheck() {
  health::HealthCheckConfig c;
  c.kind = health::HealthKind::kPostgres;
  c.timeout = Millis(3000);
  return c;
}

health::HealthCheckConfig rpcCheck(std::vector<std::string> peers, int64_t max_lag = 5) {
  health::HealthCheckConfig c;
  c.kind = health::HealthKind::kJsonRpc;
  c.timeout = Millis(5000);
  c.peers = std::move(peers);
  c.max_lag_blocks = max_lag;
  return c;
}

config::HostPort hostPort(uint16_t port) { return {"127.0.0.1", port}; }

class ServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(Servers::instance, nullptr);
    ASSERT_TRUE(Servers::instance->pg && Servers::instance->node_a && Servers::instance->node_b)
        << "servers did not start";
  }
  testsupport::PostgresServer& pg() { return *Servers::instance->pg; }
  testsupport::HardhatNode& a() { return *Servers::instance->node_a; }
  testsupport::HardhatNode& b() { return *Servers::instance->node_b; }
};

TEST_F(ServersTest, PostgresAcceptingConnections) {
  CheckResult r = runCheck(pgCheck(), hostPort(pg().port()));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "accepting connections");
  // Like pg_isready, an unknown role still proves the server answers the startup handshake.
  auto c = pgCheck();
  c.pg_user = "nobody_here";
  c.pg_database = "nowhere";
  r = runCheck(c, hostPort(pg().port()));
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_F(ServersTest, PostgresPortWithoutServer) {
  // Something that is not PostgreSQL: a plain HTTP listener answers garbage to the handshake.
  testing::HttpServer http;
  http.start();
  CheckResult r = runCheck(pgCheck(), hostPort(http.port()));
  EXPECT_FALSE(r.ok);
  const uint16_t closed = testsupport::freePort();
  r = runCheck(pgCheck(), hostPort(closed));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "no response from 127.0.0.1:" + std::to_string(closed));
}

TEST_F(ServersTest, JsonRpcLagAgainstPeer) {
  const uint64_t start_a = a().blockNumber().value_or(0);
  const uint64_t start_b = b().blockNumber().value_or(0);
  // Level the two nodes first.
  if (start_a < start_b) {
    ASSERT_TRUE(a().mine(start_b - start_a));
  }
  if (start_b < start_a) {
    ASSERT_TRUE(b().mine(start_a - start_b));
  }
  const uint64_t level = std::max(start_a, start_b);

  CheckResult r = runCheck(rpcCheck({b().url()}), hostPort(a().port()));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "block " + std::to_string(level) + ", best peer " + std::to_string(level) +
                          " (" + b().url() + "), lag 0");

  ASSERT_TRUE(b().mine(12));
  r = runCheck(rpcCheck({b().url()}), hostPort(a().port()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "block " + std::to_string(level) + ", best peer " +
                          std::to_string(level + 12) + " (" + b().url() +
                          "): 12 blocks behind, more than 5");
  // The leader itself is fine, and a looser limit accepts the lag.
  EXPECT_TRUE(runCheck(rpcCheck({a().url()}), hostPort(b().port())).ok);
  EXPECT_TRUE(runCheck(rpcCheck({b().url()}, 12), hostPort(a().port())).ok);

  ASSERT_TRUE(a().mine(10));
  r = runCheck(rpcCheck({b().url()}), hostPort(a().port()));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_NE(r.detail.find("lag 2"), std::string::npos) << r.detail;
}

TEST_F(ServersTest, JsonRpcWithoutPeersAndWithDeadPeer) {
  CheckResult r = runCheck(rpcCheck({}), hostPort(a().port()));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "block " + std::to_string(a().blockNumber().value()));
  const std::string dead = "http://127.0.0.1:" + std::to_string(testsupport::freePort());
  r = runCheck(rpcCheck({dead}), hostPort(a().port()));
  EXPECT_TRUE(r.ok) << r.detail;  // the node is fine; the peer's trouble is only noted
  EXPECT_NE(r.detail.find("peer " + dead + " unreachable"), std::string::npos) << r.detail;
}

TEST_F(ServersTest, JsonRpcNotANode) {
  testing::HttpServer http;
  http.server().Post("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope"}})",
                    "application/json");
  });
  http.start();
  CheckResult r = runCheck(rpcCheck({}), hostPort(http.port()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "eth_blockNumber: JSON-RPC error: nope (code -32601)");
  const uint16_t closed = testsupport::freePort();
  r = runCheck(rpcCheck({}), hostPort(closed));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail.rfind("eth_blockNumber: ", 0), 0u) << r.detail;
}

TEST_F(ServersTest, RunAllChecksCoversEverySource) {
  testing::HttpServer api;
  api.server().Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  api.start();
  config::Config cfg;
  traffic::AppConfig app;
  app.name = "api";
  traffic::EndpointConfig blue, green;
  blue.address = hostPort(api.port());
  green.address = hostPort(testsupport::freePort());  // nothing there
  app.slots[0].endpoints.push_back(blue);
  app.slots[1].endpoints.push_back(green);
  health::HealthCheckConfig hc;
  hc.kind = health::HealthKind::kHttp;
  hc.path = "/health";
  hc.timeout = Millis(2000);
  app.health = hc;
  traffic::trafficConfigForTest(cfg).apps.push_back(app);
  traffic::AppConfig unchecked;  // no health config: no rows
  unchecked.name = "static-ish";
  unchecked.slots[0].endpoints.push_back(blue);
  traffic::trafficConfigForTest(cfg).apps.push_back(unchecked);

  health::ComponentCheck db;
  db.name = "database";
  db.target = pg().url();
  db.address = hostPort(pg().port());
  db.check = pgCheck();
  health::healthConfigForTest(cfg).checks.push_back(db);
  health::ComponentCheck chain;
  chain.name = "blockchain";
  chain.target = a().url();
  chain.address = hostPort(a().port());
  chain.check = rpcCheck({b().url()}, 1'000'000);
  health::healthConfigForTest(cfg).checks.push_back(chain);
  config::RegionHealthCheck primary;
  primary.name = "primary";
  primary.region = "us-east-1";
  primary.endpoint = "http://127.0.0.1:" + std::to_string(api.port()) + "/health";
  cfg.health_checks.push_back(primary);

  // The loader's form of a health_checks entry: also a component check; it is run once.
  config::RegionHealthCheck secondary;
  secondary.name = "secondary";
  secondary.region = "eu-west-1";
  secondary.endpoint = "http://127.0.0.1:" + std::to_string(api.port()) + "/health";
  cfg.health_checks.push_back(secondary);
  health::ComponentCheck secondary_check;
  secondary_check.name = "health_checks.secondary";
  secondary_check.target = secondary.endpoint;
  secondary_check.address = hostPort(api.port());
  secondary_check.check.kind = health::HealthKind::kHttp;
  secondary_check.check.path = "/health";
  health::healthConfigForTest(cfg).checks.push_back(secondary_check);

  auto rows = runAllChecks(cfg, traffic::appTargets(cfg));
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].component, "app api/blue");
  EXPECT_TRUE(rows[0].ok) << rows[0].detail;
  EXPECT_EQ(rows[1].component, "app api/green");
  EXPECT_FALSE(rows[1].ok);
  EXPECT_EQ(rows[2].component, "database");
  EXPECT_EQ(rows[2].kind, "postgres");
  EXPECT_TRUE(rows[2].ok) << rows[2].detail;
  EXPECT_EQ(rows[3].component, "blockchain");
  EXPECT_TRUE(rows[3].ok) << rows[3].detail;
  EXPECT_EQ(rows[4].component, "health_checks.secondary");
  EXPECT_TRUE(rows[4].ok) << rows[4].detail;
  EXPECT_EQ(rows[5].component, "health_checks.primary (us-east-1)");
  EXPECT_TRUE(rows[5].ok) << rows[5].detail;
  EXPECT_FALSE(allOk(rows));

  const std::string table = renderTable(rows);
  EXPECT_NE(table.find("database"), std::string::npos) << table;
  EXPECT_NE(table.find("accepting connections"), std::string::npos) << table;
  EXPECT_NE(table.find("FAIL"), std::string::npos) << table;
  auto json = renderJson(rows);
  EXPECT_FALSE(json["ok"].get<bool>());
  EXPECT_EQ(json["checks"].size(), 6u);
  std::cout << table;
}

TEST_F(ServersTest, PostgresShuttingDownThenDown) {
  // Runs last in this file: it stops the shared server.
  const uint16_t port = pg().port();
  ASSERT_TRUE(runCheck(pgCheck(), hostPort(port)).ok);
  // A smart shutdown waits for open sessions and meanwhile rejects new ones (SQLSTATE 57P03):
  // pg_isready's "rejecting connections", which still counts as the server being up.
  PGconn* session = PQconnectdb(pg().connectionString().c_str());
  ASSERT_EQ(PQstatus(session), CONNECTION_OK) << PQerrorMessage(session);
  ASSERT_EQ(::kill(pg().pid(), SIGTERM), 0);
  CheckResult r;
  for (int i = 0; i < 200; ++i) {
    r = runCheck(pgCheck(), hostPort(port));
    if (r.detail.find("rejecting") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "server up, rejecting connections (starting up, shutting down or recovery)");
  PQfinish(session);  // the last session ends: the server exits
  for (int i = 0; i < 400; ++i) {
    r = runCheck(pgCheck(), hostPort(port));
    if (!r.ok) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "no response from 127.0.0.1:" + std::to_string(port));
  pg().stop();
}

}  // namespace
}  // namespace shipgate::health

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  shipgate::health::Servers::instance = new shipgate::health::Servers;
  ::testing::AddGlobalTestEnvironment(shipgate::health::Servers::instance);  // gtest owns it
  return RUN_ALL_TESTS();
}
