// Helpers for end-to-end tests of the shipgate binary: the coinestate API as a real upstream
// process, CLI invocations, admin-token files and small YAML builders.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/raw_http_client.h"

namespace e2e {

// One coinestate-api process: `coinestate-api --listen 127.0.0.1:PORT --version V --region R`.
class ApiServer {
 public:
  ApiServer(std::string version, std::string region, std::vector<std::string> extra = {});
  ::testing::AssertionResult start();
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  testsupport::Process& process() { return *process_; }

 private:
  std::string version_, region_;
  std::vector<std::string> extra_;
  uint16_t port_ = 0;
  std::unique_ptr<testsupport::Process> process_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `<build>/shipgate ARGS...` to completion (timeout 60 s).
CliResult runCli(const std::vector<std::string>& args);

// Writes a random admin token file into dir and returns its path.
std::string writeToken(const testsupport::TempDir& dir);
// The admin API's Authorization header for the token in `token_file` (as writeToken writes it).
testsupport::Headers bearer(const std::string& token_file);

// A self-signed certificate for app.test with subject O=<org>: dir/<org>.crt and dir/<org>.key
// (openssl CLI).
::testing::AssertionResult makeCert(const testsupport::TempDir& dir, const std::string& org);

// GET path with Host header on a fresh connection.
testsupport::HttpResponse get(uint16_t port, const std::string& path,
                              const std::string& host = "app.test",
                              testsupport::Headers extra = {});

}  // namespace e2e
