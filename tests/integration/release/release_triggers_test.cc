// The automatic-rollback triggers the error-rate test does not cover, through the real binary:
// latency against the previous release's baseline, health-check failures after the switch and a
// WAF block surge each roll a release back on their own (deployment record, incident, traffic on
// the old release, the rollback counted by trigger on /metrics); and the standard
// `shipgate rollback --to VERSION`, which runs a past release through the whole procedure.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "release_util.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// POST /api/v1/deployments without waiting; the deployment id.
std::string startDeploy(Deployer& d, const std::string& version, Behaviour b) {
  auto r = d.api(
      "POST", "/api/v1/deployments",
      json{{"app", "api"}, {"version", version}, {"artifact", d.releaseDir(version, b)}}.dump());
  EXPECT_EQ(r.status, 202) << r.raw;
  return json::parse(r.body, nullptr, false).value("id", "");
}

// The incidents of app api once one exists (polled: it is written right after the rollback).
json waitForIncidents(Deployer& d) {
  json incidents;
  for (int i = 0; i < 50; ++i) {
    incidents = d.apiJson("GET", "/api/v1/incidents?app=api");
    if (incidents["incidents"].is_array() && !incidents["incidents"].empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  return incidents;
}

std::string stepState(const json& dep, const std::string& name) {
  for (const auto& s : dep["steps"]) {
    if (s.value("name", "") == name) return s.value("state", "");
  }
  return "";
}

// Sends requests the WAF blocks (GET /api/probe) from one thread until stopped; counts the
// answers by exact status.
class Prober {
 public:
  explicit Prober(uint16_t port) : thread_([this, port] { run(port); }) {}
  ~Prober() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::map<int, int64_t> statuses() const {
    shipgate::MutexLock lock(mu_);
    return statuses_;
  }

 private:
  void run(uint16_t port) {
    httplib::Client cli("127.0.0.1", port);
    cli.set_connection_timeout(5, 0);
    cli.set_read_timeout(10, 0);
    while (!stop_.load()) {
      auto r = cli.Get("/api/probe", httplib::Headers{{"Host", "api.test"}});
      {
        shipgate::MutexLock lock(mu_);
        ++statuses_[r ? r->status : 0];
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  std::atomic<bool> stop_{false};
  mutable shipgate::Mutex mu_;
  std::map<int, int64_t> statuses_ GUARDED_BY(mu_);
  std::thread thread_;
};

TEST(ReleaseTriggers, LatencyAgainstTheBaselineRollsBack) {
  Deployer::Settings s;
  s.approval = "none";
  s.triggers = {"\"Response time > 200% of baseline for 3 seconds\""};
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deploy(d, "v1").exit_code, 0) << d.serveLogs();
  ASSERT_EQ(d.servedVersion(), "v1");
  // A bake long enough for the 3 s window to fill several times over.
  d.settings().bake = "20s";
  CliResult reload = d.reloadConfig();
  ASSERT_EQ(reload.exit_code, 0) << reload.out << reload.err << d.serveLogs();

  // v1 answers under load for longer than the rule's window before v2 starts: the baseline
  // (v1's p95 over the 3 s before the switch) has data.
  Load load(d.httpPort(), 4);
  waitForAnswers(load, 200);
  std::this_thread::sleep_for(3s);
  // v2 answers every request 100 ms late: healthy, smoke passes, but far above twice v1's p95.
  CliResult v2 = deploy(d, "v2", Behaviour::kLagging);
  load.stop();
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err << d.serveLogs();
  EXPECT_NE(v2.out.find("rolled back"), std::string::npos) << v2.out;
  EXPECT_NE(v2.out.find("latency"), std::string::npos) << v2.out;
  EXPECT_EQ(d.servedVersion(), "v1");
  const auto versions = load.versions();
  EXPECT_GT(versions.count("v2") ? versions.at("v2") : 0, 0) << load.describe();

  const std::string id = acceptedId(v2.out);
  json dep = d.apiJson("GET", "/api/v1/deployments/" + id);
  EXPECT_EQ(dep["state"], "rolled_back") << dep.dump(2);
  EXPECT_EQ(stepState(dep, "switch"), "succeeded") << dep.dump(2);
  EXPECT_EQ(stepState(dep, "bake"), "failed") << dep.dump(2);
  // The baseline: v1's p95 over the rule's window, recorded at the switch.
  const json& baseline = dep["baseline"];
  EXPECT_EQ(baseline["version"], "v1") << dep.dump(2);
  ASSERT_EQ(baseline["latency"].size(), 1u) << dep.dump(2);
  EXPECT_EQ(baseline["latency"][0]["percentile"], 95.0) << dep.dump(2);
  EXPECT_EQ(baseline["latency"][0]["span_ms"], 3000) << dep.dump(2);
  ASSERT_TRUE(baseline["latency"][0]["ms"].is_number()) << dep.dump(2);
  const double baseline_ms = baseline["latency"][0]["ms"].get<double>();

  const json& rb = dep["rollback"];
  ASSERT_TRUE(rb.is_object()) << dep.dump(2);
  EXPECT_EQ(rb["trigger"], "latency") << dep.dump(2);
  EXPECT_EQ(rb["wording"], "Response time > 200% of baseline for 3 seconds") << dep.dump(2);
  EXPECT_EQ(rb.value("rule", "").rfind("latency p95 > 200% of baseline for 3s", 0), 0u)
      << dep.dump(2);
  EXPECT_EQ(rb["window_ms"], 3000) << dep.dump(2);
  ASSERT_TRUE(rb["baseline_ms"].is_number()) << dep.dump(2);
  EXPECT_DOUBLE_EQ(rb["baseline_ms"].get<double>(), baseline_ms) << dep.dump(2);
  EXPECT_DOUBLE_EQ(rb["threshold"].get<double>(), 2 * baseline_ms) << dep.dump(2);
  ASSERT_EQ(rb["values"].size(), 3u) << dep.dump(2);
  for (const auto& p : rb["values"]) {
    EXPECT_EQ(p["breached"], true) << dep.dump(2);
    EXPECT_GT(p["value"].get<double>(), 2 * baseline_ms) << dep.dump(2);
  }

  json incidents = waitForIncidents(d);
  ASSERT_EQ(incidents["incidents"].size(), 1u) << incidents.dump(2);
  EXPECT_EQ(incidents["incidents"][0]["deployment_id"], id) << incidents.dump(2);
  EXPECT_NE(incidents["incidents"][0]["cause"].get<std::string>().find("latency p95"),
            std::string::npos)
      << incidents.dump(2);
  EXPECT_EQ(metricLine(d, "shipgate_rollbacks_total{app=\"api\",trigger=\"latency\"}"),
            "shipgate_rollbacks_total{app=\"api\",trigger=\"latency\"} 1");
}

TEST(ReleaseTriggers, HealthFailuresAfterTheSwitchRollBack) {
  Deployer::Settings s;
  s.approval = "none";
  s.triggers = {"Health check failures > 3 consecutive"};
  // An HTTP check (a managed app without one gets a TCP check, which a 503 passes).
  s.app_yaml =
      "    health: {kind: http, path: /api/health, interval: 300ms, timeout: 250ms, rise: 2, "
      "fall: 3}\n";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deploy(d, "v1").exit_code, 0) << d.serveLogs();
  d.settings().bake = "30s";
  CliResult reload = d.reloadConfig();
  ASSERT_EQ(reload.exit_code, 0) << reload.out << reload.err << d.serveLogs();

  // v2 is healthy through the health step, the smoke checks and the switch.
  const std::string id = startDeploy(d, "v2", Behaviour::kHealthy);
  json baking = d.waitForState(id, {"baking", "succeeded", "failed", "rolled_back"}, 60s);
  ASSERT_EQ(baking["state"], "baking") << baking.dump(2) << d.serveLogs();
  ASSERT_EQ(d.servedVersion(), "v2");
  // Then its health endpoint answers 503 (the API's knob, on every replica of its slot).
  const std::string slot = baking["to_slot"];
  json status = d.apiJson("GET", "/api/v1/status");
  int flipped = 0;
  for (const auto& app : status["apps"]) {
    if (app.value("name", "") != "api") continue;
    for (const auto& ep : app["slots"][slot]) {
      const std::string address = ep["address"];
      const int port = std::stoi(address.substr(address.rfind(':') + 1));
      auto r =
          testsupport::httpRequest(static_cast<uint16_t>(port), "POST", "/_knobs",
                                   {{"Content-Type", "application/json"}}, R"({"healthy": false})");
      EXPECT_EQ(r.status, 200) << address << ": " << r.raw;
      ++flipped;
    }
  }
  ASSERT_EQ(flipped, 2) << status.dump(2);

  json dep = d.waitForState(id, {"succeeded", "failed", "rolled_back"}, 40s);
  EXPECT_EQ(dep["state"], "rolled_back") << dep.dump(2) << d.serveLogs();
  EXPECT_EQ(stepState(dep, "bake"), "failed") << dep.dump(2);
  EXPECT_EQ(d.servedVersion(), "v1");
  const json& rb = dep["rollback"];
  ASSERT_TRUE(rb.is_object()) << dep.dump(2);
  EXPECT_EQ(rb["trigger"], "health_failures") << dep.dump(2);
  EXPECT_EQ(rb["wording"], "Health check failures > 3 consecutive") << dep.dump(2);
  EXPECT_EQ(rb.value("rule", "").rfind("health_failures > 3 consecutive", 0), 0u) << dep.dump(2);
  EXPECT_GT(rb["value"].get<double>(), 3) << dep.dump(2);

  json incidents = waitForIncidents(d);
  ASSERT_EQ(incidents["incidents"].size(), 1u) << incidents.dump(2);
  EXPECT_EQ(incidents["incidents"][0]["deployment_id"], id) << incidents.dump(2);
  EXPECT_EQ(metricLine(d, "shipgate_rollbacks_total{app=\"api\",trigger=\"health_failures\"}"),
            "shipgate_rollbacks_total{app=\"api\",trigger=\"health_failures\"} 1");
}

TEST(ReleaseTriggers, WafBlockSurgeRollsBack) {
  Deployer::Settings s;
  s.approval = "none";
  // Over 60 blocks a minute, measured over 3 s: more than 3 blocked requests in 3 s.
  s.triggers = {"Security alert (WAF blocking > 60 requests/minute for 3s)"};
  s.sections =
      "security_rules:\n"
      "  - {name: \"Block probes\", expression: 'http.request.uri.path eq \"/api/probe\"', "
      "action: block}\n";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deploy(d, "v1").exit_code, 0) << d.serveLogs();
  d.settings().bake = "20s";
  CliResult reload = d.reloadConfig();
  ASSERT_EQ(reload.exit_code, 0) << reload.out << reload.err << d.serveLogs();

  // v2 itself is healthy; a client probing a blocked path during its rollout is the surge.
  Load load(d.httpPort(), 2);
  Prober prober(d.httpPort());
  CliResult v2 = deploy(d, "v2");
  prober.stop();
  load.stop();
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err << d.serveLogs();
  EXPECT_NE(v2.out.find("waf_blocks"), std::string::npos) << v2.out;
  EXPECT_EQ(d.servedVersion(), "v1");
  // Every probe was blocked by the firewall (403), every other request answered.
  const auto probes = prober.statuses();
  EXPECT_EQ(probes.size(), 1u);
  EXPECT_GT(probes.count(403) ? probes.at(403) : 0, 4);
  const auto statuses = load.statuses();
  EXPECT_EQ(statuses.size(), 1u) << load.describe();
  EXPECT_EQ(statuses.count(200), 1u) << load.describe();

  const std::string id = acceptedId(v2.out);
  json dep = d.apiJson("GET", "/api/v1/deployments/" + id);
  EXPECT_EQ(dep["state"], "rolled_back") << dep.dump(2);
  const json& rb = dep["rollback"];
  ASSERT_TRUE(rb.is_object()) << dep.dump(2);
  EXPECT_EQ(rb["trigger"], "waf_blocks") << dep.dump(2);
  EXPECT_EQ(rb["wording"], "Security alert (WAF blocking > 60 requests/minute for 3s)")
      << dep.dump(2);
  EXPECT_EQ(rb.value("rule", "").rfind("waf_blocks > 60/min over 3s", 0), 0u) << dep.dump(2);
  EXPECT_EQ(rb["window_ms"], 3000) << dep.dump(2);
  EXPECT_GT(rb["value"].get<double>(), 60) << dep.dump(2);

  json incidents = waitForIncidents(d);
  ASSERT_EQ(incidents["incidents"].size(), 1u) << incidents.dump(2);
  EXPECT_EQ(incidents["incidents"][0]["deployment_id"], id) << incidents.dump(2);
  EXPECT_EQ(metricLine(d, "shipgate_rollbacks_total{app=\"api\",trigger=\"waf_blocks\"}"),
            "shipgate_rollbacks_total{app=\"api\",trigger=\"waf_blocks\"} 1");
}

TEST(ReleaseTriggers, RollbackToAnOlderVersionRunsTheProcedure) {
  Deployer::Settings s;
  s.approval = "none";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  for (const char* v : {"v1", "v2", "v3"}) {
    CliResult r = deploy(d, v);
    ASSERT_EQ(r.exit_code, 0) << v << "\n" << r.out << r.err << d.serveLogs();
  }
  ASSERT_EQ(d.servedVersion(), "v3");

  CliResult rb = d.cli({"rollback", "--app", "api", "--to", "v1", "--reason",
                        "v2 and v3 share the broken migration", "--lines", "--actor", "oncall"});
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err << d.serveLogs();
  EXPECT_EQ(d.servedVersion(), "v1");
  json dep = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(rb.out));
  EXPECT_EQ(dep["kind"], "rollback") << dep.dump(2);
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
  EXPECT_EQ(dep["version"], "v1") << dep.dump(2);
  EXPECT_EQ(dep["previous_version"], "v3") << dep.dump(2);
  EXPECT_EQ(dep["actor"], "oncall") << dep.dump(2);
  EXPECT_EQ(dep["reason"], "v2 and v3 share the broken migration") << dep.dump(2);
  // The normal procedure: v1 started again, checked, smoke-tested and switched to.
  for (const char* step : {"start", "health", "smoke", "switch"}) {
    EXPECT_EQ(stepState(dep, step), "succeeded") << step << "\n" << dep.dump(2);
  }
  EXPECT_EQ(metricLine(d, "shipgate_rollbacks_total{app=\"api\",trigger=\"manual\"}"),
            "shipgate_rollbacks_total{app=\"api\",trigger=\"manual\"} 1");

  // A version never released: a clear error, nothing started, traffic stays.
  CliResult unknown = d.cli({"rollback", "--app", "api", "--to", "v9", "--reason", "typo"});
  EXPECT_NE(unknown.exit_code, 0) << unknown.out << unknown.err;
  EXPECT_NE(unknown.err.find("has no release v9"), std::string::npos) << unknown.err;
  EXPECT_EQ(acceptedId(unknown.out), "") << unknown.out;
  EXPECT_EQ(d.servedVersion(), "v1");
}

}  // namespace
}  // namespace releasetest
