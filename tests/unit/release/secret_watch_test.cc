// SecretChangeWatcher on the release controller's bench (real state store, fake gateway and
// runtime) and a real secrets store: a secret newer than the one the live slot started with
// redeploys the live version as actor "secrets", once per change; nothing happens without a
// change, without a live release, or without restart_on_secret_change; a running deployment
// makes it wait. Also the controller's redeploy rules.
#include "shipgate/release/secret_watch.h"

#include <gtest/gtest.h>

#include "controller_fixture.h"
#include "shipgate/secrets/root_key.h"
#include "shipgate/secrets/secrets_store.h"
#include "shipgate/secrets/sqlite_secrets_backend.h"

namespace shipgate::release {
namespace {

using testing::Bench;

const char* kWatchConfig = R"(
listeners:
  - {name: public, address: "127.0.0.1:0"}
environments:
  staging: {approval: none, bake: 2m, scale_down_delay: 1m}
apps:
  web:
    environment: staging
    release:
      restart_on_secret_change: true
      runtime: {kind: process, command: "./web --port {port}", ports: "9300-9399",
                env: {DATABASE_URL: "secret:/web/db/url"}}
  other:
    environment: staging
    release:
      runtime: {kind: process, command: "./other --port {port}", ports: "9400-9499",
                env: {DATABASE_URL: "secret:/web/db/url"}}
)";

class SecretWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto backend = secrets::SqliteSecretsBackend::open(dir_.path());
    ASSERT_TRUE(backend.isOk()) << backend.status().message();
    auto store =
        secrets::SecretsStore::open(std::move(backend).value(), secrets::RootKey::random(), clock_);
    ASSERT_TRUE(store.isOk());
    store_ = std::move(store).value();
    put();  // version 1
    watcher_ = std::make_unique<SecretChangeWatcher>(
        bench_.c(), bench_.gateway(), *store_,
        [this](const std::string& app, const std::string& slot) {
          auto it = used_.find({app, slot});
          return it == used_.end() ? std::map<std::string, int64_t>() : it->second;
        });
  }

  void put() {
    ASSERT_TRUE(store_->put("alice", "/web/db/url", secrets::SecretBytes::copyOf("v")).isOk());
  }
  std::string liveSlot(const std::string& app) {
    auto r = bench_.c().releases(app);
    return r.isOk() && (*r)["live_slot"].is_string() ? (*r)["live_slot"].get<std::string>() : "";
  }
  std::vector<nlohmann::json> deployments(const std::string& app) {
    auto r = bench_.c().deployments(app, 100);
    std::vector<nlohmann::json> out;
    if (r.isOk()) {
      for (const auto& d : (*r)["deployments"]) out.push_back(d);
    }
    return out;
  }

  testsupport::TempDir dir_{"shipgate-secret-watch"};
  SimulatedClock clock_;
  Bench bench_{kWatchConfig};
  std::unique_ptr<secrets::SecretsStore> store_;
  std::map<std::pair<std::string, std::string>, std::map<std::string, int64_t>> used_;
  std::unique_ptr<SecretChangeWatcher> watcher_;
};

TEST_F(SecretWatchTest, ANewVersionRedeploysTheLiveVersionOnce) {
  EXPECT_EQ(watcher_->pollOnce(), 0);  // nothing live yet
  bench_.deployAndFinish("web", "1.0.0");
  bench_.deployAndFinish("other", "1.0.0");
  const std::string slot = liveSlot("web");
  ASSERT_FALSE(slot.empty());
  used_[{"web", slot}] = {{"/web/db/url", 1}};
  used_[{"other", liveSlot("other")}] = {{"/web/db/url", 1}};
  EXPECT_EQ(watcher_->pollOnce(), 0);  // the live slot has the current version

  put();  // version 2
  EXPECT_EQ(watcher_->pollOnce(), 1);
  auto web = deployments("web");
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(web[0]["actor"], "secrets");
  EXPECT_EQ(web[0]["version"], "1.0.0");
  EXPECT_EQ(web[0]["previous_version"], "1.0.0");
  EXPECT_EQ(web[0]["reason"], "secret /web/db/url changed (version 2)");
  // Without restart_on_secret_change, "other" is left alone.
  EXPECT_EQ(deployments("other").size(), 1u);
  // While it runs, and after it (the fake runtime records no versions), no second redeploy for
  // the same change.
  EXPECT_EQ(watcher_->pollOnce(), 0);
  const std::string id = web[0]["id"];
  ASSERT_TRUE(bench_.driveToState(id, "succeeded", std::chrono::seconds(10)))
      << bench_.deployment(id).dump(2);
  EXPECT_NE(liveSlot("web"), slot);
  EXPECT_EQ(watcher_->pollOnce(), 0);
  EXPECT_EQ(deployments("web").size(), 2u);

  // The audit log has it as a redeploy by "secrets".
  auto audit = bench_.store().listAudit(0, 1000);
  ASSERT_TRUE(audit.isOk());
  int redeploys = 0;
  for (const auto& a : *audit) {
    if (a.action == "redeploy") {
      ++redeploys;
      EXPECT_EQ(a.actor, "secrets");
      EXPECT_EQ(a.subject, id);
      EXPECT_EQ(a.reason, "secret /web/db/url changed (version 2)");
    }
  }
  EXPECT_EQ(redeploys, 1);
}

TEST_F(SecretWatchTest, ARunningDeploymentMakesItWait) {
  bench_.deployAndFinish("web", "1.0.0");
  used_[{"web", liveSlot("web")}] = {{"/web/db/url", 1}};
  put();
  // A deployment of another version is under way (approval none: it runs at once).
  DeployRequest req;
  req.app = "web";
  req.version = "1.1.0";
  req.actor = "alice";
  auto running = bench_.c().deploy(req);
  ASSERT_TRUE(running.isOk());
  EXPECT_EQ(watcher_->pollOnce(), 0);
  ASSERT_TRUE(bench_.driveToState(*running, "succeeded", std::chrono::seconds(10)));
  // 1.1.0 is live now; its slot read version 2 (what a start after the change reads).
  used_[{"web", liveSlot("web")}] = {{"/web/db/url", 2}};
  EXPECT_EQ(watcher_->pollOnce(), 0);
  // Had it read the old one, the watcher restarts 1.1.0.
  used_[{"web", liveSlot("web")}] = {{"/web/db/url", 1}};
  EXPECT_EQ(watcher_->pollOnce(), 1);
  EXPECT_EQ(deployments("web")[0]["version"], "1.1.0");
}

TEST_F(SecretWatchTest, ADeletedSecretRedeploysOnceAndTheStartDecides) {
  bench_.deployAndFinish("web", "1.0.0");
  used_[{"web", liveSlot("web")}] = {{"/web/db/url", 1}};
  ASSERT_TRUE(store_->remove("alice", "/web/db/url").isOk());
  EXPECT_EQ(watcher_->pollOnce(), 1);
  EXPECT_EQ(deployments("web")[0]["reason"], "secret /web/db/url was deleted");
  EXPECT_EQ(watcher_->pollOnce(), 0);
}

TEST_F(SecretWatchTest, RedeployRulesOfTheController) {
  bench_.deployAndFinish("web", "1.0.0");
  DeployRequest same;
  same.app = "web";
  same.version = "1.0.0";
  auto refused = bench_.c().deploy(same);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  DeployRequest other;
  other.app = "web";
  other.version = "2.0.0";
  other.redeploy = true;
  auto not_live = bench_.c().deploy(other);
  ASSERT_FALSE(not_live.isOk());
  EXPECT_EQ(not_live.status().message(),
            "redeploy: version 2.0.0 of app web is not live (live: 1.0.0)");
  same.redeploy = true;
  auto id = bench_.c().deploy(same);
  ASSERT_TRUE(id.isOk()) << id.status().message();
  EXPECT_TRUE(bench_.driveToState(*id, "succeeded", std::chrono::seconds(10)))
      << bench_.deployment(*id).dump(2);
}

}  // namespace
}  // namespace shipgate::release
