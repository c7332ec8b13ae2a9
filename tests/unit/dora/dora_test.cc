// DORA metrics on a seeded SqliteStateStore: every figure below is computed by hand from the
// records the fixture writes (times in ms; the window is the 30 days ending at day 100).
#include "shipgate/dora/dora.h"

#include <gtest/gtest.h>

#include "shipgate/store/sqlite_state_store.h"
#include "support/paths.h"

namespace shipgate::dora {
namespace {

constexpr int64_t kMin = 60LL * 1000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;

class DoraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok()) << dir_.error();
    auto s = store::SqliteStateStore::open(dir_.path());
    ASSERT_TRUE(s.isOk()) << s.status().toString();
    store_ = std::move(s).value();
    for (const char* env : {"production", "staging"}) {
      ASSERT_TRUE(store_->upsertEnvironment({env, false, 0, true, 0, 1}).isOk());
    }
    ASSERT_TRUE(store_->upsertApp({"web", "production", "process", 1}).isOk());
    ASSERT_TRUE(store_->upsertApp({"docs", "staging", "static", 1}).isOk());
  }

  void release(const std::string& app, const std::string& version, int64_t commit_time) {
    store::ReleaseRecord r;
    r.app = app;
    r.version = version;
    r.artifact = "/tmp/a";
    r.commit_time = commit_time;
    r.created_at = 1;
    ASSERT_TRUE(store_->createRelease(r).isOk());
  }

  void deploy(const std::string& id, const std::string& app, const std::string& env,
              const std::string& version, store::DeploymentState state, int64_t finished_at,
              store::DeploymentKind kind = store::DeploymentKind::kDeploy) {
    store::DeploymentRecord d;
    d.id = id;
    d.app = app;
    d.environment = env;
    d.version = version;
    d.kind = kind;
    d.state = state;
    d.created_at = finished_at - 10 * kMin;
    d.updated_at = finished_at;
    d.finished_at = finished_at;
    auto created = store_->createDeployment(d);
    ASSERT_TRUE(created.isOk()) << created.status().toString();
  }

  void incident(const std::string& app, const std::string& deployment, int64_t opened,
                int64_t resolved) {
    store::IncidentRecord i;
    i.app = app;
    i.deployment_id = deployment;
    i.cause = "error_rate";
    i.opened_at = opened;
    auto id = store_->openIncident(i);
    ASSERT_TRUE(id.isOk()) << id.status().toString();
    if (resolved != 0) {
      ASSERT_TRUE(store_->resolveIncident(*id, resolved).isOk());
    }
  }

  void seed() {
    using S = store::DeploymentState;
    release("web", "v1", 75 * kDay - 1 * kHour);
    release("web", "v2", 80 * kDay - 3 * kHour);
    release("web", "v3", 85 * kDay - 2 * kHour);
    release("web", "v4", 90 * kDay - 30 * kMin);
    release("web", "v5", 60 * kDay - 1 * kHour);
    release("web", "v6", 0);  // no commit time
    release("docs", "s1", 91 * kDay - 1 * kHour);
    deploy("d1", "web", "production", "v1", S::kSucceeded, 75 * kDay);   // lead 1 h
    deploy("d2", "web", "production", "v2", S::kSucceeded, 80 * kDay);   // lead 3 h
    deploy("d3", "web", "production", "v3", S::kRolledBack, 85 * kDay);  // failed change
    deploy("d4", "web", "production", "v4", S::kSucceeded, 90 * kDay);   // lead 30 min; incident
    deploy("d5", "web", "production", "v5", S::kSucceeded, 60 * kDay);   // before the window
    deploy("d6", "web", "production", "v6", S::kFailed, 92 * kDay);      // never reached traffic
    deploy("d7", "docs", "staging", "s1", S::kSucceeded, 91 * kDay);     // another environment
    deploy("d8", "web", "production", "v1", S::kSucceeded, 86 * kDay,
           store::DeploymentKind::kRollback);                            // not a change
    incident("web", "d4", 90 * kDay, 90 * kDay + 10 * kMin);             // 10 min
    incident("web", "", 95 * kDay, 95 * kDay + 40 * kMin);               // 40 min
    incident("web", "", 96 * kDay, 0);                                   // open
    incident("docs", "", 95 * kDay, 95 * kDay + 5 * kHour);              // staging
    incident("web", "", 50 * kDay, 50 * kDay + 1 * kMin);                // before the window
  }

  testsupport::TempDir dir_{"dora-test"};
  std::unique_ptr<store::SqliteStateStore> store_;
};

TEST_F(DoraTest, ProductionOverThirtyDays) {
  seed();
  DoraOptions o;
  o.now_ms = 100 * kDay;
  auto r = computeDora(*store_, o);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->changes, 4);         // d1 d2 d3 d4
  EXPECT_EQ(r->successful, 3);      // d1 d2 d4
  EXPECT_EQ(r->failed_changes, 2);  // d3 rolled back, d4 named by an incident
  EXPECT_DOUBLE_EQ(r->deployments_per_week, 3.0 * 7 / 30);  // 0.7
  EXPECT_EQ(r->frequency_band, Band::kMedium);
  EXPECT_FALSE(r->frequency_met);
  EXPECT_EQ(r->lead_time_median_ms, std::optional<int64_t>(1 * kHour));  // {30m, 1h, 3h}
  EXPECT_EQ(r->lead_time_p90_ms, std::optional<int64_t>(3 * kHour));
  EXPECT_EQ(r->lead_time_band, std::optional<Band>(Band::kElite));
  EXPECT_TRUE(r->lead_time_met);
  EXPECT_EQ(r->incidents_resolved, 2);
  EXPECT_EQ(r->incidents_open, 1);
  EXPECT_EQ(r->restore_mean_ms, std::optional<int64_t>(25 * kMin));    // (10 + 40) / 2
  EXPECT_EQ(r->restore_median_ms, std::optional<int64_t>(10 * kMin));  // nearest rank
  EXPECT_EQ(r->restore_band, std::optional<Band>(Band::kElite));
  EXPECT_FALSE(r->restore_met);  // mean 25 min, target < 15 min
  EXPECT_EQ(r->change_failure_rate, std::optional<double>(0.5));
  EXPECT_EQ(r->failure_band, std::optional<Band>(Band::kLow));
  EXPECT_FALSE(r->failure_met);
}

TEST_F(DoraTest, StagingAndShortWindow) {
  seed();
  DoraOptions o;
  o.environment = "staging";
  o.now_ms = 100 * kDay;
  o.window_ms = 7 * kDay;  // (93d, 100d]: no staging deployment, the staging incident
  auto r = computeDora(*store_, o);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->changes, 0);
  EXPECT_EQ(r->change_failure_rate, std::nullopt);
  EXPECT_EQ(r->lead_time_median_ms, std::nullopt);
  EXPECT_EQ(r->frequency_band, Band::kLow);
  EXPECT_EQ(r->restore_mean_ms, std::optional<int64_t>(5 * kHour));
  EXPECT_EQ(r->restore_band, std::optional<Band>(Band::kHigh));
}

TEST_F(DoraTest, EmptyStoreAndBadOptions) {
  DoraOptions o;
  o.now_ms = 100 * kDay;
  auto r = computeDora(*store_, o);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->changes, 0);
  EXPECT_EQ(r->deployments_per_week, 0);
  EXPECT_EQ(r->restore_mean_ms, std::nullopt);
  o.now_ms = 0;
  EXPECT_FALSE(computeDora(*store_, o).isOk());
}

// A rollback fails the change it undid (its previous_version), not an earlier deploy of the same
// version, and a rollback asked before a deploy finished undoes nothing of it.
TEST_F(DoraTest, RollbackFailsTheChangeItUndid) {
  using S = store::DeploymentState;
  release("web", "v1", 0);
  release("web", "v2", 0);
  deploy("a", "web", "production", "v1", S::kSucceeded, 80 * kDay);
  deploy("b", "web", "production", "v2", S::kSucceeded, 81 * kDay);
  deploy("c", "web", "production", "v1", S::kSucceeded, 82 * kDay);
  deploy("d", "web", "production", "v2", S::kSucceeded, 83 * kDay);
  store::DeploymentRecord rb;  // emergency rollback from v2 (d) to v1, asked at day 84
  rb.id = "e";
  rb.app = "web";
  rb.environment = "production";
  rb.version = "v1";
  rb.previous_version = "v2";
  rb.kind = store::DeploymentKind::kEmergencyRollback;
  rb.state = S::kSucceeded;
  rb.created_at = 84 * kDay;
  rb.updated_at = rb.finished_at = 84 * kDay + kMin;
  ASSERT_TRUE(store_->createDeployment(rb).isOk());
  DoraOptions o;
  o.now_ms = 100 * kDay;
  auto r = computeDora(*store_, o);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->changes, 4);          // a b c d (the rollback is not a change)
  EXPECT_EQ(r->failed_changes, 1);   // d only: b was not the one undone
  EXPECT_EQ(r->change_failure_rate, std::optional<double>(0.25));
}

TEST(DoraPercentile, NearestRank) {
  EXPECT_EQ(percentile({}, 50), std::nullopt);
  EXPECT_EQ(percentile({5}, 90), std::optional<int64_t>(5));
  EXPECT_EQ(percentile({4, 1, 3, 2}, 50), std::optional<int64_t>(2));
  EXPECT_EQ(percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90), std::optional<int64_t>(9));
}

}  // namespace
}  // namespace shipgate::dora
