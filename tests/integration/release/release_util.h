// Helpers for the release integration tests: the real `shipgate serve` (restartable on one state
// directory, killable with SIGKILL), release directories of the real coinestate API (a `run`
// script per version: healthy, failing with the API's error knob, or crashing at once), the CLI,
// the admin API, and a load client that counts every answer by its exact status.
// Not thread-safe except Load, which runs its own threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "shipgate/common/mutex.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/raw_http_client.h"

namespace releasetest {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// What a version's `run` script does.
// kSlow: starts after 1 s and answers each /api/ request after 1 s.
// kLagging: starts at once and answers each /api/ request 100 ms late (its health check too).
enum class Behaviour { kHealthy, kErrors, kCrash, kSlow, kLagging };

// `n` consecutive free loopback ports (checked by binding each).
std::pair<int, int> freePortRange(int n);

class Deployer {
 public:
  struct Settings {
    std::string approval = "required";  // production's approval
    std::string bake = "1s";
    std::string scale_down_delay = "1s";
    std::string switch_block;           // e.g. "{steps: [50, 100], hold: 1s}"; "" = all at once
    std::vector<std::string> smoke = {"{path: /api/health, expect_status: 200, expect_body: ok}"};
    std::vector<std::string> triggers;  // rollback_triggers entries
    int replicas = 2;
    std::string extra_yaml;             // appended under apps: (e.g. an unmanaged app)
    std::string extra_sites;            // appended under sites:
    // Top-level sections written before sites: (e.g. performance_slas:, rum:, notifications:).
    std::string sections;
    std::string app_yaml;               // appended under apps.api (4-space indent), e.g. health
    std::string health_timeout;         // release.health_timeout when set
    std::string runtime_yaml;           // appended under apps.api.release.runtime (8 spaces)
    std::string release_yaml;           // appended under apps.api.release (6 spaces)
    // Environment of `shipgate serve` (e.g. SHIPGATE_TEST_HOLD_STEP=start:3000).
    std::vector<std::pair<std::string, std::string>> serve_env;
    std::string state_url;              // state.url when set (postgres://...)
    std::string app_environment = "production";  // apps.api.environment
    std::string production_extra;       // appended inside production's {...}, e.g. ", x: y"
    std::string environments_extra;     // more environments (2-space indent), e.g. staging
  };

  explicit Deployer(Settings settings);
  ~Deployer();

  const testsupport::TempDir& dir() const { return dir_; }
  uint16_t httpPort() const { return http_; }
  uint16_t adminPort() const { return admin_; }
  std::string token() const { return token_; }
  std::string configPath() const { return dir_.file("shipgate.yaml"); }
  std::string stateDir() const { return dir_.file("state"); }
  std::string yaml() const;

  // A release directory for `version` (its run script execs coinestate-api with the behaviour).
  std::string releaseDir(const std::string& version, Behaviour behaviour = Behaviour::kHealthy);

  Settings& settings() { return settings_; }
  // Rewrites the config file from settings() and runs `shipgate reload`.
  CliResult reloadConfig();

  // Starts `shipgate serve` and waits until the release routes answer. Each start logs to its
  // own files (serve-N.out / .err).
  ::testing::AssertionResult startServe();
  // SIGKILL to shipgate alone (its release processes die through PR_SET_PDEATHSIG), reaped.
  void killServe();
  // SIGTERM; returns the exit code.
  std::optional<int> stopServe();
  bool serveRunning();
  std::string serveLogs() const;

  // `shipgate ARGS --admin URL --token-file F` to completion.
  CliResult cli(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(120));
  // The same in the background (output captured); the caller waits on it.
  std::unique_ptr<testsupport::Process> cliAsync(std::vector<std::string> args);

  // Admin API calls (JSON in and out).
  testsupport::HttpResponse api(const std::string& method, const std::string& path,
                                const std::string& body = "",
                                testsupport::Headers extra = {});
  nlohmann::json apiJson(const std::string& method, const std::string& path,
                         const std::string& body = "");
  // Polls GET /api/v1/deployments/{id} until its state is in `states`; the last answer.
  nlohmann::json waitForState(const std::string& id, const std::vector<std::string>& states,
                              std::chrono::milliseconds timeout);
  // The live version behind the gateway: X-App-Version of GET /api/properties ("" on failure).
  std::string servedVersion();

 private:
  Settings settings_;
  testsupport::TempDir dir_{"sg-release"};
  uint16_t http_ = testsupport::freePort();
  uint16_t admin_ = testsupport::freePort();
  std::pair<int, int> ports_;
  std::string token_;
  std::unique_ptr<testsupport::Process> serve_;
  int starts_ = 0;
};

// `shipgate deploy --app api --version V --artifact <releaseDir(V, b)> --lines` to completion.
CliResult deploy(Deployer& d, const std::string& version, Behaviour b = Behaviour::kHealthy);

// The line of a series with exactly these labels on the admin listener's /metrics, e.g.
// `shipgate_rollbacks_total{app="api",trigger="latency"} 1`; "" when absent.
std::string metricLine(Deployer& d, const std::string& series);

// "deployment d-3 accepted" in a deploy/rollback's output -> "d-3".
std::string acceptedId(const std::string& out);

// The step called `name` of a deployment's JSON (by name: the checklist grows); null when absent.
nlohmann::json stepOf(const nlohmann::json& dep, const std::string& name);

// Hammers GET /api/properties (Host api.test) over keep-alive connections from `threads` threads
// until stop(); counts every answer by exact status (0 = no answer: connect/read error) and the
// X-App-Version of the 200s.
class Load {
 public:
  Load(uint16_t port, int threads = 2);
  ~Load();
  void stop();
  std::map<int, int64_t> statuses() const;
  std::map<std::string, int64_t> versions() const;
  int64_t total() const;
  std::string describe() const;

 private:
  void run();
  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  mutable shipgate::Mutex mu_;
  std::map<int, int64_t> statuses_ GUARDED_BY(mu_);
  std::map<std::string, int64_t> versions_ GUARDED_BY(mu_);
};

// Waits (30 s at most) until the load has seen `n` more answers (so a phase is really under load).
void waitForAnswers(const Load& load, int64_t n);

}  // namespace releasetest
