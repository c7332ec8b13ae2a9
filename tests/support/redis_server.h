// A real, throwaway Redis server for integration tests: redis-server on 127.0.0.1:<free port>
// with no persistence (--save '' --appendonly no), its dir in a TempDir, its log captured.
// start() waits until PING answers; a server that cannot start is a test failure:
// ASSERT_TRUE(redis.start()) prints why, with the log. The destructor stops it by pid.
//
// For fault tests: kill() (SIGKILL), pause() / resume() (SIGSTOP / SIGCONT: a hung Redis that
// still accepts TCP connections), and start() again after kill() restarts it on the same port.
// command() runs one command over a short-lived hiredis connection (not while paused).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/process.h"

namespace testsupport {

class RedisServer {
 public:
  struct Options {
    std::string binary = "redis-server";  // found on PATH, else /usr/bin/redis-server
    std::chrono::milliseconds start_timeout{15000};
  };

  RedisServer() = default;
  explicit RedisServer(Options options) : options_(std::move(options)) {}
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts (or, after kill()/stop(), restarts on the same port with an empty data set).
  [[nodiscard]] ::testing::AssertionResult start();
  void stop();    // SIGTERM, then SIGKILL; idempotent
  void kill();    // SIGKILL and reap
  void pause();   // SIGSTOP
  void resume();  // SIGCONT

  bool running();
  uint16_t port() const { return port_; }
  pid_t pid() const { return server_ ? server_->pid() : -1; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string log() const;

  // One command; the reply rendered as text: a string or status as itself, an integer in
  // decimal, nil as "(nil)", an array as its elements joined by '\n', an error as "ERR: <text>".
  // "CONNECT: <why>" when the server cannot be reached.
  std::string command(const std::vector<std::string>& argv) const;

 private:
  Options options_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Process> server_;
  uint16_t port_ = 0;
};

}  // namespace testsupport
