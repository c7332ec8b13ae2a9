// A real, throwaway PostgreSQL server for integration tests: initdb into a temp dir, then postgres
// listening on 127.0.0.1:<free port> with trust auth and its unix socket in the temp dir.
//
// When the test runs as root, initdb and postgres run as the `postgres` user (setuid in the forked
// child, so the pid we hold is the postmaster itself) and the temp dir is chowned to it. start()
// waits until pg_isready answers. The destructor stops the server by pid: SIGINT (fast shutdown),
// then SIGQUIT, then SIGKILL to its process group.
//
// A server that cannot start is a test failure: ASSERT_TRUE(pg.start()) prints why (with the log).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/paths.h"
#include "support/process.h"

namespace testsupport {

class PostgresServer {
 public:
  struct Options {
    // Empty = /usr/lib/postgresql/15/bin, else the newest /usr/lib/postgresql/*/bin.
    std::string bin_dir;
    std::chrono::milliseconds start_timeout{60000};
    // Extra "-c name=value" settings.
    std::vector<std::string> settings;
  };

  PostgresServer() = default;
  explicit PostgresServer(Options options) : options_(std::move(options)) {}
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  [[nodiscard]] ::testing::AssertionResult start();
  // Fast shutdown; idempotent.
  void stop();

  bool running();
  uint16_t port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }
  std::string user() const { return "postgres"; }
  pid_t pid() const { return server_ ? server_->pid() : -1; }
  // libpq keyword/value string, e.g. "host=127.0.0.1 port=5433 user=postgres dbname=postgres".
  std::string connectionString(const std::string& dbname = "postgres") const;
  // postgresql://postgres@127.0.0.1:PORT/DBNAME
  std::string url(const std::string& dbname = "postgres") const;
  std::string dataDir() const;
  std::string socketDir() const;
  std::string binDir() const { return bin_dir_; }
  // The server's log (its stderr).
  std::string log() const;
  // Runs `sql` with psql (ON_ERROR_STOP); `output` receives psql's unaligned, tuples-only stdout.
  [[nodiscard]] ::testing::AssertionResult psql(const std::string& sql,
                                                std::string* output = nullptr,
                                                const std::string& dbname = "postgres");
  // CREATE DATABASE name.
  [[nodiscard]] ::testing::AssertionResult createDatabase(const std::string& name);

 private:
  ::testing::AssertionResult startOnce();
  bool ready();

  Options options_;
  std::string bin_dir_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Process> server_;
  uint16_t port_ = 0;
};

}  // namespace testsupport
