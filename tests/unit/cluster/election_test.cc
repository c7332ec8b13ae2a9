// LeaderElection on a real PostgreSQL: one leader among several candidates, a new leader when
// the leader stops, and a leader whose session the server ends is deposed and not leader while
// it has no session.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "shipgate/cluster/leader_election.h"
#include "support/postgres_server.h"

namespace shipgate::cluster {
namespace {

using namespace std::chrono_literals;

struct Candidate {
  std::atomic<int> elected{0};
  std::atomic<int> deposed{0};
  std::unique_ptr<LeaderElection> election;
};

std::unique_ptr<Candidate> candidate(const std::string& url) {
  auto c = std::make_unique<Candidate>();
  ElectionOptions o;
  o.url = url;
  o.retry = 200ms;
  o.check = 200ms;
  Candidate* raw = c.get();
  o.on_elected = [raw] { raw->elected.fetch_add(1); };
  o.on_deposed = [raw] { raw->deposed.fetch_add(1); };
  c->election = std::make_unique<LeaderElection>(o);
  return c;
}

int leaders(const std::vector<std::unique_ptr<Candidate>>& cs) {
  int n = 0;
  for (const auto& c : cs) n += c->election->isLeader() ? 1 : 0;
  return n;
}

bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

TEST(LeaderElection, ExactlyOneOfThreeLeadsAndAnotherTakesOverWhenItStops) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  std::vector<std::unique_ptr<Candidate>> cs;
  for (int i = 0; i < 3; ++i) cs.push_back(candidate(pg.url()));
  for (auto& c : cs) c->election->start();
  ASSERT_TRUE(waitFor([&] { return leaders(cs) == 1; }, 10s));
  // Stays exactly one over several checks.
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(100ms);
    ASSERT_EQ(leaders(cs), 1);
  }
  size_t first = 0;
  while (!cs[first]->election->isLeader()) ++first;
  EXPECT_EQ(cs[first]->elected.load(), 1);
  cs[first]->election->stop();
  EXPECT_FALSE(cs[first]->election->isLeader());
  EXPECT_EQ(cs[first]->deposed.load(), 1);
  ASSERT_TRUE(waitFor([&] { return leaders(cs) == 1; }, 10s));
  EXPECT_FALSE(cs[first]->election->isLeader());
  int elected = 0;
  for (auto& c : cs) elected += c->elected.load();
  EXPECT_EQ(elected, 2);
}

TEST(LeaderElection, ALeaderWhoseSessionIsKilledStepsDownAndSomeoneLeadsAgain) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  std::vector<std::unique_ptr<Candidate>> cs;
  for (int i = 0; i < 2; ++i) cs.push_back(candidate(pg.url()));
  for (auto& c : cs) c->election->start();
  ASSERT_TRUE(waitFor([&] { return leaders(cs) == 1; }, 10s));
  size_t first = cs[0]->election->isLeader() ? 0 : 1;
  // The server ends the leader's session (what a dropped connection looks like to the node).
  ASSERT_TRUE(pg.psql(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"));
  ASSERT_TRUE(waitFor([&] { return cs[first]->deposed.load() == 1; }, 5s));
  ASSERT_TRUE(waitFor([&] { return leaders(cs) == 1; }, 10s));
  // Never two at once from here on.
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(100ms);
    ASSERT_EQ(leaders(cs), 1);
  }
}

TEST(LeaderElection, NoLeaderWithoutTheDatabase) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  auto c = candidate(pg.url());
  c->election->start();
  ASSERT_TRUE(waitFor([&] { return c->election->isLeader(); }, 10s));
  pg.stop();
  ASSERT_TRUE(waitFor([&] { return !c->election->isLeader(); }, 10s));
  EXPECT_EQ(c->deposed.load(), 1);
  std::this_thread::sleep_for(600ms);
  EXPECT_FALSE(c->election->isLeader());
  EXPECT_FALSE(c->election->lastError().empty());
}

}  // namespace
}  // namespace shipgate::cluster
