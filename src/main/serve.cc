// `shipgate serve`: load the config, open the state store (state.dir), bind, drop privileges,
// start health checks, the admin API, the workers and the release controller, then wait for
// signals: SIGHUP reloads, SIGTERM/SIGINT drain and exit.
//
// Start order: the state store opens first (a store that cannot open refuses the start); the
// persisted routing overlay is published before the workers take a request, so a restart keeps
// traffic where the last switch put it; the release controller starts (reconciles what a killed
// predecessor left, starts the live releases again) once the gateway serves.
// Stop order: the admin API (its event streams end), the release controller (its deployments
// stay recorded and are reconciled at the next start), the notifier (flushes), the health
// monitor, the gateway drains, then the supervisor stops the release processes, so requests in
// flight to them finish.
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

#include "cluster_node.h"
#include "commands.h"
#include "serve_flags.h"
#include "serve_secrets.h"
#include "shipgate/admin/admin_server.h"
#include "shipgate/admin/controller.h"
#include "shipgate/common/clock.h"
#include "shipgate/common/clock_file.h"
#include "shipgate/dora/dora_gauges.h"
#include "shipgate/common/log.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/health/monitor.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/metrics/sampler.h"
#include "shipgate/notify/notifier.h"
#include "shipgate/notify/notify_config.h"
#include "shipgate/release/controller.h"
#include "shipgate/release/live_gateway_control.h"
#include "shipgate/release/release_config.h"
#include "shipgate/release/slot_runtime.h"
#include "shipgate/release/store_adapters.h"
#include "shipgate/rum/release_labels.h"
#include "shipgate/rum/rum_store.h"
#include "shipgate/runtime/process_supervisor.h"
#include "shipgate/runtime/static_releases.h"
#include "shipgate/server/gateway.h"
#include "shipgate/store/open_state_store.h"
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
  if (geteuid() != 0) return Status::success();
  if (cfg.server.user.empty()) {
    if (cfg.server.allow_root) {
      log::warn("serving as root because server.allow_root is true");
      return Status::success();
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
  return Status::success();
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
  return Status::success();
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

  // The state store: deployments, releases, the audit log and the runtime routing overlay.
  const release::ReleaseConfig& release_cfg = release::releaseConfigOf(*cfg);
  const std::string state_where =
      store::describeStateLocation(release_cfg.state_dir, release_cfg.state_url);
  auto store_or = store::openStateStore(release_cfg.state_dir, release_cfg.state_url);
  if (!store_or) {
    log::error("cannot open the state store in " + state_where + ": " +
               store_or.status().message());
    return 1;
  }
  std::unique_ptr<store::StateStore> state = std::move(store_or).value();
  log::info("state store: " + state_where);
  // Secrets: the store (with secrets:), for release starts, the admin API and the watcher.
  auto secrets_or = ServeSecrets::open(*cfg, release_cfg.state_dir, release_cfg.state_url);
  if (!secrets_or) {
    log::error("cannot open the secrets store: " + secrets_or.status().message());
    return 1;
  }
  std::unique_ptr<ServeSecrets> serve_secrets = std::move(secrets_or).value();
  // Feature flags: OFREP on the public listeners, reloaded when the store changes.
  auto flags_or = ServeFlags::open(*cfg, release_cfg.state_dir, release_cfg.state_url);
  if (!flags_or) {
    log::error("cannot open the flag store: " + flags_or.status().message());
    return 1;
  }
  std::unique_ptr<ServeFlags> serve_flags = std::move(flags_or).value();
  serve_flags->start();

  metrics::Registry metrics;
  // The registry's windows (what the release controller reads), closed on their own thread. The
  // rollback triggers take one sample a second, so a window is one second: a sample then sees
  // only that second's answers, and a slot's first second after a switch is not mixed with what
  // its previous release answered. 1,200 windows cover the seed's 10-minute latency rule and its
  // baseline of the same length before the switch.
  metrics::Windows telemetry(metrics, clock, {.interval = Millis(1000), .windows = 1200});
  metrics::Sampler sampler(telemetry);
  traffic::HealthRegistry registry(clock);
  // RUM beacons land here for the release controller's SLA checks; the label table names the
  // release behind each slot for their attribution.
  auto rum_store = std::make_shared<rum::RumStore>(clock);
  rum::ReleaseLabelTable release_labels;
  server::GatewayDeps gateway_deps{metrics, registry, clock};
  gateway_deps.rum_store = rum_store;
  gateway_deps.release_labels = &release_labels;
  auto gateway_or = server::Gateway::create(cfg, gateway_deps);
  if (!gateway_or) {
    log::error("cannot start: " + gateway_or.status().message());
    return 1;
  }
  std::unique_ptr<server::Gateway> gateway = std::move(gateway_or).value();

  // Runtime switches are saved in the state store before they are published.
  release::StoreRuntimeStateStore runtime_state(*state, clock);
  traffic::TrafficControl traffic(registry, cfg, &runtime_state);
  traffic::EndpointHealth endpoint_health(registry, metrics);
  health::HealthMonitor monitor(endpoint_health, clock);
  monitor.update(traffic::appTargets(*cfg));
  if (Status st = traffic.restore(); !st.isOk()) {
    log::error("cannot restore the runtime routing state from " + state_where + ": " +
               st.message());
    return 1;
  }

  // The release controller's parts. Release processes run as the serving user (they start after
  // the privilege drop) and die with this process (PR_SET_PDEATHSIG).
  runtime::SupervisorOptions supervisor_options;
  supervisor_options.log_dir = release_cfg.state_dir + "/logs";
  runtime::ProcessSupervisor supervisor(supervisor_options);
  runtime::StaticReleases static_releases(release_cfg.state_dir + "/static");
  release::SupervisorSlotRuntime slot_runtime(supervisor, static_releases);
  release::LiveGatewayControl gateway_control(cfg, *gateway, monitor, traffic);
  release::StoreDeliveryLog delivery_log(*state);
  notify::NotifierOptions notifier_options;
  notifier_options.log = &delivery_log;
  notifier_options.clock = &clock;
  notify::Notifier notifier(notify::notifyConfigOf(*cfg), notifier_options);
  // DORA gauges on /metrics, recomputed every minute and after each finished deployment.
  // recordClock() is the real clock unless the test-only SHIPGATE_CLOCK_FILE is set.
  dora::DoraGauges dora_gauges(*state, metrics, recordClock());
  release::ControllerDeps release_deps{recordClock(), *state, gateway_control, slot_runtime,
                                       telemetry};
  release_deps.on_finished = [&dora_gauges] { dora_gauges.refresh(); };
  release_deps.metrics = &metrics;
  release_deps.notifier = &notifier;
  release_deps.rum = rum_store.get();
  release_deps.labels = &release_labels;  // RUM beacons name the version behind each slot
  release_deps.flag_versions = [&serve_flags](const std::string& env) {
    auto v = serve_flags->store().versionsInForce(env);
    return v.isOk() ? v.value() : std::map<std::string, int64_t>{};
  };
  // The notifier's counters on /metrics (notify itself knows no registry).
  metrics.addCollector(
      [&notifier](std::string& out) { notify::renderNotifierMetrics(notifier.stats(), out); });
  // ---- Cluster (state on PostgreSQL): the release controller runs only while this node leads
  // (cluster_node.h); otherwise the single node's controller as before. ----
  const std::string cluster_url = clusterUrl(release_cfg);
  std::unique_ptr<ClusterNode> cluster;
  std::unique_ptr<release::ReleaseController> releases;
  if (cluster_url.empty()) {
    releases = release::makeReleaseController(release_deps);
  } else {
    ClusterNodeOptions co;
    co.url = cluster_url;
    co.store = state.get();
    co.live = &gateway_control;
    co.supervisor = &supervisor;
    co.make_controller = [release_deps](release::GatewayControl& shared) {
      release::ControllerDeps deps{release_deps.clock, release_deps.store, shared,
                                   release_deps.runtime, release_deps.telemetry};
      deps.metrics = release_deps.metrics;
      deps.notifier = release_deps.notifier;
      deps.rum = release_deps.rum;
      deps.labels = release_deps.labels;
      deps.poll = release_deps.poll;
      deps.on_finished = release_deps.on_finished;
      deps.flag_versions = release_deps.flag_versions;
      return release::makeReleaseController(deps);
    };
    cluster = std::make_unique<ClusterNode>(std::move(co));
  }
  release::ReleaseController* release_api = cluster ? &cluster->releases() : releases.get();
  // ---- end cluster ----

  admin::ControllerOptions controller_options;
  controller_options.sections = configSections();
  controller_options.audit = state.get();
  // A reload keeps the managed slots' replicas: the release side derives the served config.
  controller_options.apply = [&gateway_control](std::shared_ptr<const config::Config> next) {
    return gateway_control.reload(std::move(next));
  };
  admin::Controller controller(opts.config_path, *gateway, monitor, traffic, registry,
                               controller_options);
  admin::AdminServer admin_server(controller, metrics, release_api, state.get());
  if (cluster) admin_server.setForwarder(cluster->forwarder());
  serve_secrets->wire(gateway_control, slot_runtime, admin_server);
  admin_server.setFlags(&serve_flags->store(), [&serve_flags] { serve_flags->pollNow(); });
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
  dora_gauges.start();
  if (Status st = gateway->start(); !st.isOk()) {
    log::error("cannot start workers: " + st.message());
    if (!opts.ready_file.empty()) unlink(opts.ready_file.c_str());
    return 1;
  }
  if (Status st = notifier.start(); !st.isOk()) {
    log::error("cannot start notifications: " + st.message());
    if (!opts.ready_file.empty()) unlink(opts.ready_file.c_str());
    return 1;
  }
  if (cluster) {
    cluster->setSelf(clusterSelf(*cfg, *gateway, admin_server.port()));
    if (Status st = cluster->start(); !st.isOk()) {
      log::error("cannot join the cluster: " + st.message());
      if (!opts.ready_file.empty()) unlink(opts.ready_file.c_str());
      return 1;
    }
  } else if (Status st = releases->start(); !st.isOk()) {
    log::error("cannot start the release controller: " + st.message());
    if (!opts.ready_file.empty()) unlink(opts.ready_file.c_str());
    return 1;
  }
  admin_server.releasesReady();
  // In a cluster the watcher's redeploys reach the controller only on the leader.
  serve_secrets->startWatcher(*release_api, gateway_control, slot_runtime);
  log::info(cluster ? "cluster node started" : "release controller started");
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
      (void)controller.reload("signal:SIGHUP");
      continue;
    }
    log::info(std::string("received ") + strsignal(sig) + ": draining");
    break;
  }
  admin_server.stop();
  serve_secrets->stopWatcher();
  if (cluster) cluster->stop();
  if (releases) releases->stop();
  notifier.stop();
  dora_gauges.stop();
  monitor.stop();
  gateway->shutdown(controller.config()->server.limits.drain_timeout);
  supervisor.stopAll();
  serve_flags->stop();
  log::info("shipgate stopped");
  return 0;
}

}  // namespace shipgate::cli
