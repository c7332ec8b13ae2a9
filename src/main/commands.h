// The shipgate CLI's subcommands. Each returns the process exit status:
// 0 success, 1 the thing checked failed (invalid config, failing health check, refused change),
// 2 usage or I/O error.
// The release commands (deploy, approve, reject, rollback, deployments, deployment, releases,
// incidents) use: 0 success (deploy/rollback: the release is live and healthy), 1 the deployment
// failed or was rolled back, or the API refused the request, 2 usage (bad arguments, no admin
// API configured, token refused), 3 the deployment was rejected, 4 the admin API cannot be
// reached (or its answers are malformed).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"

namespace CLI {
class App;
}

namespace shipgate::cli {

// What `shipgate --version` prints and what a cluster node reports in cluster_nodes.
inline constexpr char kShipgateVersion[] = "0.1.0";

// The section validators every command loads the config with, in the order they run (the
// composition root's choice; see config/section.h).
std::vector<const config::SectionValidator*> configSections();

struct ServeOptions {
  std::string config_path;
  std::string ready_file;   // written (JSON of bound ports) once serving
  std::string log_level;    // overrides server.log.level when set
};
int runServe(const ServeOptions& options);

int runCheck(const std::string& config_path);
// `shipgate nodes`: 0 a leader is live, 1 none is, 2 usage (no PostgreSQL state url), 4 the
// database cannot be reached.
int runNodes(const std::string& config_path, bool json);
int runHealth(const std::string& config_path, bool json);

// Client commands talk to the admin API named by --admin/--token-file or by the config file.
struct ClientOptions {
  std::string config_path;  // to find admin.address and admin.token_file
  std::string admin_url;    // http://host:port, overrides the config
  std::string token_file;   // overrides the config
  std::string actor;        // X-Shipgate-Actor; empty: $SHIPGATE_ACTOR, else the login name
};
int runStatus(const ClientOptions& options, bool json);
int runSwitch(const ClientOptions& options, const std::string& app, const std::string& slot,
              const std::string& weights);
int runReload(const ClientOptions& options);
int runFailoverApprove(const ClientOptions& options, const std::string& app,
                       const std::string& region);

// How a following command (deploy, rollback) shows the deployment's events.
enum class ViewMode { kAuto, kTty, kLines, kJson };

struct DeployOptions {
  std::string app, version, env, artifact, commit_sha, commit_time, reason;
  ViewMode view = ViewMode::kAuto;
  bool no_wait = false;
  bool override_gates = false;  // let failing quality gates through; needs reason
  // How long a lost event stream is retried (a restarted server picks the deployment up again).
  int reconnect_seconds = 120;
};
int runDeploy(const ClientOptions& client, const DeployOptions& options);

struct RollbackOptions {
  std::string app, reason, to;
  bool emergency = false;
  bool with_migrations = false;  // standard rollback: the migrate step takes the database back
  ViewMode view = ViewMode::kAuto;
  bool no_wait = false;
  int reconnect_seconds = 120;
};
int runRollback(const ClientOptions& client, const RollbackOptions& options);
int runApprove(const ClientOptions& client, const std::string& id, bool json);
int runReject(const ClientOptions& client, const std::string& id, const std::string& reason,
              bool json);
int runDeployments(const ClientOptions& client, const std::string& app, int limit, bool json);
int runDeployment(const ClientOptions& client, const std::string& id, bool json);
int runReleases(const ClientOptions& client, const std::string& app, bool json);

// `shipgate release create` (gate_command.cc): records a release with its reports through the
// admin API (multipart upload). 0 created, 1 refused (exists, unreadable report, unknown app),
// 2 usage (a bad KIND=FILE, an unreadable file), 4 the admin API cannot be reached.
struct ReleaseCreateOptions {
  std::string app, version, artifact, commit_sha, commit_time;
  std::vector<std::string> reports;  // KIND=FILE
};
CLI::App* addReleaseCommand(CLI::App& app, ReleaseCreateOptions& options,
                            const std::function<void(CLI::App*)>& add_client_opts);
int runReleaseCreate(const ClientOptions& client, const ReleaseCreateOptions& options);

// `shipgate gate check` (gate_command.cc): the quality gates of a release, from the state store
// the config names. 0 every gate passes, 1 one fails, 2 a report is missing or unreadable, or
// usage/config/store errors.
struct GateCheckOptions {
  std::string config_path, app, version;
  bool json = false;
};
CLI::App* addGateCommand(CLI::App& app, GateCheckOptions& options);
int runGateCheck(const GateCheckOptions& options);
int runIncidents(const ClientOptions& client, const std::string& app, bool open_only, bool json);

// `shipgate waf test`: the WAF's verdict on one request (exit 0 pass, 1 blocked, 2 usage/config).
struct WafTestOptions {
  std::string config_path;
  std::string request_file;          // a raw HTTP request, or:
  std::string url;                   // a path or http(s):// URL, with:
  std::vector<std::string> headers;  // "Name: value"
  std::string method = "GET";
  std::string body;
  std::string client_ip = "192.0.2.1";
  bool tls = false;                  // also implied by an https:// URL
  int repeat = 1;                    // inspect the request this many times (rate limits)
};
int runWafTest(const WafTestOptions& options);
// `shipgate waf fmt`: canonical form of one expression, or of every rule of --config.
int runWafFmt(const std::string& config_path, const std::string& expression);

// `shipgate secrets COMMAND` (secrets_command.cc): 0 done, 1 refused or failed, 2 usage,
// config or key file errors.
struct SecretsOptions {
  std::string config_path;
  std::string actor;
  std::string command;  // the subcommand given
  std::string path, file, label;
  std::optional<int64_t> version, cas;
  bool recursive = false, deleted = false, verify = false;
};
// Declares the subcommands into `options`; returns the `secrets` command.
CLI::App* addSecretsCommand(CLI::App& app, SecretsOptions& options);
int runSecrets(const SecretsOptions& options);

// `shipgate db status|migrate|rollback|verify` (db_command.cc): database migrations against
// PostgreSQL. 0 done, 1 failed or drifted, 2 usage or config error.
struct DbOptions {
  std::string config_path, database_url, dir, by, deployment, migration;
  std::string command;  // the subcommand given
};
CLI::App* addDbCommand(CLI::App& app, DbOptions& options);
int runDb(const DbOptions& options);

// `shipgate policy check` (policy_command.cc): 0 no finding at error level, 1 some, 2 usage,
// config or unreadable/unparsable input.
struct PolicyOptions {
  std::string dockerfile, image_config, config_path;
  bool json = false;
};
// Declares `policy check` into `options`; returns the `policy` command.
CLI::App* addPolicyCommand(CLI::App& app, PolicyOptions& options);
int runPolicyCheck(const PolicyOptions& options);

// `shipgate dora` (dora_command.cc): 0 printed, 2 usage, config or store errors.
struct DoraCommandOptions {
  std::string config_path;
  std::string env = "production";
  std::string window = "30d";
  bool json = false;
};
CLI::App* addDoraCommand(CLI::App& app, DoraCommandOptions& options);
int runDora(const DoraCommandOptions& options);

// `shipgate flags get|set|list|history` (flags_command.cc): 0 done, 1 refused or failed (not
// found, CAS mismatch, invalid definitions), 2 usage, config or store errors.
struct FlagsOptions {
  std::string config_path, actor, command, env, key, file, reason;
  std::optional<int64_t> version, cas;
  bool json = false;
};
CLI::App* addFlagsCommand(CLI::App& app, FlagsOptions& options);
int runFlags(const FlagsOptions& options);

// Prints loader diagnostics to stderr; returns true when there is no error.
bool printDiagnostics(const std::string& config_path, bool quiet_warnings = false);

// A warning located at server.limits.max_connections when that many client connections and the
// gateway's own files (gatewayFileReserve) do not fit in the open-file limit `limit`; `hard` says
// it is the hard limit (what `check` compares with, as `serve` raises its soft limit to it).
std::optional<config::Diagnostic> fileLimitWarning(const config::Config& config, uint64_t limit,
                                                   bool hard);
// The same against this process's limit: the hard one, or the soft one (as `serve` runs).
std::optional<config::Diagnostic> fileLimitWarning(const config::Config& config, bool hard);
uint64_t gatewayFileReserve(const config::Config& config);

}  // namespace shipgate::cli
