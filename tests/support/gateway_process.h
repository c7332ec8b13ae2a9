// The shipgate binary under test: writes a YAML config into a temp dir, runs
// `<build>/shipgate serve --config FILE` and waits until the given ports accept connections.
// The test chooses the ports (freePort()) and puts them into the YAML. Logs are the process's
// captured stdout+stderr. The destructor stops the gateway by pid (SIGTERM, then SIGKILL).
//
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/paths.h"
#include "support/process.h"

namespace testsupport {

class GatewayProcess {
 public:
  struct Options {
    // Empty = $SHIPGATE_BINARY, else buildDir() + "/shipgate".
    std::string binary;
    // Arguments after "serve --config FILE".
    std::vector<std::string> extra_args;
    std::vector<std::pair<std::string, std::string>> env;
    std::chrono::milliseconds start_timeout{20000};
  };

  GatewayProcess();
  explicit GatewayProcess(Options options);
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  // Writes `yaml` to dir()/shipgate.yaml, starts the gateway and waits for every port in `ports`.
  [[nodiscard]] ::testing::AssertionResult start(const std::string& yaml,
                                                 const std::vector<uint16_t>& ports);
  // Rewrites the config file and sends SIGHUP. The test checks the effect it expects.
  [[nodiscard]] ::testing::AssertionResult reload(const std::string& yaml);
  // SIGTERM (graceful drain), SIGKILL after `timeout`. Returns the exit code.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  bool running() { return process_ && process_->isRunning(); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  Process* process() { return process_.get(); }
  const TempDir& dir() const { return dir_; }
  std::string configPath() const { return dir_.file("shipgate.yaml"); }
  std::string binary() const { return binary_; }
  // stdout + stderr so far.
  std::string logs() const;
  bool waitForLog(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  Options options_;
  std::string binary_;
  TempDir dir_{"shipgate-gw"};
  std::unique_ptr<Process> process_;
};

}  // namespace testsupport
