#include "shipgate/server/gateway.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "shipgate/common/log.h"
#include "shipgate/common/thread_name.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/metrics/names.h"
#include "shipgate/server/access_log.h"
#include "connection_limits.h"
#include "error_mask.h"
#include "memory_return.h"
#include "snapshot.h"
#include "worker.h"

namespace shipgate::server {
namespace {

// ---- Which sections of a new config differ from the running one (locations are ignored: moving
// a block in the file changes nothing that is served). ----

bool sameBlock(const config::WafBlockResponse& a, const config::WafBlockResponse& b) {
  return std::tie(a.status, a.content_type, a.body) == std::tie(b.status, b.content_type, b.body);
}

bool sameRateLimit(const config::WafRateLimit& a, const config::WafRateLimit& b) {
  return std::tie(a.characteristics, a.period_seconds, a.requests_per_period,
                  a.mitigation_timeout_seconds, a.counting_expression, a.action) ==
         std::tie(b.characteristics, b.period_seconds, b.requests_per_period,
                  b.mitigation_timeout_seconds, b.counting_expression, b.action);
}

template <typename T, typename Eq>
bool sameOptional(const std::optional<T>& a, const std::optional<T>& b, Eq eq) {
  if (a.has_value() != b.has_value()) return false;
  return !a.has_value() || eq(*a, *b);
}

bool sameRule(const config::SecurityRule& a, const config::SecurityRule& b) {
  return std::tie(a.name, a.expression, a.action, a.rate_limit, a.normalize, a.enabled,
                  a.description, a.skip_rules) ==
             std::tie(b.name, b.expression, b.action, b.rate_limit, b.normalize, b.enabled,
                      b.description, b.skip_rules) &&
         sameOptional(a.block, b.block, sameBlock) &&
         sameOptional(a.ratelimit, b.ratelimit, sameRateLimit);
}

bool sameBots(const std::vector<config::WafVerifiedBot>& a,
              const std::vector<config::WafVerifiedBot>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tie(a[i].name, a[i].user_agent, a[i].cidrs) !=
        std::tie(b[i].name, b[i].user_agent, b[i].cidrs)) {
      return false;
    }
  }
  return true;
}

// Everything Firewall::build reads: the waf block and the security rules.
bool sameWafSection(const config::Config& a, const config::Config& b) {
  const config::WafConfig& x = a.waf;
  const config::WafConfig& y = b.waf;
  if (std::tie(x.enabled, x.normalize, x.body_bytes, x.max_expression_length, x.max_nesting_depth,
               x.max_regex_length, x.max_set_size, x.lists, x.challenge_secret,
               x.challenge_difficulty_bits, x.challenge_ttl_s, x.bot_high_rate_per_minute,
               x.bot_very_high_rate_per_minute, x.rate_limit_max_keys, x.rate_limit_store,
               x.rate_limit_store_timeout) !=
          std::tie(y.enabled, y.normalize, y.body_bytes, y.max_expression_length,
                   y.max_nesting_depth, y.max_regex_length, y.max_set_size, y.lists,
                   y.challenge_secret, y.challenge_difficulty_bits, y.challenge_ttl_s,
                   y.bot_high_rate_per_minute, y.bot_very_high_rate_per_minute,
                   y.rate_limit_max_keys, y.rate_limit_store, y.rate_limit_store_timeout) ||
      !sameBlock(x.block, y.block) || !sameOptional(x.verified_bots, y.verified_bots, sameBots) ||
      x.crs.has_value() != y.crs.has_value() || x.mask_upstream_errors != y.mask_upstream_errors) {
    return false;
  }
  // Managed rules: a config with them always rebuilds (the engine itself is shared when its
  // settings and files are unchanged: firewall::loadCrsEngine).
  if (x.crs.has_value()) return false;
  if (a.security_rules.size() != b.security_rules.size()) return false;
  for (size_t i = 0; i < a.security_rules.size(); ++i) {
    if (!sameRule(a.security_rules[i], b.security_rules[i])) return false;
  }
  return true;
}

bool sameStaticSite(const staticsite::StaticSiteConfig& a, const staticsite::StaticSiteConfig& b) {
  return std::tie(a.root, a.index, a.spa_fallback, a.html_max_age_s, a.immutable_max_age_s) ==
         std::tie(b.root, b.index, b.spa_fallback, b.html_max_age_s, b.immutable_max_age_s);
}

// Identity of a listener's certificate files on disk ("" when one cannot be stat'ed): a rotated
// certificate under the same path rebuilds the TLS context on reload.
std::string tlsFingerprint(const config::ListenerConfig& l) {
  std::string out;
  for (const auto& c : l.tls) {
    for (const std::string* path : {&c.cert_file, &c.key_file}) {
      struct stat st {};
      if (::stat(path->c_str(), &st) != 0) return "";
      out += *path + ":" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
             std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec) + ";";
    }
  }
  return out;
}

bool sameTlsFiles(const config::ListenerConfig& a, const config::ListenerConfig& b) {
  if (a.tls.size() != b.tls.size()) return false;
  for (size_t i = 0; i < a.tls.size(); ++i) {
    if (a.tls[i].cert_file != b.tls[i].cert_file || a.tls[i].key_file != b.tls[i].key_file) {
      return false;
    }
  }
  return true;
}

const config::ListenerConfig* findListener(const config::Config& c, const std::string& name) {
  for (const auto& l : c.listeners) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

}  // namespace

// The current Firewall as the /metrics collector sees it (shared with the collector, so a
// scrape after the gateway is gone finds nothing instead of a dangling gateway).
struct Gateway::FirewallSlot {
  Mutex mu;
  std::shared_ptr<const firewall::Firewall> current GUARDED_BY(mu);
  void set(std::shared_ptr<const firewall::Firewall> fw) {
    MutexLock lock(mu);
    current = std::move(fw);
  }
  std::shared_ptr<const firewall::Firewall> get() {
    MutexLock lock(mu);
    return current;
  }
};

Gateway::Gateway(const std::shared_ptr<const config::Config>& config, GatewayDeps deps, int workers)
    : deps_(std::move(deps)),
      worker_count_(workers),
      client_connections_(std::make_unique<ClientConnectionCounts>()) {}

Gateway::~Gateway() {
  shutdown(Millis(0));
  if (firewall_slot_) firewall_slot_->set(nullptr);
}

Result<std::unique_ptr<Gateway>> Gateway::create(
    const std::shared_ptr<const config::Config>& config, GatewayDeps deps) {
  if (!config) return Status::invalidArgument("no config");
  // Writes to closed sockets must fail with EPIPE, not kill the process (OpenSSL writes too).
  signal(SIGPIPE, SIG_IGN);
  int workers = config->server.workers;
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::unique_ptr<Gateway> gw(new Gateway(config, deps, workers));
  std::set<std::string> names;
  for (const auto& l : config->listeners) {
    if (!names.insert(l.name).second) {
      return Status::invalidArgument("listener '" + l.name + "' is defined twice");
    }
    auto fds = net::bindReusePortGroup(l.address.host, l.address.port, workers);
    if (!fds.isOk()) {
      return Status(fds.status().code() == Status::Code::kOk ? Status::internal("bind")
                                                               : fds.status());
    }
    ListenerGroup g;
    g.name = l.name;
    g.host = l.address.host;
    g.tls = l.isTls();
    auto port = net::localPort((*fds)[0].get());
    if (!port.isOk()) return port.status();
    g.port = *port;
    g.fds = std::move(fds).value();
    gw->listeners_.push_back(std::move(g));
  }
  if (config->server.log.access_log) {
    auto sink = AccessLogSink::open(config->server.log.access_log_path);
    if (!sink.isOk()) return sink.status();
    gw->access_log_ = std::move(sink).value();
  }
  auto ring = net::TicketKeyRing::create(deps.clock);
  if (!ring.isOk()) return ring.status();
  gw->ticket_keys_ = std::move(ring).value();
  deps.metrics.describe(metrics::names::kTlsHandshakes,
                        "TLS handshakes completed, full or resuming a session.");
  gw->firewall_slot_ = std::make_shared<FirewallSlot>();
  // RUM: without a store from the composition root the gateway keeps its own (on /metrics only).
  if (!gw->deps_.rum_store) gw->deps_.rum_store = std::make_shared<rum::RumStore>(deps.clock);
  rum::addRumCollector(deps.metrics, gw->deps_.rum_store);
  {
    MutexLock lock(gw->mu_);
    auto snap = gw->buildSnapshot(config, 1);
    if (!snap.isOk()) return snap.status();
    gw->snapshot_ = std::move(snap).value();
    gw->version_.store(1);
    gw->firewall_slot_->set(gw->snapshot_->firewall);
  }
  // WAF metrics (per rule, per action, blocked requests) of whatever firewall is current; none
  // while the WAF is off.
  firewall::addFirewallCollector(deps.metrics, [slot = gw->firewall_slot_] {
    auto fw = slot->get();
    return fw && fw->enabled() ? fw : nullptr;
  });
  return gw;
}

Result<std::shared_ptr<const Snapshot>> Gateway::buildSnapshot(
    const std::shared_ptr<const config::Config>& config, uint64_t version) {
  auto snap = std::make_shared<Snapshot>();
  snap->version = version;
  snap->config = config;
  const Snapshot* prev = snapshot_.get();
  // Endpoints: only new or changed addresses are resolved.
  auto plan = traffic::TrafficPlan::build(config, deps_.health, prev ? prev->plan.get() : nullptr,
                                          deps_.resolver);
  if (!plan.isOk()) return plan.status();
  snap->plan = std::move(plan).value();
  // Static sites: a site whose static config is unchanged keeps its StaticSite (and warm cache).
  const auto& sites = snap->plan->trafficConfig().sites;
  snap->static_sites.resize(sites.size());
  for (size_t i = 0; i < sites.size(); ++i) {
    const auto& site = sites[i];
    if (site.kind != traffic::SiteKind::kStatic) continue;
    if (prev) {
      const auto& prev_sites = prev->plan->trafficConfig().sites;
      for (size_t j = 0; j < prev_sites.size() && j < prev->static_sites.size(); ++j) {
        const auto& old = prev_sites[j];
        if (prev->static_sites[j] && old.kind == traffic::SiteKind::kStatic &&
            sameStaticSite(old.static_site, site.static_site)) {
          snap->static_sites[i] = prev->static_sites[j];
          break;
        }
      }
      if (snap->static_sites[i]) continue;
    }
    auto s = staticsite::StaticSite::open(site.static_site);
    if (!s.isOk()) {
      return Status(s.status().code() == Status::Code::kOk
                        ? Status::internal("static site")
                        : Status::invalidArgument("site '" + site.name + "' (" +
                                                  site.where.toString() +
                                                  "): " + s.status().message()));
    }
    snap->static_sites[i] = std::move(s).value();
  }
  // The WAF: reused when its section is unchanged; otherwise rebuilt, carrying rate counters, the
  // challenge secret and rule metrics over from the current firewall. A rule that does not
  // compile fails the whole snapshot.
  if (prev && prev->firewall && sameWafSection(*prev->config, *config)) {
    snap->firewall = prev->firewall;
  } else {
    auto fw =
        firewall::Firewall::build(*config, deps_.clock, prev ? prev->firewall.get() : nullptr,
                                  &deps_.metrics);
    if (!fw.isOk()) return fw.status();
    snap->firewall = std::move(fw).value();
    // The managed rules' report, once per engine loaded (a reload sharing it stays quiet).
    const managed::Engine* crs = snap->firewall->managedRules();
    const managed::Engine* prev_crs =
        prev && prev->firewall ? prev->firewall->managedRules() : nullptr;
    if (crs != nullptr && crs != prev_crs) {
      for (const auto& line : snap->firewall->managedReport()) log::info("waf managed: " + line);
      log::info("waf managed: " + std::string(crs->version()) + " loaded, " +
                std::to_string(crs->ruleCount()) + " rules, paranoia_level " +
                std::to_string(crs->settings().paranoia_level));
    }
  }
  // The RUM intake: kept while rum: is unchanged; a new one keeps the rate-limit state.
  // Beacons are attributed only to releases of this config's apps and sites.
  auto rum_config = rum::rumConfigOf(*config);
  rum::RumIntake::Attribution attribution;
  attribution.labels = deps_.release_labels;
  for (const auto& site : sites) {
    attribution.apps.push_back(site.name);
    if (site.kind == traffic::SiteKind::kApp) attribution.apps.push_back(site.app);
  }
  std::sort(attribution.apps.begin(), attribution.apps.end());
  attribution.apps.erase(std::unique(attribution.apps.begin(), attribution.apps.end()),
                         attribution.apps.end());
  if (prev && prev->rum && prev->rum->config() == *rum_config &&
      prev->rum->apps() == attribution.apps) {
    snap->rum = prev->rum;
  } else {
    snap->rum = rum::RumIntake::create(rum_config, deps_.rum_store.get(), deps_.metrics,
                                       deps_.clock, std::move(attribution),
                                       prev ? prev->rum.get() : nullptr);
  }
  snap->tls.resize(listeners_.size());
  snap->tls_fingerprints.resize(listeners_.size());
  for (size_t i = 0; i < listeners_.size(); ++i) {
    const config::ListenerConfig* lc = findListener(*config, listeners_[i].name);
    if (lc == nullptr) {
      log::warn("listener '" + listeners_[i].name +
                "' is no longer in the config; it keeps serving until restart");
      if (prev && i < prev->tls.size()) {
        snap->tls[i] = prev->tls[i];
        snap->tls_fingerprints[i] = prev->tls_fingerprints[i];
      }
      continue;
    }
    if (lc->address.port != 0 && lc->address.port != listeners_[i].port) {
      log::warn("listener '" + lc->name + "' address changed; restart to rebind");
    }
    if (!lc->isTls()) continue;
    // TLS: reused while the listener names the same files and they did not change on disk (a
    // file that cannot be read now keeps the context already loaded from it).
    const std::string fingerprint = tlsFingerprint(*lc);
    const config::ListenerConfig* old = prev ? findListener(*prev->config, lc->name) : nullptr;
    if (old && i < prev->tls.size() && prev->tls[i] && sameTlsFiles(*old, *lc) &&
        (fingerprint.empty() || fingerprint == prev->tls_fingerprints[i])) {
      if (fingerprint.empty()) {
        log::warn("listener '" + lc->name +
                  "': certificate files cannot be read; keeping the loaded certificate");
      }
      snap->tls[i] = prev->tls[i];
      snap->tls_fingerprints[i] = prev->tls_fingerprints[i];
      continue;
    }
    std::vector<net::CertKeyFiles> files;
    for (const auto& c : lc->tls) files.push_back({c.cert_file, c.key_file});
    net::TlsSessionOptions sessions;
    sessions.id_context = lc->name;
    sessions.ticket_keys = ticket_keys_;
    auto handshakes = [&](const char* kind) {
      return &deps_.metrics.counter(metrics::names::kTlsHandshakes,
                                    {{"listener", lc->name}, {"handshake", kind}}).cell();
    };
    sessions.full_handshakes = handshakes("full");
    sessions.resumed_handshakes = handshakes("resumed");
    auto ctx = net::TlsServerContext::create(files, std::move(sessions));
    if (!ctx.isOk()) {
      return Status::invalidArgument("listener '" + lc->name + "' (" + lc->where.toString() +
                                     "): " + ctx.status().message());
    }
    snap->tls[i] = std::move(ctx).value();
    snap->tls_fingerprints[i] = fingerprint;
  }
  // waf.mask_upstream_errors: build the leak detector now, not on a worker at the first 5xx.
  if (config->waf.mask_upstream_errors) errorLeakDetector();
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

Status Gateway::start() {
  MutexLock lock(mu_);
  if (started_) return Status::failedPrecondition("gateway already started");
  if (stopped_) return Status::failedPrecondition("gateway was shut down");
  for (int i = 0; i < worker_count_; ++i) {
    auto loop = net::EventLoop::create(deps_.clock);
    if (!loop.isOk()) return loop.status();
    workers_.push_back(std::make_unique<Worker>(*this, i, std::move(loop).value()));
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* raw = workers_[i].get();
    threads_.emplace_back([raw, name = "sg-worker-" + std::to_string(i)] {
      setThreadName(name);
      raw->run();
    });
  }
  memory_return_ = std::make_unique<MemoryReturn>(connections_, deps_.clock);
  memory_return_->start();
  started_ = true;
  return Status::success();
}

Status Gateway::apply(const std::shared_ptr<const config::Config>& config) {
  if (!config) return Status::invalidArgument("no config");
  MutexLock lock(mu_);
  uint64_t next = version_.load() + 1;
  auto snap = buildSnapshot(config, next);
  if (!snap.isOk()) return snap.status();
  snapshot_ = std::move(snap).value();
  version_.store(next, std::memory_order_release);
  if (firewall_slot_) firewall_slot_->set(snapshot_->firewall);
  return Status::success();
}

std::shared_ptr<const Snapshot> Gateway::snapshot() const {
  MutexLock lock(mu_);
  return snapshot_;
}

std::shared_ptr<const traffic::TrafficPlan> Gateway::plan() const {
  MutexLock lock(mu_);
  return snapshot_ ? snapshot_->plan : nullptr;
}

std::shared_ptr<const firewall::Firewall> Gateway::firewall() const {
  MutexLock lock(mu_);
  return snapshot_ ? snapshot_->firewall : nullptr;
}

std::vector<std::pair<std::string, uint16_t>> Gateway::listenerPorts() const {
  std::vector<std::pair<std::string, uint16_t>> out;
  for (const auto& l : listeners_) out.emplace_back(l.name, l.port);
  return out;
}

void Gateway::wakeWorkersForTest() {
  MutexLock lock(mu_);
  for (auto& w : workers_) w->loop().wake();
}

void Gateway::shutdown(Millis drain) {
  std::vector<std::thread> threads;
  {
    MutexLock lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& w : workers_) w->beginDrain(drain);
    threads.swap(threads_);
    if (memory_return_) memory_return_->stop();
  }
  for (auto& t : threads) t.join();
  std::vector<std::unique_ptr<Worker>> workers;
  {
    MutexLock lock(mu_);
    workers.swap(workers_);
  }
  workers.clear();
  for (auto& l : listeners_) l.fds.clear();
}

}  // namespace shipgate::server
