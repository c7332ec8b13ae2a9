// Performance SLAs through the real binary. During the bake an SLA past its alert_threshold rolls
// the new release back: api_response_time measured by the gateway (a release that answers each
// /api/ request after 1 s, under load) and wallet_connection_time from real-user beacons posted to
// /_shipgate/rum, attributed to a release by the sg_rel cookie (beacons of the old release never
// roll the new one back). After the bake a breach opens an incident instead (no rollback), once,
// resolved when the SLA is back within its threshold, with its notifications. Manual rollbacks
// record who and why; an emergency one is an incident of its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "integration/notify/receiver.h"
#include "release_util.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Only a rule that cannot fire in these tests: the SLAs alone decide (no seed triggers).
const char* kQuietTrigger = "{metric: error_rate, above: 99%, for: 1m, no_data: ok}";

// Posts one beacon with `metric` = `ms` every 100 ms from its own thread, attributed with the
// cookie sg_rel=<release>; counts the answers by status.
class Beacons {
 public:
  Beacons(uint16_t port, std::string release, std::string metric, double ms)
      : port_(port), release_(std::move(release)), metric_(std::move(metric)), ms_(ms) {
    thread_ = std::thread([this] { run(); });
  }
  ~Beacons() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void setValue(double ms) { ms_ = ms; }
  int64_t accepted() const { return accepted_; }
  int64_t other() const { return other_; }
  // Waits until `n` more beacons were accepted.
  bool waitForAccepted(int64_t n) const {
    const int64_t target = accepted_ + n;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (accepted_ < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    return accepted_ >= target;
  }

 private:
  void run() {
    while (!stop_) {
      const std::string body =
          json{{"m", json::array({{{"n", metric_}, {"v", ms_.load()}}})}, {"p", "/wallet"}}.dump();
      auto r = testsupport::httpRequest(
          port_, "POST", "/_shipgate/rum",
          {{"Host", "api.test"}, {"Content-Type", "text/plain"}, {"Cookie", "sg_rel=" + release_}},
          body);
      (r.status == 204 ? accepted_ : other_)++;
      std::this_thread::sleep_for(100ms);
    }
  }
  uint16_t port_;
  std::string release_, metric_;
  std::atomic<double> ms_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> accepted_{0}, other_{0};
  std::thread thread_;
};

json incidents(Deployer& d) { return d.apiJson("GET", "/api/v1/incidents?app=api")["incidents"]; }

// Polls the incidents until pred holds (20 s at most); the last list.
json waitForIncidents(Deployer& d, const std::function<bool(const json&)>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  json last = incidents(d);
  while (!pred(last) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    last = incidents(d);
  }
  return last;
}

bool allResolved(const json& list) {
  return !list.empty() && std::all_of(list.begin(), list.end(),
                                      [](const json& i) { return !i["open"].get<bool>(); });
}

json incidentOf(const json& list, const std::string& deployment_id) {
  for (const auto& i : list) {
    if (i["deployment_id"] == deployment_id) return i;
  }
  return nullptr;
}

TEST(ReleaseSla, SlowApiResponsesRollBackInTheBake) {
  Deployer::Settings s;
  s.approval = "none";
  s.triggers = {kQuietTrigger};
  s.sections =
      "performance_slas:\n"
      "  api_response_time: {target: 200, alert_threshold: 500, percentile: 95, window: 3s, "
      "min_samples: 3}\n";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  CliResult v1 = deploy(d, "v1");
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  // v2's bake outlasts the first SLA check (5 s into the bake).
  d.settings().bake = "30s";
  ASSERT_EQ(d.reloadConfig().exit_code, 0) << d.serveLogs();

  Load load(d.httpPort(), 4);
  CliResult v2 = deploy(d, "v2", Behaviour::kSlow);
  load.stop();
  ASSERT_EQ(v2.exit_code, 1) << v2.out << v2.err << d.serveLogs();
  EXPECT_NE(v2.out.find("rolled back"), std::string::npos) << v2.out;
  EXPECT_EQ(d.servedVersion(), "v1");
  // The slow release did answer under load before it was judged.
  EXPECT_GT(load.versions().count("v2") ? load.versions().at("v2") : 0, 3) << load.describe();

  const std::string id = acceptedId(v2.out);
  json dep = d.apiJson("GET", "/api/v1/deployments/" + id);
  EXPECT_EQ(dep["state"], "rolled_back") << dep.dump(2);
  ASSERT_TRUE(dep["rollback"].is_object()) << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["rule"], "sla api_response_time") << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["trigger"], "sla") << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["window_ms"], 3000) << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["threshold"], 500) << dep.dump(2);
  ASSERT_TRUE(dep["rollback"]["value"].is_number()) << dep.dump(2);
  EXPECT_GT(dep["rollback"]["value"].get<double>(), 500) << dep.dump(2);
  EXPECT_GE(dep["rollback"]["samples"].get<int64_t>(), 3) << dep.dump(2);
  EXPECT_NE(dep["failure"].get<std::string>().find("api_response_time p95 over 3s"),
            std::string::npos)
      << dep.dump(2);
  EXPECT_EQ(dep["steps"][7]["state"], "failed") << dep.dump(2);

  json list = waitForIncidents(d, allResolved);
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  json inc = incidentOf(list, id);
  ASSERT_TRUE(inc.is_object()) << list.dump(2);
  EXPECT_FALSE(inc["open"].get<bool>()) << inc.dump(2);
  EXPECT_TRUE(inc["time_to_recover_ms"].is_number()) << inc.dump(2);
  EXPECT_NE(inc["cause"].get<std::string>().find("api_response_time"), std::string::npos)
      << inc.dump(2);

  CliResult shown = d.cli({"deployment", id});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("sla api_response_time"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("(window 3.0s)"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("> alert 500ms"), std::string::npos) << shown.out;
}

TEST(ReleaseSla, BeaconsOfTheNewReleaseRollItBackThoseOfTheOldOneDoNot) {
  Deployer::Settings s;
  s.approval = "none";
  s.triggers = {kQuietTrigger};
  s.sections =
      "performance_slas:\n"
      "  wallet_connection_time: {target: 1000, alert_threshold: 2000, window: 3s, "
      "min_samples: 3}\n"
      "rum: {rate_limit: off}\n";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deploy(d, "v1").exit_code, 0) << d.serveLogs();
  // Two SLA checks (5 s and 10 s into the bake) for v2 and v3.
  d.settings().bake = "11s";
  ASSERT_EQ(d.reloadConfig().exit_code, 0) << d.serveLogs();

  // v2 bakes while pages served by v1 report slow wallet connections: not v2's doing.
  auto v2 = d.cliAsync(
      {"deploy", "--app", "api", "--version", "v2", "--artifact", d.releaseDir("v2"), "--lines"});
  const std::string v2_id = [&] {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      json list = d.apiJson("GET", "/api/v1/deployments?app=api");
      for (const auto& dep : list["deployments"]) {
        if (dep["version"] == "v2" && dep["state"] == "baking") return dep["id"].get<std::string>();
      }
      std::this_thread::sleep_for(50ms);
    }
    return std::string();
  }();
  ASSERT_FALSE(v2_id.empty()) << d.serveLogs();
  {
    Beacons old(d.httpPort(), "api@v1", "wallet_connection_time", 6000);
    auto code = v2->wait(60s);
    old.stop();
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << v2->stdoutText() << v2->stderrText();
    // Enough slow beacons for v1 to have breached its SLA twice over in every check.
    EXPECT_GE(old.accepted(), 40);
    EXPECT_EQ(old.other(), 0);
  }
  EXPECT_EQ(d.apiJson("GET", "/api/v1/deployments/" + v2_id)["state"], "succeeded");
  EXPECT_EQ(d.servedVersion(), "v2");
  EXPECT_TRUE(incidents(d).empty()) << incidents(d).dump(2);

  // Pages served by v3 report them: v3 is rolled back by the SLA during its bake.
  Beacons bad(d.httpPort(), "api@v3", "wallet_connection_time", 6000);
  CliResult v3 = deploy(d, "v3");
  bad.stop();
  ASSERT_EQ(v3.exit_code, 1) << v3.out << v3.err << d.serveLogs();
  EXPECT_EQ(d.servedVersion(), "v2");
  EXPECT_EQ(bad.other(), 0);
  const std::string v3_id = acceptedId(v3.out);
  json dep = d.apiJson("GET", "/api/v1/deployments/" + v3_id);
  EXPECT_EQ(dep["state"], "rolled_back") << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["rule"], "sla wallet_connection_time") << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["window_ms"], 3000) << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["value"], 6000) << dep.dump(2);
  EXPECT_NE(dep["failure"].get<std::string>().find("wallet_connection_time p75 over 3s = 6000ms"),
            std::string::npos)
      << dep.dump(2);

  json list = waitForIncidents(d, allResolved);
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_TRUE(incidentOf(list, v3_id).is_object()) << list.dump(2);
  EXPECT_FALSE(list[0]["open"].get<bool>()) << list.dump(2);
}

TEST(ReleaseSla, BreachAfterTheBakeOpensOneIncidentResolvedOnRecovery) {
  shipgate::notify::testing::Receiver slack;
  slack.start();
  Deployer::Settings s;
  s.approval = "none";
  s.triggers = {kQuietTrigger};
  s.sections =
      "performance_slas:\n"
      "  wallet_connection_time: {target: 1000, alert_threshold: 2000, window: 2s, "
      "min_samples: 3}\n"
      "rum: {rate_limit: off}\n"
      "notifications:\n"
      "  slack: {webhook_url: \"" +
      slack.url("/slack") + "\", events: [incident_opened, incident_resolved]}\n";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  CliResult v1 = deploy(d, "v1");
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  const std::string v1_id = acceptedId(v1.out);
  ASSERT_TRUE(incidents(d).empty());

  Beacons beacons(d.httpPort(), "api@v1", "wallet_connection_time", 6000);
  json list = waitForIncidents(d, [](const json& l) { return !l.empty(); });
  ASSERT_EQ(list.size(), 1u) << list.dump(2) << d.serveLogs();
  json inc = list[0];
  EXPECT_TRUE(inc["open"].get<bool>()) << inc.dump(2);
  EXPECT_EQ(inc["deployment_id"], v1_id) << inc.dump(2);
  EXPECT_EQ(inc["detail"]["source"], "sla_watch") << inc.dump(2);
  EXPECT_EQ(inc["detail"]["metric"], "wallet_connection_time") << inc.dump(2);
  EXPECT_EQ(inc["detail"]["version"], "v1") << inc.dump(2);
  EXPECT_EQ(inc["detail"]["window_ms"], 2000) << inc.dump(2);
  EXPECT_NE(inc["cause"].get<std::string>().find("> alert 2000ms"), std::string::npos)
      << inc.dump(2);
  CliResult open = d.cli({"incidents", "--app", "api", "--open"});
  EXPECT_EQ(open.exit_code, 0) << open.err;
  EXPECT_NE(open.out.find("wallet_connection_time"), std::string::npos) << open.out;

  // The breach goes on for several checks: still one incident, no rollback.
  ASSERT_TRUE(beacons.waitForAccepted(30));
  list = incidents(d);
  EXPECT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_TRUE(list[0]["open"].get<bool>()) << list.dump(2);
  EXPECT_EQ(d.apiJson("GET", "/api/v1/deployments/" + v1_id)["state"], "succeeded");
  EXPECT_EQ(d.servedVersion(), "v1");

  // Fast wallet connections again: resolved once the window holds only those.
  beacons.setValue(300);
  list = waitForIncidents(d, allResolved);
  beacons.stop();
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_EQ(list[0]["id"], inc["id"]);
  EXPECT_FALSE(list[0]["open"].get<bool>()) << list.dump(2) << d.serveLogs();
  EXPECT_GT(list[0]["time_to_recover_ms"].get<int64_t>(), 0) << list.dump(2);
  EXPECT_EQ(beacons.other(), 0);

  // Both went out through the notifier, opened then resolved, naming the incident.
  ASSERT_TRUE(slack.waitForCount(2)) << d.serveLogs();
  auto got = slack.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].body.find("Incident opened"), std::string::npos) << got[0].body;
  EXPECT_NE(got[1].body.find("Incident resolved"), std::string::npos) << got[1].body;
  const std::string id_text = std::to_string(inc["id"].get<int64_t>());
  EXPECT_NE(got[0].body.find(id_text), std::string::npos) << got[0].body;
}

TEST(ReleaseSla, EmergencyRollbackIsAnIncidentAStandardOneIsNot) {
  Deployer::Settings s;
  s.approval = "none";
  s.triggers = {kQuietTrigger};
  s.scale_down_delay = "5m";  // the replaced release stays warm
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deploy(d, "v1").exit_code, 0) << d.serveLogs();
  ASSERT_EQ(deploy(d, "v2").exit_code, 0) << d.serveLogs();

  CliResult em = d.cli({"rollback", "--app", "api", "--reason", "pager: checkout broken",
                        "--emergency", "--lines", "--actor", "oncall"});
  ASSERT_EQ(em.exit_code, 0) << em.out << em.err << d.serveLogs();
  EXPECT_EQ(d.servedVersion(), "v1");
  const std::string em_id = acceptedId(em.out);
  json list = waitForIncidents(d, allResolved);
  ASSERT_EQ(list.size(), 1u) << list.dump(2) << d.serveLogs();
  EXPECT_EQ(list[0]["deployment_id"], em_id) << list.dump(2);
  EXPECT_EQ(list[0]["cause"], "emergency rollback by oncall: pager: checkout broken")
      << list.dump(2);
  EXPECT_EQ(list[0]["detail"]["from_version"], "v2") << list.dump(2);
  EXPECT_EQ(list[0]["detail"]["to_version"], "v1") << list.dump(2);
  EXPECT_FALSE(list[0]["open"].get<bool>()) << list.dump(2);
  EXPECT_TRUE(list[0]["time_to_recover_ms"].is_number()) << list.dump(2);

  // A standard rollback (back to v2, which v1 replaced) records who and why, and is no incident.
  CliResult std_rb =
      d.cli({"rollback", "--app", "api", "--reason", "false alarm", "--lines", "--actor", "alice"});
  ASSERT_EQ(std_rb.exit_code, 0) << std_rb.out << std_rb.err << d.serveLogs();
  EXPECT_EQ(d.servedVersion(), "v2");
  const std::string rb_id = acceptedId(std_rb.out);
  json dep = d.apiJson("GET", "/api/v1/deployments/" + rb_id);
  EXPECT_EQ(dep["kind"], "rollback") << dep.dump(2);
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
  EXPECT_EQ(dep["actor"], "alice") << dep.dump(2);
  EXPECT_EQ(dep["reason"], "false alarm") << dep.dump(2);
  CliResult shown = d.cli({"deployment", rb_id});
  EXPECT_NE(shown.out.find("by:       alice (false alarm)"), std::string::npos) << shown.out;
  std::this_thread::sleep_for(1s);  // an incident would be opened right after the switch
  EXPECT_EQ(incidents(d).size(), 1u) << incidents(d).dump(2);

  // Rolled back while it bakes: the rollback names who and why; --emergency makes it an incident.
  d.settings().bake = "60s";
  ASSERT_EQ(d.reloadConfig().exit_code, 0) << d.serveLogs();
  for (bool emergency : {false, true}) {
    const std::string version = emergency ? "v4" : "v3";
    auto run = d.cliAsync({"deploy", "--app", "api", "--version", version, "--artifact",
                           d.releaseDir(version), "--lines"});
    std::string id;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (id.empty() && std::chrono::steady_clock::now() < deadline) {
      const json all = d.apiJson("GET", "/api/v1/deployments?app=api");
      for (const auto& x : all["deployments"]) {
        if (x["version"] == version && x["state"] == "baking") id = x["id"].get<std::string>();
      }
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_FALSE(id.empty()) << d.serveLogs();
    // --no-wait: followed, the rolled-back deployment would make the rollback exit 1.
    std::vector<std::string> args = {"rollback",      "--app",   "api", "--reason",
                                     "wallet errors", "--actor", "bob", "--no-wait"};
    if (emergency) args.push_back("--emergency");
    CliResult rb = d.cli(args);
    ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err;
    EXPECT_EQ(rb.out, id + "\n");  // the baking deployment is the one rolled back
    auto code = run->wait(30s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 1) << run->stdoutText();
    json baked = d.waitForState(id, {"rolled_back"}, 10s);
    EXPECT_EQ(baked["state"], "rolled_back") << baked.dump(2);
    EXPECT_EQ(baked["rollback"]["actor"], "bob") << baked.dump(2);
    EXPECT_EQ(baked["rollback"]["reason"], "wallet errors") << baked.dump(2);
    EXPECT_EQ(baked["rollback"]["trigger"], "manual") << baked.dump(2);
    EXPECT_EQ(baked["rollback"]["emergency"], emergency) << baked.dump(2);
    CliResult view = d.cli({"deployment", id});
    EXPECT_NE(view.out.find("by bob: wallet errors"), std::string::npos) << view.out;
    EXPECT_EQ(d.servedVersion(), "v2");
    json after = waitForIncidents(
        d, [&](const json& l) { return l.size() == (emergency ? 2u : 1u) && allResolved(l); });
    if (emergency) {
      json inc = incidentOf(after, id);
      ASSERT_TRUE(inc.is_object()) << after.dump(2);
      EXPECT_EQ(inc["cause"], "emergency rollback by bob: wallet errors") << inc.dump(2);
      EXPECT_FALSE(inc["open"].get<bool>()) << inc.dump(2);
    } else {
      EXPECT_EQ(after.size(), 1u) << after.dump(2);
    }
  }
}

}  // namespace
}  // namespace releasetest
