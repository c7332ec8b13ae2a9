// One real PostgreSQL server per test binary (started on first use, stopped by pid when the binary
// exits) and a fresh database on it per test, for tests that run against both backends of the
// state store or the secrets store (SQLite and PostgreSQL).
// A server that cannot start fails the test that asked for it (never a skip).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "support/postgres_server.h"

namespace testsupport {

enum class Backend { kSqlite, kPostgres };

inline std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// Instantiates a TEST_P suite (TestWithParam<Backend>) for both backends:
// Backends/<Suite>.<Test>/Sqlite and .../Postgres.
#define INSTANTIATE_BACKENDS(suite)                                                          \
  INSTANTIATE_TEST_SUITE_P(                                                                  \
      Backends, suite,                                                                       \
      ::testing::Values(::testsupport::Backend::kSqlite, ::testsupport::Backend::kPostgres), \
      ::testsupport::backendName)

// The binary's server; `why` says why it could not start (then nullptr, and every later call
// fails the same way without trying again).
inline PostgresServer* sharedPostgres(std::string* why) {
  static std::unique_ptr<PostgresServer> server;
  static std::string failure;
  static bool tried = false;
  if (!tried) {
    tried = true;
    auto started = std::make_unique<PostgresServer>();
    ::testing::AssertionResult ok = started->start();
    if (ok) {
      server = std::move(started);
    } else {
      failure = ok.message();
    }
  }
  if (!server && why) *why = failure;
  return server.get();
}

// Creates a database of its own for the calling test; *url receives its postgresql:// URL.
inline ::testing::AssertionResult freshPostgresDatabase(std::string* url) {
  std::string why;
  PostgresServer* pg = sharedPostgres(&why);
  if (pg == nullptr) return ::testing::AssertionFailure() << "PostgreSQL did not start: " << why;
  static int counter = 0;
  const std::string name = "test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  ::testing::AssertionResult created = pg->createDatabase(name);
  if (!created) return created;
  *url = pg->url(name);
  return ::testing::AssertionSuccess();
}

}  // namespace testsupport
