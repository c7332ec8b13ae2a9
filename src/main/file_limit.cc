// Whether server.limits.max_connections fits in the open-file limit (see commands.h).
#include <sys/resource.h>

#include <algorithm>
#include <thread>

#include "commands.h"

namespace shipgate::cli {

uint64_t gatewayFileReserve(const config::Config& config) {
  uint64_t workers = config.server.workers > 0
                         ? static_cast<uint64_t>(config.server.workers)
                         : std::max(1U, std::thread::hardware_concurrency());
  // Per worker: its epoll and wake-up descriptors and one socket per listener; then the admin
  // listener, log files, health checks and headroom.
  return 64 + workers * (config.listeners.size() + 2);
}

std::optional<config::Diagnostic> fileLimitWarning(const config::Config& config, uint64_t limit,
                                                   bool hard) {
  uint64_t connections = config.server.limits.max_connections;
  uint64_t need = connections + gatewayFileReserve(config);
  if (limit == static_cast<uint64_t>(RLIM_INFINITY) || need <= limit) return std::nullopt;
  uint64_t fit = limit > gatewayFileReserve(config) ? limit - gatewayFileReserve(config) : 0;
  config::Diagnostic d;
  d.severity = config::Diagnostic::Severity::kWarning;
  d.where = config.server.limits.where;
  if (d.where.file.empty()) d.where.file = config.source_file;
  d.message = "server.limits.max_connections: " + std::to_string(connections) +
              " connections need about " + std::to_string(need) +
              " open files (one per client connection, plus the gateway's own), but the " +
              (hard ? "hard open-file limit (what `serve` raises its soft limit to) is "
                    : "open-file limit is ") +
              std::to_string(limit) + ": beyond about " + std::to_string(fit) +
              " connections new clients wait unanswered. Raise the limit (ulimit -n, systemd "
              "LimitNOFILE=) to at least " + std::to_string(need) +
              ", or lower max_connections; every proxied request also holds a file for its "
              "upstream connection";
  return d;
}

std::optional<config::Diagnostic> fileLimitWarning(const config::Config& config, bool hard) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return std::nullopt;
  return fileLimitWarning(config, static_cast<uint64_t>(hard ? rl.rlim_max : rl.rlim_cur), hard);
}

}  // namespace shipgate::cli
