#include "shipgate/server/gateway.h"

#include <signal.h>

#include <set>

#include "shipgate/common/log.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/server/access_log.h"
#include "snapshot.h"
#include "worker.h"

namespace shipgate::server {

// The current Firewall as the /metrics collector sees it (shared with the collector, so a
// scrape after the gateway is gone finds nothing instead of a dangling gateway).
struct Gateway::FirewallSlot {
  std::mutex mu;
  std::shared_ptr<const firewall::Firewall> current;  // GUARDED_BY(mu)
  void set(std::shared_ptr<const firewall::Firewall> fw) {
    std::lock_guard<std::mutex> lock(mu);
    current = std::move(fw);
  }
  std::shared_ptr<const firewall::Firewall> get() {
    std::lock_guard<std::mutex> lock(mu);
    return current;
  }
};

Gateway::Gateway(std::shared_ptr<const config::Config> config, GatewayDeps deps, int workers)
    : deps_(deps), worker_count_(workers) {}

Gateway::~Gateway() {
  shutdown(Millis(0));
  if (firewall_slot_) firewall_slot_->set(nullptr);
}

Result<std::unique_ptr<Gateway>> Gateway::create(std::shared_ptr<const config::Config> config,
                                                 GatewayDeps deps) {
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
  auto snap = gw->buildSnapshot(config, 1);
  if (!snap.isOk()) return snap.status();
  gw->snapshot_ = std::move(snap).value();
  gw->version_.store(1);
  gw->firewall_slot_ = std::make_shared<FirewallSlot>();
  gw->firewall_slot_->set(gw->snapshot_->firewall);
  // WAF metrics (per rule, per action, blocked requests) of whatever firewall is current; none
  // while the WAF is off.
  firewall::addFirewallCollector(deps.metrics, [slot = gw->firewall_slot_] {
    auto fw = slot->get();
    return fw && fw->enabled() ? fw : nullptr;
  });
  return gw;
}

Result<std::shared_ptr<const Snapshot>> Gateway::buildSnapshot(
    std::shared_ptr<const config::Config> config, uint64_t version) {
  auto snap = std::make_shared<Snapshot>();
  snap->version = version;
  snap->config = config;
  auto plan = traffic::TrafficPlan::build(config, deps_.health);
  if (!plan.isOk()) return plan.status();
  snap->plan = std::move(plan).value();
  snap->static_sites.resize(config->sites.size());
  for (size_t i = 0; i < config->sites.size(); ++i) {
    const auto& site = config->sites[i];
    if (site.kind != config::SiteKind::kStatic) continue;
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
  // The WAF: carries rate counters, the challenge secret and rule metrics over from the
  // current firewall; a rule that does not compile fails the whole snapshot.
  auto fw = firewall::Firewall::build(
      *config, deps_.clock, snapshot_ ? snapshot_->firewall.get() : nullptr, &deps_.metrics);
  if (!fw.isOk()) return fw.status();
  snap->firewall = std::move(fw).value();
  snap->tls.resize(listeners_.size());
  for (size_t i = 0; i < listeners_.size(); ++i) {
    const config::ListenerConfig* lc = nullptr;
    for (const auto& l : config->listeners) {
      if (l.name == listeners_[i].name) lc = &l;
    }
    if (lc == nullptr) {
      log::warn("listener '" + listeners_[i].name +
                "' is no longer in the config; it keeps serving until restart");
      if (snapshot_ && i < snapshot_->tls.size()) snap->tls[i] = snapshot_->tls[i];
      continue;
    }
    if (lc->address.port != 0 && lc->address.port != listeners_[i].port) {
      log::warn("listener '" + lc->name + "' address changed; restart to rebind");
    }
    if (!lc->isTls()) continue;
    std::vector<net::CertKeyFiles> files;
    for (const auto& c : lc->tls) files.push_back({c.cert_file, c.key_file});
    auto ctx = net::TlsServerContext::create(files);
    if (!ctx.isOk()) {
      return Status::invalidArgument("listener '" + lc->name + "' (" + lc->where.toString() +
                                     "): " + ctx.status().message());
    }
    snap->tls[i] = std::move(ctx).value();
  }
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

Status Gateway::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return Status::failedPrecondition("gateway already started");
  if (stopped_) return Status::failedPrecondition("gateway was shut down");
  for (int i = 0; i < worker_count_; ++i) {
    auto loop = net::EventLoop::create(deps_.clock);
    if (!loop.isOk()) return loop.status();
    workers_.push_back(std::make_unique<Worker>(*this, i, std::move(loop).value()));
  }
  for (auto& w : workers_) {
    Worker* raw = w.get();
    threads_.emplace_back([raw] { raw->run(); });
  }
  started_ = true;
  return Status::ok();
}

Status Gateway::apply(std::shared_ptr<const config::Config> config) {
  if (!config) return Status::invalidArgument("no config");
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t next = version_.load() + 1;
  auto snap = buildSnapshot(std::move(config), next);
  if (!snap.isOk()) return snap.status();
  snapshot_ = std::move(snap).value();
  version_.store(next, std::memory_order_release);
  if (firewall_slot_) firewall_slot_->set(snapshot_->firewall);
  return Status::ok();
}

std::shared_ptr<const Snapshot> Gateway::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

std::shared_ptr<const traffic::TrafficPlan> Gateway::plan() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_ ? snapshot_->plan : nullptr;
}

std::shared_ptr<const firewall::Firewall> Gateway::firewall() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_ ? snapshot_->firewall : nullptr;
}

std::vector<std::pair<std::string, uint16_t>> Gateway::listenerPorts() const {
  std::vector<std::pair<std::string, uint16_t>> out;
  for (const auto& l : listeners_) out.emplace_back(l.name, l.port);
  return out;
}

void Gateway::wakeWorkersForTest() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& w : workers_) w->loop().wake();
}

void Gateway::shutdown(Millis drain) {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& w : workers_) w->beginDrain(drain);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  workers_.clear();
  for (auto& l : listeners_) l.fds.clear();
}

}  // namespace shipgate::server
