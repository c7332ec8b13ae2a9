// Helpers for the store's tests: a StateStore of either backend -- SqliteStateStore on a real file
// in a per-test temp dir, or PostgresStateStore on a fresh database of one real PostgreSQL server
// per test binary (support/postgres_test_db.h) -- and records filled in with distinct values so a
// round trip that drops or swaps a field shows.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "shipgate/store/open_state_store.h"
#include "shipgate/store/sqlite_state_store.h"
#include "support/paths.h"
#include "support/postgres_test_db.h"

namespace shipgate::store {

// gtest printers, so a failed comparison shows the fields.
inline void PrintTo(const StepRecord& s, std::ostream* os) {
  *os << "{" << s.deployment_id << "#" << s.index << " " << s.name << " " << toString(s.state)
      << " " << s.started_at << ".." << s.ended_at << " result=" << s.result
      << " evidence=" << s.evidence_json << "}";
}
inline void PrintTo(const DeploymentRecord& d, std::ostream* os) {
  *os << "{" << d.id << " " << d.app << "/" << d.environment << " " << d.version << " (prev "
      << d.previous_version << ") " << toString(d.kind) << " " << toString(d.state) << " "
      << d.from_slot << "->" << d.to_slot << " actor=" << d.actor << " reason=" << d.reason
      << " approved_by=" << d.approved_by << " failure=" << d.failure
      << " baseline=" << d.baseline_json << " rollback=" << d.rollback_json
      << " times=" << d.created_at << "/" << d.updated_at << "/" << d.finished_at << " steps=[";
  for (const auto& s : d.steps) PrintTo(s, os);
  *os << "]}";
}
inline void PrintTo(const ReleaseRecord& r, std::ostream* os) {
  *os << "{" << r.app << " " << r.version << " " << r.artifact << " " << r.commit_sha << " "
      << r.commit_time << " " << r.created_by << " " << r.created_at << "}";
}
inline void PrintTo(const IncidentRecord& i, std::ostream* os) {
  *os << "{#" << i.id << " " << i.app << " " << i.deployment_id << " " << i.cause << " "
      << i.detail_json << " " << i.opened_at << ".." << i.resolved_at << " ttr "
      << i.time_to_recover_ms << "}";
}
inline void PrintTo(const AuditEntry& e, std::ostream* os) {
  *os << "{#" << e.id << " " << e.at << " " << e.actor << " " << e.action << " " << e.subject << " "
      << e.reason << " " << e.detail_json << "}";
}
inline void PrintTo(const SlotRecord& s, std::ostream* os) {
  *os << "{" << s.app << "/" << s.slot << " " << s.version << " " << toString(s.state) << " "
      << s.updated_at << "}";
}
inline void PrintTo(const DeliveryRecord& d, std::ostream* os) {
  *os << "{#" << d.id << " " << d.at << " " << d.channel << " " << d.event << " " << d.subject
      << " attempt " << d.attempt << " " << toString(d.outcome) << " " << d.http_status << " "
      << d.error << "}";
}
inline void PrintTo(const EnvironmentRecord& e, std::ostream* os) {
  *os << "{" << e.name << " approval=" << e.approval_required << " bake=" << e.bake_ms
      << " triggers=" << e.triggers << " scale_down=" << e.scale_down_delay_ms << " "
      << e.updated_at << "}";
}
inline void PrintTo(const AppRecord& a, std::ostream* os) {
  *os << "{" << a.name << " " << a.environment << " " << a.runtime_kind << " " << a.updated_at
      << "}";
}
}  // namespace shipgate::store

namespace shipgate::store::testutil {

inline std::unique_ptr<SqliteStateStore> openOrDie(const std::string& dir) {
  auto store = SqliteStateStore::open(dir);
  EXPECT_TRUE(store.isOk()) << store.status().toString();
  if (!store.isOk()) return nullptr;
  return std::move(store).value();
}

inline AppRecord app(const std::string& name, const std::string& env = "production") {
  return AppRecord{name, env, "process", 1'700'000'000'100};
}

inline ReleaseRecord release(const std::string& app, const std::string& version,
                             int64_t created_at = 1'700'000'001'000) {
  return ReleaseRecord{app,
                       version,
                       "/srv/releases/" + app + "/" + version,
                       "abc123" + version,
                       1'699'999'000'000,
                       "alice",
                       created_at};
}

inline DeploymentRecord deployment(const std::string& app, const std::string& version,
                                   DeploymentState state = DeploymentState::kRunning) {
  DeploymentRecord d;
  d.app = app;
  d.environment = "production";
  d.version = version;
  d.previous_version = "v0";
  d.kind = DeploymentKind::kDeploy;
  d.state = state;
  d.from_slot = "blue";
  d.to_slot = "green";
  d.actor = "alice";
  d.reason = "ship it";
  d.baseline_json = R"({"latency_ms":12.5,"percentile":95})";
  d.created_at = 1'700'000'002'000;
  d.updated_at = 1'700'000'002'000;
  const char* names[] = {"gates", "preflight", "start", "health", "smoke", "accessibility",
                         "approval", "switch", "bake"};
  for (int i = 0; i < static_cast<int>(std::size(names)); ++i) {
    StepRecord s;
    s.index = i;
    s.name = names[i];
    d.steps.push_back(s);
  }
  return d;
}

inline AuditEntry audit(const std::string& action, const std::string& subject,
                        int64_t at = 1'700'000'003'000) {
  return AuditEntry{0, at, "alice", action, subject, "because", R"({"n":1})"};
}

// A store with app "api" (and releases v1, v2 of it) recorded, for each backend:
// TEST_P(StoreTest, ...) and INSTANTIATE_BACKENDS(StoreTest) run a test on both.
class StoreTest : public ::testing::TestWithParam<testsupport::Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok()) << dir_.error();
    if (GetParam() == testsupport::Backend::kPostgres) {
      ASSERT_TRUE(testsupport::freshPostgresDatabase(&url_));
    }
    store_ = openStore();
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->upsertApp(app("api")).isOk());
    ASSERT_TRUE(store_->createRelease(release("api", "v1")).isOk());
    ASSERT_TRUE(store_->createRelease(release("api", "v2", 1'700'000'001'500)).isOk());
  }
  // Another store on the same file or database (through the config's factory).
  std::unique_ptr<StateStore> openStore() {
    auto store = openStateStore(dir_.path(), url_);
    EXPECT_TRUE(store.isOk()) << store.status().toString();
    if (!store.isOk()) return nullptr;
    return std::move(store).value();
  }
  void reopen() {
    store_.reset();
    store_ = openStore();
    ASSERT_NE(store_, nullptr);
  }

  testsupport::TempDir dir_{"shipgate-store"};
  std::string url_;  // empty: SQLite in dir_
  std::unique_ptr<StateStore> store_;
};

}  // namespace shipgate::store::testutil
