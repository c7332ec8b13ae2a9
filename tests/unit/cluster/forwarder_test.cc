// Which admin API calls a follower hands to the leader.
#include <gtest/gtest.h>

#include "shipgate/cluster/leader_forwarder.h"

namespace shipgate::cluster {
namespace {

TEST(LeaderForwarder, SharedCallsAreTheReleaseAndRoutingChangesAndTheirReads) {
  for (const char* p : {"/api/v1/deployments", "/api/v1/deployments/d-3/approve",
                        "/api/v1/deployments/d-3/reject", "/api/v1/apps/api/rollback",
                        "/api/v1/apps/api/switch", "/api/v1/apps/api/failover/approve"}) {
    EXPECT_TRUE(LeaderForwarder::isSharedCall("POST", p)) << p;
  }
  for (const char* p : {"/api/v1/deployments", "/api/v1/deployments/d-3",
                        "/api/v1/deployments/d-3/events", "/api/v1/apps/api/releases",
                        "/api/v1/incidents"}) {
    EXPECT_TRUE(LeaderForwarder::isSharedCall("GET", p)) << p;
  }
  for (const char* p : {"/api/v1/status", "/metrics", "/api/v1/reload", "/api/v1/secrets/x",
                        "/api/v1/deployments/d-3/approve/x", "/api/v1/apps/api"}) {
    EXPECT_FALSE(LeaderForwarder::isSharedCall("POST", p)) << p;
    EXPECT_FALSE(LeaderForwarder::isSharedCall("GET", p)) << p;
  }
  EXPECT_FALSE(LeaderForwarder::isSharedCall("DELETE", "/api/v1/deployments"));
}

}  // namespace
}  // namespace shipgate::cluster
