// atomically(): a state change and its audit entry land together or not at all; nesting; threads
// writing at once; a full disk in the middle of a transaction.
#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "store_test_util.h"

namespace shipgate::store {
namespace {

using testutil::StoreTest;

TEST_P(StoreTest, AtomicallyCommitsTheChangeAndItsAuditEntryTogether) {
  auto id = store_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(id.isOk());
  Status st = store_->atomically([&]() -> Status {
    DeploymentRecord d = *store_->getDeployment(*id);
    d.state = DeploymentState::kWaitingApproval;
    SG_RETURN_IF_ERROR(store_->updateDeployment(d));
    return store_->appendAudit(testutil::audit("approval_needed", *id)).status();
  });
  ASSERT_TRUE(st.isOk()) << st.toString();
  reopen();
  EXPECT_EQ(store_->getDeployment(*id)->state, DeploymentState::kWaitingApproval);
  ASSERT_EQ(store_->listAudit(0, 0)->size(), 1u);
}

TEST_P(StoreTest, AtomicallyRollsBackTheChangeAndTheAuditEntryOnError) {
  auto id = store_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(id.isOk());
  Status st = store_->atomically([&]() -> Status {
    DeploymentRecord d = *store_->getDeployment(*id);
    d.state = DeploymentState::kFailed;
    d.failure = "smoke failed";
    SG_RETURN_IF_ERROR(store_->updateDeployment(d));
    SG_RETURN_IF_ERROR(store_->appendAudit(testutil::audit("fail", *id)).status());
    // Inside the transaction the body sees its own writes.
    EXPECT_EQ(store_->getDeployment(*id)->state, DeploymentState::kFailed);
    return Status::unavailable("the runtime could not stop the slot");
  });
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(st.message(), "the runtime could not stop the slot");
  reopen();
  EXPECT_EQ(store_->getDeployment(*id)->state, DeploymentState::kRunning);
  EXPECT_EQ(store_->getDeployment(*id)->failure, "");
  EXPECT_TRUE(store_->listAudit(0, 0)->empty());
}

TEST_P(StoreTest, AtomicallyRollsBackOnAStoreErrorInsideTheBody) {
  Status st = store_->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(store_->appendAudit(testutil::audit("deploy", "api")).status());
    // api v1 already exists: AlreadyExists ends the body.
    return store_->createRelease(testutil::release("api", "v1"));
  });
  EXPECT_EQ(st.code(), Status::Code::kAlreadyExists);
  EXPECT_TRUE(store_->listAudit(0, 0)->empty());
}

TEST_P(StoreTest, AtomicallyRollsBackAndRethrowsAnException) {
  EXPECT_THROW(
      {
        Status ignored = store_->atomically([&]() -> Status {
          SG_RETURN_IF_ERROR(store_->putRuntimeState("routing_overlay", "{}", 1));
          throw std::runtime_error("bug in the caller");
        });
        (void)ignored;
      },
      std::runtime_error);
  EXPECT_EQ(*store_->getRuntimeState("routing_overlay"), std::nullopt);
  // The store is usable afterwards, from this thread and another.
  ASSERT_TRUE(store_->putRuntimeState("routing_overlay", "{}", 2).isOk());
  std::thread other([&] { EXPECT_TRUE(store_->appendAudit(testutil::audit("a", "b")).isOk()); });
  other.join();
  EXPECT_EQ(store_->listAudit(0, 0)->size(), 1u);
}

TEST_P(StoreTest, NestedAtomicallyUndoesOnlyTheInnerBodyWhenTheOuterGoesOn) {
  Status st = store_->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(store_->appendAudit(testutil::audit("outer", "1")).status());
    Status inner = store_->atomically([&]() -> Status {
      SG_RETURN_IF_ERROR(store_->appendAudit(testutil::audit("inner", "2")).status());
      return Status::failedPrecondition("inner gives up");
    });
    EXPECT_EQ(inner.code(), Status::Code::kFailedPrecondition);
    Status inner_ok = store_->atomically(
        [&]() { return store_->appendAudit(testutil::audit("inner-ok", "3")).status(); });
    EXPECT_TRUE(inner_ok.isOk());
    return Status::success();
  });
  ASSERT_TRUE(st.isOk()) << st.toString();
  auto entries = store_->listAudit(0, 0);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].action, "outer");
  EXPECT_EQ((*entries)[1].action, "inner-ok");
}

TEST_P(StoreTest, OtherThreadsDoNotSeeAnOpenTransactionAndWaitForIt) {
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  std::thread writer([&] {
    Status st = store_->atomically([&]() -> Status {
      SG_RETURN_IF_ERROR(store_->putRuntimeState("k", R"("half")", 1));
      inside = true;
      while (!release) std::this_thread::yield();
      return store_->putRuntimeState("k", R"("whole")", 2);
    });
    EXPECT_TRUE(st.isOk()) << st.toString();
  });
  while (!inside) std::this_thread::yield();
  std::atomic<bool> reading{false};
  std::atomic<bool> read_done{false};
  std::optional<std::string> seen;
  std::thread reader([&] {
    reading = true;
    seen = *store_->getRuntimeState("k");
    read_done = true;
  });
  while (!reading) std::this_thread::yield();
  // Give a reader that did not wait every chance to read the half-done state (no timing is
  // asserted: a correct store makes it wait however long this is).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(read_done.load());
  release = true;
  writer.join();
  reader.join();
  EXPECT_EQ(seen, std::optional<std::string>(R"("whole")"));
}

TEST_P(StoreTest, ConcurrentWritersFromSeveralThreadsLoseNothing) {
  constexpr int kThreads = 6;
  constexpr int kEach = 40;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(store_->upsertApp(testutil::app("app" + std::to_string(t))).isOk());
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string app = "app" + std::to_string(t);
      for (int i = 0; i < kEach; ++i) {
        Status st = store_->atomically([&]() -> Status {
          SG_RETURN_IF_ERROR(
              store_->createRelease(testutil::release(app, "v" + std::to_string(i))));
          SG_RETURN_IF_ERROR(store_->setSlotState(
              SlotRecord{app, "blue", "v" + std::to_string(i), SlotState::kLive, i + 1}));
          return store_->appendAudit(testutil::audit("release", app)).status();
        });
        if (!st.isOk()) ++failures;
        // And plain writes outside any transaction, interleaved.
        if (!store_
                 ->recordDelivery(DeliveryRecord{0, 1, app, "deploy_started", "", 1,
                                                 DeliveryOutcome::kDelivered, 200, ""})
                 .isOk()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  reopen();
  EXPECT_EQ(store_->listAudit(0, 0)->size(), size_t{kThreads * kEach});
  EXPECT_EQ(store_->listDeliveries("", 0)->size(), size_t{kThreads * kEach});
  for (int t = 0; t < kThreads; ++t) {
    const std::string app = "app" + std::to_string(t);
    EXPECT_EQ(store_->listReleases(app, 0)->size(), size_t{kEach}) << app;
    auto slots = store_->slotStates(app);
    ASSERT_EQ(slots->size(), 1u);
    EXPECT_EQ((*slots)[0].version, "v" + std::to_string(kEach - 1)) << app;
  }
}

}  // namespace
}  // namespace shipgate::store

namespace shipgate::store {
namespace {

INSTANTIATE_BACKENDS(StoreTest);

// A full disk in the middle of a transaction (the file capped at a few pages more than it has):
// the write fails with an error naming the file, and the transaction leaves nothing, even when
// the body ignores the error and goes on writing.
TEST(StoreFull, AFullDiskInsideAtomicallyLeavesNothingEvenIfTheBodyCarriesOn) {
  testsupport::TempDir tmp("shipgate-store");
  int pages = 0;
  {
    auto store = testutil::openOrDie(tmp.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->putRuntimeState("before", "1", 1).isOk());
  }
  {
    SQLite::Database raw(tmp.file("state.db"));
    pages = raw.execAndGet("PRAGMA page_count").getInt();
  }
  SqliteStateStore::Options capped;
  capped.max_page_count_for_test = pages + 3;
  auto opened = SqliteStateStore::open(tmp.path(), capped);
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  SqliteStateStore& store = **opened;
  Status first_error;
  int written = 0;
  Status st = store.atomically([&]() -> Status {
    const std::string big = "\"" + std::string(3000, 'x') + "\"";
    for (int i = 0; i < 100 && first_error.isOk(); ++i) {
      AuditEntry e{0, 1, "t", "fill", std::to_string(i), "", big};
      auto r = store.appendAudit(e);
      if (r.isOk()) {
        ++written;
      } else {
        first_error = r.status();
      }
    }
    // Carry on as if nothing happened.
    (void)store.putRuntimeState("after", "2", 2);
    return Status::success();
  });
  ASSERT_FALSE(first_error.isOk()) << "the cap never filled the file";
  EXPECT_NE(first_error.message().find(store.path()), std::string::npos) << first_error.message();
  EXPECT_GT(written, 0);
  // Either SQLite kept the transaction (then it commits what succeeded, whole) or it rolled it
  // back (then atomically must say so and nothing of it may be there). Never a mix.
  opened = Status::internal("closed");
  auto reopened = testutil::openOrDie(tmp.path());
  ASSERT_NE(reopened, nullptr);
  const size_t audit = reopened->listAudit(0, 0)->size();
  const bool after = reopened->getRuntimeState("after")->has_value();
  if (st.isOk()) {
    EXPECT_EQ(audit, static_cast<size_t>(written));
    EXPECT_TRUE(after);
  } else {
    EXPECT_EQ(audit, 0u);
    EXPECT_FALSE(after);
    // The answer says why, with the first error's text.
    EXPECT_NE(st.message().find("disk is full"), std::string::npos) << st.message();
  }
  EXPECT_EQ(*reopened->getRuntimeState("before"), std::optional<std::string>("1"));
}

}  // namespace
}  // namespace shipgate::store
