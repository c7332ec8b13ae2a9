// LeaderForwarder: which admin API calls a follower hands to the leader, and how (against a real
// PostgreSQL for the node registry and a real HTTP server standing in for the leader's admin API).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "shipgate/cluster/leader_forwarder.h"
#include "shipgate/cluster/node_registry.h"
#include "shipgate/cluster/pg_session.h"
#include "support/postgres_server.h"

namespace shipgate::cluster {
namespace {

TEST(LeaderForwarder, SharedCallsAreTheReleaseAndRoutingChangesAndTheirReads) {
  for (const char* p : {"/api/v1/deployments", "/api/v1/deployments/d-3/approve",
                        "/api/v1/deployments/d-3/reject", "/api/v1/apps/api/rollback",
                        "/api/v1/apps/api/switch", "/api/v1/apps/api/failover/approve",
                        "/api/v1/apps/api/releases"}) {
    EXPECT_TRUE(LeaderForwarder::isSharedCall("POST", p)) << p;
  }
  for (const char* p :
       {"/api/v1/deployments", "/api/v1/deployments/d-3", "/api/v1/deployments/d-3/events",
        "/api/v1/apps/api/releases", "/api/v1/incidents"}) {
    EXPECT_TRUE(LeaderForwarder::isSharedCall("GET", p)) << p;
  }
  for (const char* p : {"/api/v1/status", "/metrics", "/api/v1/reload", "/api/v1/secrets/x",
                        "/api/v1/deployments/d-3/approve/x", "/api/v1/apps/api"}) {
    EXPECT_FALSE(LeaderForwarder::isSharedCall("POST", p)) << p;
    EXPECT_FALSE(LeaderForwarder::isSharedCall("GET", p)) << p;
  }
  EXPECT_FALSE(LeaderForwarder::isSharedCall("DELETE", "/api/v1/deployments"));
}

admin::ForwardRequest deployCall() {
  admin::ForwardRequest r;
  r.method = "POST";
  r.target = "/api/v1/deployments";
  r.authorization = "Bearer t0k3n";
  r.actor = "alice";
  r.content_type = "application/json";
  r.body = R"({"app":"api","version":"v2"})";
  return r;
}

TEST(LeaderForwarder, AFollowerForwardsToTheLiveLeaderAndSays503WithoutOne) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());

  // The leader's admin API: echoes what it got.
  httplib::Server leader_api;
  leader_api.Post("/api/v1/deployments", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 202;
    res.set_content(req.get_header_value("Authorization") + "|" +
                        req.get_header_value("X-Shipgate-Actor") + "|" +
                        req.get_header_value("X-Shipgate-Forwarded-By") + "|" + req.body,
                    "text/plain");
  });
  const int port = leader_api.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { leader_api.listen_after_bind(); });

  bool follower_leads = false;
  bool leader_leads = true;
  RegistryOptions fo;
  fo.url = pg.url();
  fo.self = {"node-f", "http=127.0.0.1:1", "127.0.0.1:2", "0.1.0", wallMs(), 0, 0, false};
  fo.is_leader = [&] { return follower_leads; };
  NodeRegistry follower(fo);
  ASSERT_TRUE(follower.start().isOk());
  LeaderForwarder fwd(follower, "node-f", [&] { return follower_leads; });

  // No leader yet: 503, said plainly.
  auto none = fwd.forward(deployCall());
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->status, 503);
  EXPECT_NE(none->body.find("no cluster leader"), std::string::npos) << none->body;

  RegistryOptions lo = fo;
  lo.self = {
      "node-l", "http=127.0.0.1:3", "127.0.0.1:" + std::to_string(port), "0.1.0", wallMs(), 0, 0,
      false};
  lo.is_leader = [&] { return leader_leads; };
  NodeRegistry leader(lo);
  ASSERT_TRUE(leader.start().isOk());
  ASSERT_TRUE(leader.markLeader().isOk());

  auto got = fwd.forward(deployCall());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, 202);
  EXPECT_EQ(got->body, R"(Bearer t0k3n|alice|node-f|{"app":"api","version":"v2"})");

  // Local calls are answered here; a call forwarded once is not forwarded again.
  admin::ForwardRequest status = deployCall();
  status.method = "GET";
  status.target = "/api/v1/status";
  EXPECT_FALSE(fwd.forward(status).has_value());
  admin::ForwardRequest again = deployCall();
  again.forwarded_by = "node-x";
  auto loop = fwd.forward(again);
  ASSERT_TRUE(loop.has_value());
  EXPECT_EQ(loop->status, 503);

  // The leader itself answers everything.
  follower_leads = true;
  EXPECT_FALSE(fwd.forward(deployCall()).has_value());
  follower_leads = false;

  // A leader that does not answer: 502 naming it.
  leader_api.stop();
  serving.join();
  auto gone = fwd.forward(deployCall());
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->status, 502);
  EXPECT_NE(gone->body.find("node-l"), std::string::npos) << gone->body;
  leader.stop();
  follower.stop();
}

}  // namespace
}  // namespace shipgate::cluster
