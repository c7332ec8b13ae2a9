// Switches and rollbacks under load through the real binary: a client hammers the gateway while
// traffic moves, and every answer is counted by its exact status. A switch (weighted steps) and
// an emergency rollback fail no request; a release that answers 500 (the coinestate API's error
// knob) is rolled back by the error-rate trigger on its own, with an incident recorded.
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "release_util.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(ReleaseRollback, WeightedSwitchUnderLoadFailsNoRequest) {
  Deployer::Settings s;
  s.approval = "none";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  CliResult v1 = deploy(d, "v1");
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  ASSERT_EQ(d.servedVersion(), "v1");
  // Weight steps from now on (a reload keeps the managed slots' replicas: v1 keeps serving).
  d.settings().switch_block = "{steps: [25, 50, 100], hold: 1s}";
  CliResult reload = d.reloadConfig();
  ASSERT_EQ(reload.exit_code, 0) << reload.out << reload.err << d.serveLogs();
  ASSERT_EQ(d.servedVersion(), "v1") << d.serveLogs();

  Load load(d.httpPort(), 3);
  waitForAnswers(load, 200);
  CliResult v2 = deploy(d, "v2");
  waitForAnswers(load, 200);
  load.stop();
  ASSERT_EQ(v2.exit_code, 0) << v2.out << v2.err << d.serveLogs();
  EXPECT_EQ(d.servedVersion(), "v2");

  const auto statuses = load.statuses();
  const auto versions = load.versions();
  EXPECT_EQ(statuses.size(), 1u) << load.describe();
  EXPECT_GT(statuses.count(200) ? statuses.at(200) : 0, 400) << load.describe();
  // Both releases answered during the run: the traffic moved while the client kept asking.
  EXPECT_GT(versions.count("v1") ? versions.at("v1") : 0, 0) << load.describe();
  EXPECT_GT(versions.count("v2") ? versions.at("v2") : 0, 0) << load.describe();
  // The steps are in the switch step's evidence or at least the steps ran in order.
  json dep = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(v2.out));
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
}

TEST(ReleaseRollback, ErrorRateTriggerRollsBackOnItsOwn) {
  Deployer::Settings s;
  s.approval = "none";
  s.bake = "20s";
  s.triggers = {"{metric: error_rate, above: 5%, for: 2s, min_requests: 5, no_data: ok}"};
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  // v1 bakes 20 s as well: deploy it without waiting, then let it finish by polling.
  CliResult v1 = d.cli({"deploy", "--app", "api", "--version", "v1", "--artifact",
                        d.releaseDir("v1"), "--no-wait"});
  ASSERT_EQ(v1.exit_code, 0) << v1.err;
  const std::string v1_id = v1.out.substr(0, v1.out.find('\n'));
  json baking = d.waitForState(v1_id, {"baking", "succeeded", "failed", "rolled_back"}, 60s);
  ASSERT_EQ(baking["state"], "baking") << baking.dump(2) << d.serveLogs();
  ASSERT_EQ(d.servedVersion(), "v1");
  // From here on every answer counts: v1 serves, then v2, then v1 again.
  Load load(d.httpPort(), 2);
  // A new deploy needs v1 finished: wait out its bake.
  json done = d.waitForState(v1_id, {"succeeded", "failed", "rolled_back"}, 90s);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2) << load.describe();

  // v2 answers 500 to every /api/properties (its health check still passes, so smoke passes).
  CliResult v2 = deploy(d, "v2", Behaviour::kErrors);
  load.stop();
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err << d.serveLogs();
  EXPECT_NE(v2.out.find("rolled back"), std::string::npos) << v2.out;
  EXPECT_NE(v2.out.find("error_rate"), std::string::npos) << v2.out;
  EXPECT_EQ(d.servedVersion(), "v1");

  json dep = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(v2.out));
  EXPECT_EQ(dep["state"], "rolled_back") << dep.dump(2);
  ASSERT_TRUE(dep["rollback"].is_object()) << dep.dump(2);
  EXPECT_NE(dep["rollback"].value("rule", std::string()).find("rror"), std::string::npos)
      << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["window_ms"], 2000) << dep.dump(2);

  // Only the bad release's own answers failed: every answer is a 200 or v2's injected 500.
  for (const auto& [status, count] : load.statuses()) {
    EXPECT_TRUE(status == 200 || status == 500) << load.describe();
  }
  // The incident: opened by the trigger, resolved once v1 served again.
  json incidents;
  for (int i = 0; i < 50; ++i) {
    incidents = d.apiJson("GET", "/api/v1/incidents?app=api");
    if (!incidents["incidents"].empty() && !incidents["incidents"][0]["open"].get<bool>()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(incidents["incidents"].size(), 1u) << incidents.dump(2);
  EXPECT_EQ(incidents["incidents"][0]["open"], false) << incidents.dump(2);
  EXPECT_TRUE(incidents["incidents"][0]["time_to_recover_ms"].is_number()) << incidents.dump(2);
  CliResult listed = d.cli({"incidents", "--app", "api"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(acceptedId(v2.out)), std::string::npos) << listed.out;

  // /metrics counts both deployments by result and the rollback by its trigger, names the live
  // release, and promtool accepts all of it (the release and RUM series included).
  auto metrics = d.api("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.raw;
  for (const char* series :
       {"shipgate_deployments_total{app=\"api\",result=\"succeeded\"} 1",
        "shipgate_deployments_total{app=\"api\",result=\"rolled_back\"} 1",
        "shipgate_rollbacks_total{app=\"api\",trigger=\"error_rate\"} 1"}) {
    EXPECT_NE(metrics.body.find(series), std::string::npos) << series << "\n" << metrics.body;
  }
  EXPECT_NE(metrics.body.find("shipgate_release_info{app=\"api\""), std::string::npos)
      << metrics.body;
  const std::string file = d.dir().writeFile("metrics.txt", metrics.body);
  testsupport::ProcessOptions o;
  o.argv = {"/bin/sh", "-c", "promtool check metrics < " + file};
  testsupport::Process promtool(o);
  ASSERT_TRUE(promtool.start()) << "promtool did not start (scripts/install-deps.sh installs it)";
  auto code = promtool.wait(30s);
  ASSERT_TRUE(code.has_value()) << "promtool timed out";
  EXPECT_EQ(*code, 0) << promtool.stdoutText() << promtool.stderrText();
}

TEST(ReleaseRollback, EmergencyRollbackUnderLoadFailsNoRequest) {
  Deployer::Settings s;
  s.approval = "none";
  s.scale_down_delay = "5m";  // v1 stays warm after v2's bake
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deploy(d, "v1").exit_code, 0) << d.serveLogs();
  CliResult v2 = deploy(d, "v2");
  ASSERT_EQ(v2.exit_code, 0) << v2.out << v2.err;
  ASSERT_EQ(d.servedVersion(), "v2");

  Load load(d.httpPort(), 3);
  waitForAnswers(load, 200);
  CliResult rb = d.cli({"rollback", "--app", "api", "--reason", "pager: checkout broken",
                        "--emergency", "--lines", "--actor", "oncall"});
  waitForAnswers(load, 200);
  load.stop();
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err << d.serveLogs();
  EXPECT_EQ(d.servedVersion(), "v1");
  const auto statuses = load.statuses();
  EXPECT_EQ(statuses.size(), 1u) << load.describe();
  EXPECT_EQ(statuses.count(200), 1u) << load.describe();
  const auto versions = load.versions();
  EXPECT_GT(versions.count("v1") ? versions.at("v1") : 0, 0) << load.describe();

  json dep = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(rb.out));
  EXPECT_EQ(dep["kind"], "emergency_rollback") << dep.dump(2);
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
  EXPECT_EQ(dep["version"], "v1") << dep.dump(2);
  EXPECT_EQ(dep["actor"], "oncall") << dep.dump(2);
  EXPECT_EQ(dep["reason"], "pager: checkout broken") << dep.dump(2);
}

}  // namespace
}  // namespace releasetest
