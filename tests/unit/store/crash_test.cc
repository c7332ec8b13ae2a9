// A writer process SIGKILLed in the middle of a stream of committed transactions, several times
// over on the same file: after each kill the file opens, every transaction the writer was told
// had committed is there, and none is half there.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "store_test_util.h"

namespace shipgate::store {
namespace {

// In a forked child: opens the store, continues the counter from what is stored, and commits
// (counter, slot version, audit entry) in one transaction per step, reporting each committed n
// on `report_fd` after atomically() returned ok. Never returns.
[[noreturn]] void writeForever(const std::string& dir, int report_fd) {
  auto opened = SqliteStateStore::open(dir);
  if (!opened.isOk()) ::_exit(3);
  StateStore& store = **opened;
  if (!store.upsertApp(AppRecord{"api", "production", "process", 1}).isOk()) ::_exit(4);
  auto stored = store.getRuntimeState("counter");
  if (!stored.isOk()) ::_exit(5);
  int64_t n = stored->has_value() ? std::stoll(**stored) : 0;
  for (;;) {
    ++n;
    Status st = store.atomically([&]() -> Status {
      SG_RETURN_IF_ERROR(store.putRuntimeState("counter", std::to_string(n), n));
      SG_RETURN_IF_ERROR(store.setSlotState(
          SlotRecord{"api", "green", "v" + std::to_string(n), SlotState::kLive, n}));
      return store.appendAudit(AuditEntry{0, n, "writer", "tick", std::to_string(n), "", ""})
          .status();
    });
    if (!st.isOk()) ::_exit(6);
    if (::write(report_fd, &n, sizeof n) != sizeof n) ::_exit(7);
  }
}

// Starts the writer, lets it report `more` commits, SIGKILLs it while it writes; returns the
// last n it reported (0 on failure, with the reason added to the test).
int64_t runAndKill(const std::string& dir, int64_t more) {
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> jitter(0, 4000);
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return 0;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return 0;
  }
  if (pid == 0) {
    ::close(fds[0]);
    writeForever(dir, fds[1]);
  }
  ::close(fds[1]);
  int64_t first = 0;
  int64_t last = 0;
  while (first == 0 || last - first + 1 < more) {
    int64_t n = 0;
    if (::read(fds[0], &n, sizeof n) != sizeof n) break;
    if (first == 0) first = n;
    last = n;
  }
  // Kill at a random point of the transaction in flight (each of its statements waits for
  // an fsync, so a few milliseconds span the whole transaction).
  std::this_thread::sleep_for(std::chrono::microseconds(jitter(rng)));
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  // The reports it made while we waited are in the pipe: read them to its end.
  for (int64_t n = 0; ::read(fds[0], &n, sizeof n) == sizeof n;) last = n;
  ::close(fds[0]);
  if (!(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)) {
    ADD_FAILURE() << "the writer ended on its own (wait status " << wstatus << ") after " << last;
    return 0;
  }
  return last;
}

TEST(StoreCrash, SigkillMidStreamLosesNoCommittedWriteAndHalfWritesNone) {
  testsupport::TempDir tmp("shipgate-store");
  ASSERT_TRUE(tmp.ok());
  int64_t committed = 0;
  for (int round = 1; round <= 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int64_t reported = runAndKill(tmp.path(), 60);
    ASSERT_GE(reported, committed + 60);

    auto store = testutil::openOrDie(tmp.path());
    ASSERT_NE(store, nullptr);
    auto counter = store->getRuntimeState("counter");
    ASSERT_TRUE(counter.isOk()) << counter.status().toString();
    ASSERT_TRUE(counter->has_value());
    committed = std::stoll(**counter);
    // Every transaction reported as committed is there (one more may have committed in the
    // instant between its commit and its report).
    EXPECT_GE(committed, reported);
    EXPECT_LE(committed, reported + 1);
    // And every one is whole: the slot carries the same n, and there is one audit entry per
    // step, in order, without gaps, across all the rounds so far.
    auto slots = store->slotStates("api");
    ASSERT_TRUE(slots.isOk());
    ASSERT_EQ(slots->size(), 1u);
    EXPECT_EQ((*slots)[0].version, "v" + std::to_string(committed));
    auto entries = store->listAudit(0, 0);
    ASSERT_TRUE(entries.isOk());
    ASSERT_EQ(static_cast<int64_t>(entries->size()), committed);
    for (int64_t i = 0; i < committed; ++i) {
      ASSERT_EQ((*entries)[i].subject, std::to_string(i + 1)) << "entry " << i;
    }
  }
}

}  // namespace
}  // namespace shipgate::store
