// FailingStateStore over a real SqliteStateStore and a real PostgresStateStore: exactly the chosen
// writes fail, with nothing of them stored (or, for kAfter, all of them), and reads and other
// writes pass through.
#include "shipgate/store/failing_state_store.h"

#include <gtest/gtest.h>

#include <functional>

#include "store_test_util.h"

namespace shipgate::store {
namespace {

using testutil::StoreTest;
using When = FailingStateStore::When;

class FailingStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    failing_ = std::make_unique<FailingStateStore>(*store_);
  }
  // Appends audit entries "a1".."aN" through the failing store; returns which ones failed.
  std::vector<int> appendN(int n) {
    std::vector<int> failed;
    for (int i = 1; i <= n; ++i) {
      auto r = failing_->appendAudit(testutil::audit("a" + std::to_string(i), "x"));
      if (!r.isOk()) {
        EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
        failed.push_back(i);
      }
    }
    return failed;
  }
  std::vector<std::string> storedActions() {
    std::vector<std::string> out;
    auto entries = store_->listAudit(0, 0);
    EXPECT_TRUE(entries.isOk()) << entries.status().toString();
    if (!entries.isOk()) return out;
    for (const auto& e : *entries) out.push_back(e.action);
    return out;
  }
  std::unique_ptr<FailingStateStore> failing_;
};

TEST_P(FailingStoreTest, FailsTheNthWriteOnlyAndNothingOfItIsStored) {
  failing_->failWrite(3);
  EXPECT_EQ(appendN(5), (std::vector<int>{3}));
  EXPECT_EQ(storedActions(), (std::vector<std::string>{"a1", "a2", "a4", "a5"}));
  EXPECT_EQ(failing_->writesAttempted(), 5);
  EXPECT_EQ(failing_->failuresInjected(), 1);
}

TEST_P(FailingStoreTest, FailsAnOperationByNameTheGivenNumberOfTimes) {
  failing_->failOperation("saveStep", 2);
  auto id = failing_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(id.isOk());
  StepRecord step{*id, 0, "preflight", StepState::kSucceeded, 1, 2, "ok", ""};
  Status first = failing_->saveStep(step);
  EXPECT_EQ(first.code(), Status::Code::kUnavailable);
  EXPECT_NE(first.message().find("saveStep (write #2)"), std::string::npos) << first.message();
  EXPECT_FALSE(failing_->saveStep(step).isOk());
  EXPECT_TRUE(failing_->saveStep(step).isOk());
  EXPECT_TRUE(failing_->appendAudit(testutil::audit("x", "y")).isOk());
  EXPECT_EQ(store_->getDeployment(*id)->steps[0].state, StepState::kSucceeded);
  EXPECT_EQ(failing_->attempted(),
            (std::vector<std::string>{"createDeployment", "saveStep", "saveStep", "saveStep",
                                      "appendAudit"}));
}

TEST_P(FailingStoreTest, FailsEveryWriteFromAPointOnWhileReadsPassThrough) {
  failing_->failWritesFrom(4);
  EXPECT_EQ(appendN(6), (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(failing_->listAudit(0, 0)->size(), 3u);
  EXPECT_TRUE(failing_->findRelease("api", "v1").isOk());
  failing_->clearFailures();
  EXPECT_EQ(appendN(1), std::vector<int>{});

  failing_->failAllWrites();
  EXPECT_FALSE(failing_->upsertApp(testutil::app("web")).isOk());
  EXPECT_FALSE(failing_->putRuntimeState("k", "{}", 1).isOk());
  EXPECT_EQ(store_->findApp("web").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(*store_->getRuntimeState("k"), std::nullopt);
}

TEST_P(FailingStoreTest, AfterModeLandsTheWriteButReportsAFailure) {
  failing_->failOperation("putRuntimeState", 1, When::kAfter);
  EXPECT_EQ(failing_->putRuntimeState("routing_overlay", R"({"v":1})", 1).code(),
            Status::Code::kUnavailable);
  EXPECT_EQ(*store_->getRuntimeState("routing_overlay"), std::optional<std::string>(R"({"v":1})"));
}

TEST_P(FailingStoreTest, AFailedWriteInsideAtomicallyRollsBackTheWholeBody) {
  auto id = failing_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(id.isOk());
  // The state change lands, the audit entry after it fails: neither may stay.
  failing_->failOperation("appendAudit");
  Status st = failing_->atomically([&]() -> Status {
    DeploymentRecord d = *failing_->getDeployment(*id);
    d.state = DeploymentState::kSwitching;
    SG_RETURN_IF_ERROR(failing_->updateDeployment(d));
    return failing_->appendAudit(testutil::audit("switch", *id)).status();
  });
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(store_->getDeployment(*id)->state, DeploymentState::kRunning);
  EXPECT_TRUE(store_->listAudit(0, 0)->empty());
}

TEST_P(FailingStoreTest, AFailedCommitUndoesABodyThatSucceeded) {
  failing_->failOperation("commit");
  Status st = failing_->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(failing_->putRuntimeState("k", "1", 1));
    // A nested body's end is not a commit.
    return failing_->atomically([&] { return failing_->putRuntimeState("j", "2", 1); });
  });
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_NE(st.message().find("commit"), std::string::npos);
  EXPECT_EQ(*store_->getRuntimeState("k"), std::nullopt);
  EXPECT_EQ(*store_->getRuntimeState("j"), std::nullopt);
  // Only once: the next transaction commits.
  ASSERT_TRUE(failing_->atomically([&] { return failing_->putRuntimeState("k", "3", 2); }).isOk());
  EXPECT_EQ(*store_->getRuntimeState("k"), std::optional<std::string>("3"));
  EXPECT_EQ(failing_->writesAttempted(), 3);  // commits are not numbered writes
}

// Every write the header names can be failed by its name, and only that write fails.
TEST_P(FailingStoreTest, EveryNamedWriteCanBeFailedByName) {
  auto id = store_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(id.isOk());
  auto incident = store_->openIncident(IncidentRecord{0, "api", "", "cause", "", 5, 0, 0});
  ASSERT_TRUE(incident.isOk());
  DeploymentRecord done = testutil::deployment("api", "v2", DeploymentState::kSucceeded);
  done.id = *id;
  struct Case {
    std::string name;
    std::function<Status()> call;
  };
  std::vector<Case> cases = {
      {"upsertEnvironment",
       [&] { return failing_->upsertEnvironment(EnvironmentRecord{"staging"}); }},
      {"upsertApp", [&] { return failing_->upsertApp(testutil::app("web")); }},
      {"createRelease", [&] { return failing_->createRelease(testutil::release("api", "v3")); }},
      {"createDeployment",
       [&] {
         return failing_
             ->createDeployment(testutil::deployment("api", "v1", DeploymentState::kFailed))
             .status();
       }},
      {"updateDeployment", [&] { return failing_->updateDeployment(done); }},
      {"saveStep",
       [&] {
         return failing_->saveStep(
             StepRecord{*id, 20, "cleanup", StepState::kRunning, 0, 0, "", ""});
       }},
      {"openIncident",
       [&] {
         return failing_->openIncident(IncidentRecord{0, "api", "", "c", "", 6, 0, 0}).status();
       }},
      {"resolveIncident", [&] { return failing_->resolveIncident(*incident, 9); }},
      {"appendAudit", [&] { return failing_->appendAudit(testutil::audit("a", "b")).status(); }},
      {"setSlotState",
       [&] {
         return failing_->setSlotState(SlotRecord{"api", "blue", "v1", SlotState::kLive, 1});
       }},
      {"putRuntimeState", [&] { return failing_->putRuntimeState("k", "{}", 1); }},
      {"eraseRuntimeState", [&] { return failing_->eraseRuntimeState("k"); }},
      {"recordDelivery",
       [&] {
         return failing_
             ->recordDelivery(DeliveryRecord{0, 1, "slack", "deploy_started", "", 1,
                                             DeliveryOutcome::kDelivered, 200, ""})
             .status();
       }},
  };
  for (const Case& c : cases) {
    failing_->failOperation(c.name);
    Status failed = c.call();
    EXPECT_EQ(failed.code(), Status::Code::kUnavailable) << c.name;
    EXPECT_NE(failed.message().find("injected failure: " + c.name), std::string::npos)
        << failed.message();
    // The rule is used up: the same call now goes through to the real store.
    Status passed = c.call();
    EXPECT_TRUE(passed.isOk()) << c.name << ": " << passed.toString();
  }
  EXPECT_EQ(failing_->failuresInjected(), static_cast<int64_t>(cases.size()));
  // What the second calls wrote is really there.
  EXPECT_TRUE(store_->findApp("web").isOk());
  EXPECT_TRUE(store_->findRelease("api", "v3").isOk());
  EXPECT_EQ(store_->getDeployment(*id)->state, DeploymentState::kSucceeded);
  EXPECT_EQ(store_->getDeployment(*id)->steps.back().name, "cleanup");
  EXPECT_EQ(store_->findIncident(*incident)->resolved_at, 9);
  EXPECT_EQ(store_->slotStates("api")->size(), 1u);
  EXPECT_EQ(store_->listDeliveries("", 0)->size(), 1u);
  EXPECT_EQ(store_->listAudit(0, 0)->size(), 1u);
  EXPECT_EQ(store_->listIncidents("api", false, 0)->size(), 2u);
}

TEST_P(FailingStoreTest, InnerErrorsPassThroughUnchanged) {
  Status st = failing_->createRelease(testutil::release("api", "v1"));
  EXPECT_EQ(st.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(failing_->failuresInjected(), 0);
}

INSTANTIATE_BACKENDS(FailingStoreTest);

}  // namespace
}  // namespace shipgate::store
