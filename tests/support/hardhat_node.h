// A real Ethereum JSON-RPC node for integration tests: `npx hardhat node` (hardhat 2, offline)
// listening on 127.0.0.1:<free port>, run from <source>/tests/js where scripts/install-deps.sh
// installs node_modules. start() waits until eth_blockNumber answers. The node runs in its own
// process group (npx spawns children); the destructor kills the whole group by its pid.
//
// A node that cannot start is a test failure: ASSERT_TRUE(node.start()) prints why (with the log).
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.h"

namespace testsupport {

class HardhatNode {
 public:
  struct Options {
    std::string js_dir;  // empty = sourceDir() + "/tests/js"
    std::chrono::milliseconds start_timeout{120000};
    uint16_t port = 0;   // 0 = a free port
  };

  HardhatNode() = default;
  explicit HardhatNode(Options options) : options_(std::move(options)) {}
  ~HardhatNode();
  HardhatNode(const HardhatNode&) = delete;
  HardhatNode& operator=(const HardhatNode&) = delete;

  [[nodiscard]] ::testing::AssertionResult start();
  void stop();

  bool running();
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  std::string log() const { return process_ ? process_->describe() : ""; }

  // Sends {"jsonrpc":"2.0","id":N,"method":method,"params":params_json} and returns the whole
  // response object. Transport or parse failures come back as
  // {"error":{"code":-32000,"message":"..."}}.
  nlohmann::json rpc(const std::string& method, const std::string& params_json = "[]");
  // eth_blockNumber as a number; nullopt on error.
  std::optional<uint64_t> blockNumber();
  // hardhat_mine: mines `blocks` blocks at once.
  [[nodiscard]] ::testing::AssertionResult mine(uint64_t blocks);

 private:
  Options options_;
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
  uint64_t next_id_ = 1;
};

}  // namespace testsupport
