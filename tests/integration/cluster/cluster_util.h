// Helpers for the cluster integration tests: one real PostgreSQL and three real `shipgate serve`
// nodes on loopback ports (ids node-a, node-b, node-c through $SHIPGATE_NODE_ID), each with its
// own config file and state directory, sharing the admin token, the state URL and the release
// directories (the real coinestate API, as in the release tests). Each node can be SIGKILLed and
// started again. Not thread-safe (the load client, releasetest::Load, runs its own threads).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "release/release_util.h"
#include "support/paths.h"
#include "support/postgres_server.h"
#include "support/process.h"
#include "support/raw_http_client.h"

namespace clustertest {

struct Node {
  std::string id;
  uint16_t http = 0;
  uint16_t admin = 0;
  std::unique_ptr<testsupport::Process> serve;
  int starts = 0;
};

class Cluster {
 public:
  struct Settings {
    std::string approval = "none";
    std::string bake = "1s";
    std::string scale_down_delay = "10m";  // the previous release stays warm (a switch target)
    int nodes = 3;
  };

  explicit Cluster(Settings settings);
  ~Cluster();

  // Starts PostgreSQL.
  ::testing::AssertionResult startDatabase();
  // Starts node i and waits until its admin API answers (any status but a refused connection).
  ::testing::AssertionResult startNode(int i);
  ::testing::AssertionResult startAll();
  // SIGKILL to node i alone (its release processes die through PR_SET_PDEATHSIG), reaped.
  void killNode(int i);
  bool running(int i);

  int size() const { return static_cast<int>(nodes_.size()); }
  Node& node(int i) { return nodes_[i]; }
  testsupport::PostgresServer& pg() { return pg_; }
  const testsupport::TempDir& dir() const { return dir_; }
  std::string configPath(int i) const;
  std::string yaml(int i) const;
  std::string logs(int i) const;
  std::string allLogs() const;

  // The index of the node cluster_nodes marks leader with a fresh heartbeat; -1: none.
  int leader();
  // Waits until exactly one live node leads (and it is not `not_this`); its index or -1.
  int waitForLeader(std::chrono::milliseconds timeout, int not_this = -1);

  // A release directory for `version` (a `run` script exec'ing coinestate-api).
  std::string releaseDir(const std::string& version);

  // Admin API of node i.
  testsupport::HttpResponse api(int i, const std::string& method, const std::string& path,
                                const std::string& body = "");
  nlohmann::json apiJson(int i, const std::string& method, const std::string& path,
                         const std::string& body = "");
  // POST /api/v1/deployments through node i; the id ("" and a test failure otherwise).
  std::string deploy(int i, const std::string& version);
  // Polls GET /api/v1/deployments/{id} through node i until its state is in `states`.
  nlohmann::json waitForState(int i, const std::string& id, const std::vector<std::string>& states,
                              std::chrono::milliseconds timeout);
  // X-App-Version of GET /api/properties (Host api.test) on node i's listener; "" on failure.
  std::string servedVersion(int i);
  // Waits until node i serves `version`; false on timeout.
  bool waitForVersion(int i, const std::string& version, std::chrono::milliseconds timeout);

  // `shipgate deploy --app api --version V --artifact DIR --lines` against node i's admin API, to
  // completion (exit 0: the release is live and healthy).
  releasetest::CliResult deployCli(int i, const std::string& version);
  // `shipgate ARGS --config <node i's config>` to completion: exit code, stdout, stderr.
  releasetest::CliResult cli(int i, std::vector<std::string> args);

  // Release processes (coinestate-api listening on this test's port range) still alive: pids.
  std::vector<int> strayProcesses() const;

 private:
  Settings settings_;
  testsupport::TempDir dir_{"sg-cluster"};
  testsupport::PostgresServer pg_;
  std::vector<Node> nodes_;
  std::pair<int, int> ports_;
  std::string token_;
};

extern const std::vector<std::string> kTerminal;

}  // namespace clustertest
