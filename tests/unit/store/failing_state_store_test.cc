// FailingStateStore over a real SqliteStateStore: exactly the chosen writes fail, with nothing of
// them in the file (or, for kAfter, all of them), and reads and other writes pass through.
#include "shipgate/store/failing_state_store.h"

#include <gtest/gtest.h>

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
    for (const auto& e : *store_->listAudit(0, 0)) out.push_back(e.action);
    return out;
  }
  std::unique_ptr<FailingStateStore> failing_;
};

TEST_F(FailingStoreTest, FailsTheNthWriteOnlyAndNothingOfItIsStored) {
  failing_->failWrite(3);
  EXPECT_EQ(appendN(5), (std::vector<int>{3}));
  EXPECT_EQ(storedActions(), (std::vector<std::string>{"a1", "a2", "a4", "a5"}));
  EXPECT_EQ(failing_->writesAttempted(), 5);
  EXPECT_EQ(failing_->failuresInjected(), 1);
}

TEST_F(FailingStoreTest, FailsAnOperationByNameTheGivenNumberOfTimes) {
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
  EXPECT_EQ(failing_->attempted(), (std::vector<std::string>{"createDeployment", "saveStep",
                                                             "saveStep", "saveStep",
                                                             "appendAudit"}));
}

TEST_F(FailingStoreTest, FailsEveryWriteFromAPointOnWhileReadsPassThrough) {
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

TEST_F(FailingStoreTest, AfterModeLandsTheWriteButReportsAFailure) {
  failing_->failOperation("putRuntimeState", 1, When::kAfter);
  EXPECT_EQ(failing_->putRuntimeState("routing_overlay", R"({"v":1})", 1).code(),
            Status::Code::kUnavailable);
  EXPECT_EQ(*store_->getRuntimeState("routing_overlay"), std::optional<std::string>(R"({"v":1})"));
}

TEST_F(FailingStoreTest, AFailedWriteInsideAtomicallyRollsBackTheWholeBody) {
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

TEST_F(FailingStoreTest, AFailedCommitUndoesABodyThatSucceeded) {
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

TEST_F(FailingStoreTest, InnerErrorsPassThroughUnchanged) {
  Status st = failing_->createRelease(testutil::release("api", "v1"));
  EXPECT_EQ(st.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(failing_->failuresInjected(), 0);
}

}  // namespace
}  // namespace shipgate::store
