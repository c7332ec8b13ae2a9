// `shipgate serve`: load the config, bind, drop privileges, start health checks, the admin API and
// the workers, then wait for signals: SIGHUP reloads, SIGTERM/SIGINT drain and exit.
#include <grp.h>
#include <sys/resource.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "shipgate/admin/admin_server.h"
#include "shipgate/admin/controller.h"
#include "shipgate/common/clock.h"
#include "shipgate/common/log.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/health/monitor.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/metrics/sampler.h"
#include "shipgate/server/gateway.h"
#include "shipgate/traffic/endpoint_health.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/traffic_control.h"

namespace shipgate::cli {
namespace {

log::Level toLogLevel(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kDebug: return log::Level::kDebug;
    case config::LogLevel::kInfo: return log::Level::kInfo;
    case config::LogLevel::kWarn: return log::Level::kWarn;
    case config::LogLevel::kError: return log::Level::kError;
  }
  return log::Level::kInfo;
}

// Started as root: drop to server.user, or refuse unless allow_root.
Status dropPrivileges(const config::Config& cfg) {
  if (geteuid() != 0) return Status::ok();
  if (cfg.server.user.empty()) {
    if (cfg.server.allow_root) {
      log::warn("serving as root because server.allow_root is true");
      return Status::ok();
    }
    return Status::permissionDenied(
        "refusing to serve as root: set server.user to an unprivileged user (the seed's "
        "container_security.non_root_user), or server.allow_root: true");
  }
  errno = 0;
  struct passwd* pw = getpwnam(cfg.server.user.c_str());
  if (!pw) return Status::notFound("server.user '" + cfg.server.user + "' does not exist");
  if (initgroups(pw->pw_name, pw->pw_gid) != 0) return Status::fromErrno("initgroups", errno);
  if (setgid(pw->pw_gid) != 0) return Status::fromErrno("setgid", errno);
  if (setuid(pw->pw_uid) != 0) return Status::fromErrno("setuid", errno);
  if (setuid(0) == 0) return Status::internal("privileges could not be dropped (setuid(0) worked)");
  log::info("dropped privileges to user " + cfg.server.user);
  return Status::ok();
}

// The ready file: {"pid", "listeners": {name: port}, "admin_port"}, written atomically (a
// temporary file renamed over it) once everything is bound, before privileges are dropped, so
// it may live in a directory only root can write.
Status writeReadyFile(const std::string& path, const server::Gateway& gateway, uint16_t admin_port) {
  nlohmann::json j;
  j["pid"] = getpid();
  j["listeners"] = nlohmann::json::object();
  for (const auto& [name, port] : gateway.listenerPorts()) j["listeners"][name] = port;
  j["admin_port"] = admin_port;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return Status::fromErrno("cannot write --ready-file: open " + tmp, errno);
    out << j.dump() << "\n";
    out.close();
    if (!out) return Status::fromErrno("cannot write --ready-file " + tmp, errno);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::fromErrno("cannot write --ready-file: rename " + tmp + " to " + path, err);
  }
  return Status::ok();
}

// Static sites keep files open and every connection is an fd: use the whole hard limit, as nginx's
// worker_rlimit_nofile would.
void raiseFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) log::warn("cannot raise the open-file limit");
  }
}

}  // namespace

int runServe(const ServeOptions& opts) {
  // Block the signals we handle before any thread exists, so every thread inherits the mask and
  // only sigwait() below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  raiseFileLimit();

  if (!printDiagnostics(opts.config_path, /*quiet_warnings=*/false)) return 1;
  config::LoadResult loaded = config::loadFile(opts.config_path, configSections());
  if (!loaded.ok()) return 1;
  std::shared_ptr<const config::Config> cfg = loaded.config;

  config::LogLevel level = cfg->server.log.level;
  if (!opts.log_level.empty()) {
    auto flag = config::parseLogLevel(opts.log_level);
    if (!flag.isOk()) {
      std::cerr << "shipgate: --log-level: " << flag.status().message() << "\n";
      return 2;
    }
    level = flag.value();
  }
  log::setLevel(toLogLevel(level));
  if (!cfg->server.log.error_log_path.empty() &&
      !log::openErrorLog(cfg->server.log.error_log_path)) {
    std::cerr << "shipgate: cannot open error log " << cfg->server.log.error_log_path << "\n";
    return 2;
  }

  // raiseFileLimit() took the soft limit to the hard one: say so when the cap cannot fit anyway.
  if (auto w = fileLimitWarning(*cfg, /*hard=*/false)) log::warn(w->toString());

  // Refuse root before binding anything, so nothing is left half-started.
  if (geteuid() == 0 && cfg->server.user.empty() && !cfg->server.allow_root) {
    log::error(
        "refusing to serve as root: set server.user to an unprivileged user (the seed's "
        "container_security.non_root_user), or server.allow_root: true");
    return 1;
  }

  Clock& clock = RealClock::instance();
  metrics::Registry metrics;
  // The registry's windows (what the release controller reads), closed on their own thread.
  metrics::Windows telemetry(metrics, clock);
  metrics::Sampler sampler(telemetry);
  traffic::HealthRegistry registry(clock);
  auto gateway_or = server::Gateway::create(cfg, {metrics, registry, clock});
  if (!gateway_or) {
    log::error("cannot start: " + gateway_or.status().message());
    return 1;
  }
  std::unique_ptr<server::Gateway> gateway = std::move(gateway_or).value();

  traffic::TrafficControl traffic(registry, cfg);
  traffic::EndpointHealth endpoint_health(registry, metrics);
  health::HealthMonitor monitor(endpoint_health, clock);
  monitor.update(traffic::appTargets(*cfg));
  admin::Controller controller(opts.config_path, *gateway, monitor, traffic, registry);
  admin::AdminServer admin_server(controller, metrics);
  if (cfg->admin.enabled) {
    Status st = admin_server.start(cfg->admin);
    if (!st.isOk()) {
      log::error("cannot start the admin API: " + st.message());
      return 1;
    }
  }
  if (!opts.ready_file.empty()) {
    if (Status st = writeReadyFile(opts.ready_file, *gateway, admin_server.port()); !st.isOk()) {
      log::error("cannot start: " + st.message());
      return 1;
    }
  }
  if (Status st = dropPrivileges(*cfg); !st.isOk()) {
    log::error(st.message());
    if (!opts.ready_file.empty()) unlink(opts.ready_file.c_str());
    return 1;
  }
  monitor.start();
  sampler.start();
  if (Status st = gateway->start(); !st.isOk()) {
    log::error("cannot start workers: " + st.message());
    if (!opts.ready_file.empty()) unlink(opts.ready_file.c_str());
    return 1;
  }
  std::string summary = "shipgate serving:";
  for (const auto& [name, port] : gateway->listenerPorts()) {
    summary += " " + name + "=" + std::to_string(port);
  }
  if (cfg->admin.enabled) summary += " admin=" + std::to_string(admin_server.port());
  log::info(summary);

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log::info("SIGHUP: reloading " + opts.config_path);
      (void)controller.reload();
      continue;
    }
    log::info(std::string("received ") + strsignal(sig) + ": draining");
    break;
  }
  admin_server.stop();
  monitor.stop();
  gateway->shutdown(controller.config()->server.limits.drain_timeout);
  log::info("shipgate stopped");
  return 0;
}

}  // namespace shipgate::cli
