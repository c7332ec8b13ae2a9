// The shipgate CLI's subcommands. Each returns the process exit status:
// 0 success, 1 the thing checked failed (invalid config, failing health check, refused change),
// 2 usage or I/O error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"

namespace shipgate::cli {

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
int runHealth(const std::string& config_path, bool json);

// Client commands talk to the admin API named by --admin/--token-file or by the config file.
struct ClientOptions {
  std::string config_path;  // to find admin.address and admin.token_file
  std::string admin_url;    // http://host:port, overrides the config
  std::string token_file;   // overrides the config
};
int runStatus(const ClientOptions& options, bool json);
int runSwitch(const ClientOptions& options, const std::string& app, const std::string& slot,
              const std::string& weights);
int runReload(const ClientOptions& options);
int runFailoverApprove(const ClientOptions& options, const std::string& app,
                       const std::string& region);

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
