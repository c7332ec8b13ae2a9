// The release controller's test bench: a real SQLite state store in a temp dir (optionally behind
// a FailingStateStore), a SimulatedClock, and fakes of the gateway side:
// - FakeGateway: the loaded config, each slot's endpoints, the slot in effect (switches and
//   weights, with their history) and the health the test decides per slot;
// - FakeRuntime: "starts" a release by serving it on real loopback HTTP servers (one per
//   replica), so smoke checks send real requests; a version's name decides how it behaves
//   ("smoke-fail": /api/health answers 503; "crash": a crash loop; "nostart": start fails);
// - FakeTelemetry: per-slot request counts and latency the test sets while a deployment runs.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "shipgate/config/loader.h"
#include "shipgate/health/health_config.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/metrics/telemetry_reader.h"
#include "shipgate/release/controller.h"
#include "shipgate/release/release_config.h"
#include "shipgate/rum/release_labels.h"
#include "shipgate/store/failing_state_store.h"
#include "shipgate/store/sqlite_state_store.h"
#include "shipgate/traffic/traffic_config.h"
#include "shipgate/watch/watch_config.h"
#include "support/paths.h"

namespace shipgate::release::testing {

using traffic::Slot;

inline std::shared_ptr<const config::Config> loadConfig(const std::string& yaml) {
  static const auto watch = watch::watchSection();
  static const auto release = releaseSection();
  auto r = config::loadString(yaml, "test.yaml",
                              {&health::healthSection(), &traffic::trafficSection(), watch.get(),
                               release.get()});
  EXPECT_TRUE(r.ok()) << r.toString();
  return r.config;
}

class FakeGateway final : public GatewayControl {
 public:
  explicit FakeGateway(std::shared_ptr<const config::Config> cfg) : cfg_(std::move(cfg)) {
    for (const auto& app : traffic::trafficConfigOf(*cfg_).apps) {
      active_[app.name] = app.active_slot;
    }
  }
  std::shared_ptr<const config::Config> config() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return cfg_;
  }
  Status setSlotEndpoints(const std::string& app, Slot slot,
                          const std::vector<config::HostPort>& endpoints) override {
    std::lock_guard<std::mutex> lock(mu_);
    endpoints_[{app, slot}] = endpoints;
    return Status::success();
  }
  Status setStaticRoot(const std::string& site, const std::string& root) override {
    std::lock_guard<std::mutex> lock(mu_);
    static_roots_[site] = root;
    return Status::success();
  }
  Status switchSlot(const std::string& app, Slot slot) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (endpoints_[{app, slot}].empty()) {
      return Status::failedPrecondition(std::string("slot ") + traffic::slotName(slot) +
                                        " of " + app + " has no endpoints");
    }
    active_[app] = slot;
    weights_.erase(app);
    history_.push_back(app + ":" + traffic::slotName(slot));
    return Status::success();
  }
  Status setWeights(const std::string& app, int blue, int green) override {
    std::lock_guard<std::mutex> lock(mu_);
    weights_[app] = {blue, green};
    active_[app] = green > blue ? Slot::kGreen : Slot::kBlue;
    history_.push_back(app + ":" + std::to_string(blue) + "/" + std::to_string(green));
    return Status::success();
  }
  Result<traffic::EffectiveSlot> effective(const std::string& app) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(app);
    if (it == active_.end()) return Status::notFound("no app " + app);
    traffic::EffectiveSlot e;
    e.active_slot = it->second;
    auto w = weights_.find(app);
    if (w != weights_.end()) e.weights = w->second;
    return e;
  }
  std::vector<EndpointHealthStatus> slotHealth(const std::string& app, Slot slot) const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<EndpointHealthStatus> out;
    auto it = endpoints_.find({app, slot});
    if (it == endpoints_.end()) return out;
    bool healthy = unhealthy_.count({app, slot}) == 0;
    for (const auto& ep : it->second) {
      EndpointHealthStatus h;
      h.key = app + "/" + traffic::slotName(slot) + "/" + ep.toString();
      h.healthy = healthy;
      h.consecutive_passes = healthy ? 2 : 0;
      h.consecutive_failures = healthy ? 0 : 5;
      h.detail = healthy ? "200" : "connection refused";
      out.push_back(h);
    }
    return out;
  }
  Status restoreRouting() override {
    restores_++;
    return Status::success();
  }

  // ---- for tests ----
  void setUnhealthy(const std::string& app, Slot slot, bool unhealthy) {
    std::lock_guard<std::mutex> lock(mu_);
    if (unhealthy) {
      unhealthy_.insert({app, slot});
    } else {
      unhealthy_.erase({app, slot});
    }
  }
  Slot active(const std::string& app) const {
    std::lock_guard<std::mutex> lock(mu_);
    return active_.at(app);
  }
  bool weighted(const std::string& app) const {
    std::lock_guard<std::mutex> lock(mu_);
    return weights_.count(app) > 0;
  }
  std::vector<config::HostPort> endpoints(const std::string& app, Slot slot) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = endpoints_.find({app, slot});
    return it == endpoints_.end() ? std::vector<config::HostPort>{} : it->second;
  }
  std::vector<std::string> history() const {
    std::lock_guard<std::mutex> lock(mu_);
    return history_;
  }
  int restores() const { return restores_.load(); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const config::Config> cfg_;
  std::map<std::pair<std::string, Slot>, std::vector<config::HostPort>> endpoints_;
  std::map<std::string, Slot> active_;
  std::map<std::string, std::array<int, 2>> weights_;
  std::map<std::string, std::string> static_roots_;
  std::set<std::pair<std::string, Slot>> unhealthy_;
  std::vector<std::string> history_;
  std::atomic<int> restores_{0};
};

// One replica: a real HTTP server on 127.0.0.1.
class Replica {
 public:
  explicit Replica(const std::string& version) {
    const bool smoke_fail = version.find("smoke-fail") != std::string::npos;
    server_.Get("/api/health", [smoke_fail, version](const httplib::Request&,
                                                     httplib::Response& res) {
      res.status = smoke_fail ? 503 : 200;
      res.set_content(smoke_fail ? "down" : "ok " + version, "text/plain");
    });
    server_.Get("/api/properties", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"([{"id": "prop-001"}, {"id": "prop-002"}])", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  ~Replica() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

class FakeRuntime final : public SlotRuntime {
 public:
  Result<SlotStart> start(const AppRelease& app, const std::string& slot,
                          const std::string& version, const std::string& artifact) override {
    if (version.find("nostart") != std::string::npos) {
      return Status::notFound("cannot run ./api: No such file or directory");
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto& running = running_[{app.app, slot}];
    running.version = version;
    running.replicas.clear();
    SlotStart out;
    for (int i = 0; i < app.runtime.replicas; ++i) {
      running.replicas.push_back(std::make_unique<Replica>(version));
      out.endpoints.push_back({"127.0.0.1", static_cast<uint16_t>(running.replicas.back()->port())});
      out.pids.push_back(1000 + i);
    }
    starts_.push_back(app.app + ":" + slot + ":" + version);
    return out;
  }
  Status stop(const AppRelease& app, const std::string& slot) override {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase({app.app, slot});
    stops_.push_back(app.app + ":" + slot);
    return Status::success();
  }
  SlotRunState state(const AppRelease& app, const std::string& slot) const override {
    std::lock_guard<std::mutex> lock(mu_);
    SlotRunState s;
    auto it = running_.find({app.app, slot});
    if (it == running_.end()) return s;
    if (it->second.version.find("crash") != std::string::npos) {
      s.crash_loop = true;
      s.reason = "replica 0 (port 9200) restarted 5 times within 60s; last exited with code 3";
      return s;
    }
    s.running = true;
    return s;
  }
  // "" when nothing runs in app/slot.
  std::string running(const std::string& app, const std::string& slot) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find({app, slot});
    return it == running_.end() ? "" : it->second.version;
  }
  std::vector<std::string> starts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return starts_;
  }

 private:
  struct Running {
    std::string version;
    std::vector<std::unique_ptr<Replica>> replicas;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Running> running_;
  std::vector<std::string> starts_;
  std::vector<std::string> stops_;
};

class FakeTelemetry final : public metrics::TelemetryReader {
 public:
  void set(const std::string& app, const std::string& slot, uint64_t total, uint64_t errors_5xx,
           std::optional<double> p95_seconds = std::nullopt) {
    std::lock_guard<std::mutex> lock(mu_);
    metrics::RequestCounts c;
    c.total = total;
    c.by_class[1] = total - errors_5xx;
    c.by_class[4] = errors_5xx;
    c.covered = std::chrono::seconds(1);
    requests_[{app, slot}] = c;
    latency_[{app, slot}] = p95_seconds;
  }
  metrics::RequestCounts requests(std::string_view app, std::string_view slot,
                                  Millis) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = requests_.find({std::string(app), std::string(slot)});
    return it == requests_.end() ? metrics::RequestCounts{} : it->second;
  }
  std::optional<double> latencyQuantile(std::string_view app, std::string_view slot, double,
                                        Millis) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = latency_.find({std::string(app), std::string(slot)});
    return it == latency_.end() ? std::nullopt : it->second;
  }
  metrics::RuleCounts wafRule(std::string_view, Millis) const override { return {}; }
  uint64_t wafBlocked(Millis) const override { return 0; }
  uint64_t healthTransitions(std::string_view, std::string_view, Millis) const override {
    return 0;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, metrics::RequestCounts> requests_;
  std::map<std::pair<std::string, std::string>, std::optional<double>> latency_;
};

inline const char* kConfig = R"(
listeners:
  - {name: public, address: "127.0.0.1:0"}
environments:
  production: {approval: required, bake: 10m, scale_down_delay: 5m}
  staging: {approval: none, bake: 2m, scale_down_delay: 1m}
rollback_triggers:
  - "Error rate > 5% for 1 minute"
  - "Health check failures > 3 consecutive"
apps:
  api:
    environment: production
    release:
      runtime: {kind: process, command: "./api --port {port}", replicas: 2, ports: "9200-9299"}
      smoke:
        - {path: /api/health, expect_status: 200, expect_body: ok}
        - {path: /api/properties, expect_status: 200, expect_json: {pointer: /0/id, equals: prop-001}}
      health_timeout: 30s
  web:
    environment: staging
    release:
      runtime: {kind: process, command: "./web --port {port}", ports: "9300-9399"}
      switch: {steps: [10, 50, 100], hold: 10s}
)";

// Everything a controller runs on. restart() drops the controller, the gateway and the runtime
// (as a SIGKILL of shipgate would: the store stays) and builds them again. `real_clock`: the
// controller runs on it instead of the simulated clock() (which then moves nothing).
class Bench {
 public:
  explicit Bench(const std::string& yaml = kConfig, Clock* real_clock = nullptr)
      : yaml_(yaml), real_clock_(real_clock) {
    EXPECT_TRUE(dir_.ok()) << dir_.error();
    auto opened = store::SqliteStateStore::open(dir_.path() + "/state");
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    sqlite_ = std::move(opened).value();
    failing_ = std::make_unique<store::FailingStateStore>(*sqlite_);
    build();
    Status st = controller_->start();
    EXPECT_TRUE(st.isOk()) << st.toString();
  }
  ~Bench() { controller_.reset(); }

  void build() {
    gateway_ = std::make_unique<FakeGateway>(loadConfig(yaml_));
    runtime_ = std::make_unique<FakeRuntime>();
    ControllerDeps deps{real_clock_ != nullptr ? *real_clock_ : clock_, *failing_, *gateway_,
                        *runtime_, telemetry_};
    deps.metrics = &registry_;
    deps.labels = &labels_;
    deps.poll = std::chrono::milliseconds(1);
    // The flags in force per environment, as serve's FlagStore::versionsInForce answers.
    deps.flag_versions = [](const std::string& env) {
      return std::map<std::string, int64_t>{{"new-checkout", env == "production" ? 3 : 1},
                                            {"banner-text", 2}};
    };
    controller_ = makeReleaseController(deps);
  }
  // A "crash": the controller's threads stop (state stays as the store has it), the processes
  // and the gateway's runtime state are gone; then a new controller starts and reconciles.
  Status restart() {
    controller_->stop();
    controller_.reset();
    failing_->clearFailures();
    build();
    return controller_->start();
  }

  ReleaseController& c() { return *controller_; }
  FakeGateway& gateway() { return *gateway_; }
  FakeRuntime& runtime() { return *runtime_; }
  FakeTelemetry& telemetry() { return telemetry_; }
  SimulatedClock& clock() { return clock_; }
  store::StateStore& store() { return *sqlite_; }
  store::FailingStateStore& failing() { return *failing_; }
  metrics::Registry& registry() { return registry_; }
  rum::ReleaseLabelTable& labels() { return labels_; }

  std::string state(const std::string& id) {
    auto d = controller_->deployment(id);
    if (!d) return "error: " + d.status().toString();
    return (*d)["state"].get<std::string>();
  }
  nlohmann::json deployment(const std::string& id) {
    auto d = controller_->deployment(id);
    EXPECT_TRUE(d.isOk()) << d.status().toString();
    return d ? *d : nlohmann::json();
  }
  std::string stepState(const std::string& id, const std::string& step) {
    auto d = deployment(id);
    for (const auto& s : d["steps"]) {
      if (s["name"] == step) return s["state"];
    }
    return "";
  }
  // Moves simulated time forward in `step`s until pred() holds (at most `limit` of simulated
  // time and 30 s of real time). The workers re-read the clock every millisecond.
  bool drive(const std::function<bool()>& pred, std::chrono::milliseconds step = std::chrono::milliseconds(1000),
             std::chrono::milliseconds limit = std::chrono::hours(3)) {
    const auto real_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::chrono::milliseconds moved{0};
    for (;;) {
      if (pred()) return true;
      if (moved >= limit || std::chrono::steady_clock::now() > real_deadline) return pred();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (pred()) return true;
      clock_.advance(step);
      moved += step;
    }
  }
  bool driveToState(const std::string& id, const std::string& state,
                    std::chrono::milliseconds step = std::chrono::milliseconds(1000)) {
    return drive([&] { return this->state(id) == state; }, step);
  }
  // Deploys and waits for the terminal state; approves when asked to.
  std::string deployAndFinish(const std::string& app, const std::string& version,
                              const std::string& expect = "succeeded") {
    DeployRequest req;
    req.app = app;
    req.version = version;
    req.actor = "alice";
    auto id = controller_->deploy(req);
    EXPECT_TRUE(id.isOk()) << id.status().toString();
    if (!id) return "";
    bool done = drive([&] {
      std::string s = state(*id);
      if (s == "waiting_approval") (void)controller_->approve(*id, "bob");
      return s == "succeeded" || s == "failed" || s == "rolled_back" || s == "rejected";
    });
    EXPECT_TRUE(done) << "deployment " << *id << " stuck in " << state(*id);
    EXPECT_EQ(state(*id), expect) << deployment(*id).dump(2);
    return *id;
  }
  // Waits until the deployment's cleanup step has ended.
  bool driveCleanup(const std::string& id) {
    return drive([&] {
      std::string s = stepState(id, "cleanup");
      return s == "succeeded" || s == "failed";
    }, std::chrono::seconds(5));
  }
  void healthyTraffic(const std::string& app, const std::string& slot) {
    telemetry_.set(app, slot, 100, 0, 0.020);
  }

 private:
  std::string yaml_;
  testsupport::TempDir dir_{"shipgate-release-test"};
  SimulatedClock clock_;
  Clock* real_clock_ = nullptr;
  std::unique_ptr<store::SqliteStateStore> sqlite_;
  std::unique_ptr<store::FailingStateStore> failing_;
  FakeTelemetry telemetry_;
  metrics::Registry registry_;
  rum::ReleaseLabelTable labels_;
  std::unique_ptr<FakeGateway> gateway_;
  std::unique_ptr<FakeRuntime> runtime_;
  std::unique_ptr<ReleaseController> controller_;
};

// The step called `name` of deployment JSON `d` (by name: the checklist grows); a test failure
// and an empty object when there is none.
inline nlohmann::json stepOf(const nlohmann::json& d, const std::string& name) {
  for (const auto& s : d["steps"]) {
    if (s["name"] == name) return s;
  }
  ADD_FAILURE() << "no step named " << name << " in " << d["steps"].dump();
  return nlohmann::json::object();
}

}  // namespace shipgate::release::testing
