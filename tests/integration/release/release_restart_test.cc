// Crash safety through the real binary: `shipgate serve` is killed with SIGKILL while a deployment
// of v2 (v1 live) is in each step of the checklist in turn, then started again on the same state
// directory. After the restart the deployment has resumed (and finished) or was rolled back, the
// gateway serves a healthy release that matches the recorded outcome, the store holds exactly
// what was deployed (no half-written deployment, no second unfinished one), and a new deployment
// goes through.
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "release_util.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::vector<std::string> kTerminal = {"succeeded", "failed", "rejected", "rolled_back"};

// Starts v2's deployment and polls until `step` is running; returns the deployment id. v2 answers
// each /api/ request after 1 s, so the smoke step lasts long enough to be caught running.
std::string deployUntil(Deployer& d, const std::string& step) {
  auto r = d.api("POST", "/api/v1/deployments",
                 R"({"app":"api","version":"v2","artifact":")" +
                     d.releaseDir("v2", Behaviour::kSlow) + R"("})");
  EXPECT_EQ(r.status, 202) << r.raw;
  const std::string id = json::parse(r.body, nullptr, false).value("id", "");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto dep = d.apiJson("GET", "/api/v1/deployments/" + id);
    const json s = stepOf(dep, step);
    if (s.is_object() && s.value("state", "") == "running") return id;
    if (step == "approval" && dep.value("state", "") == "waiting_approval") return id;
    if (s.is_object() && (s.value("state", "") == "succeeded" || s.value("state", "") == "failed")) {
      // Too fast to be seen running: the kill lands right after it, still inside the deployment.
      ADD_FAILURE() << "step " << step << " finished before it was seen running; killing after it";
      return id;
    }
    std::this_thread::sleep_for(5ms);
  }
  ADD_FAILURE() << "step " << step << " never ran: " << d.serveLogs();
  return id;
}

class KillAtStep : public ::testing::TestWithParam<std::string> {};

TEST_P(KillAtStep, RestartReconcilesToAHealthySlot) {
  const std::string step = GetParam();
  Deployer::Settings s;
  s.approval = "required";
  // The start step (and the accessibility step, skipped without url_paths) is over in a
  // millisecond: held for the test so the kill lands inside it.
  if (step == "start" || step == "accessibility") {
    s.serve_env = {{"SHIPGATE_TEST_HOLD_STEP", step + ":3000"}};
  }
  s.bake = "4s";
  s.scale_down_delay = "3s";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());

  // v1 live (approved through the API).
  auto r = d.api("POST", "/api/v1/deployments",
                 R"({"app":"api","version":"v1","artifact":")" + d.releaseDir("v1") + R"("})");
  ASSERT_EQ(r.status, 202) << r.raw;
  const std::string v1 = json::parse(r.body)["id"];
  ASSERT_EQ(d.waitForState(v1, {"waiting_approval"}, 60s)["state"], "waiting_approval")
      << d.serveLogs();
  ASSERT_EQ(d.api("POST", "/api/v1/deployments/" + v1 + "/approve", "{}").status, 200);
  ASSERT_EQ(d.waitForState(v1, kTerminal, 60s)["state"], "succeeded") << d.serveLogs();
  // v2 switches in weight steps with holds, so the kill can land inside the switch.
  d.settings().switch_block = "{steps: [50, 100], hold: 2s}";
  CliResult reload = d.reloadConfig();
  ASSERT_EQ(reload.exit_code, 0) << reload.out << reload.err;

  // v2 until `step`; approve it first unless the kill is meant for the approval wait.
  std::string id;
  if (step == "switch" || step == "bake" || step == "cleanup") {
    auto r2 = d.api("POST", "/api/v1/deployments",
                    R"({"app":"api","version":"v2","artifact":")" + d.releaseDir("v2") + R"("})");
    ASSERT_EQ(r2.status, 202) << r2.raw;
    id = json::parse(r2.body)["id"];
    ASSERT_EQ(d.api("POST", "/api/v1/deployments/" + id + "/approve", "{}").status, 200);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    bool seen = false;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
      json dep = d.apiJson("GET", "/api/v1/deployments/" + id);
      // In the bake means the deployment says baking too (the step is recorded running a moment
      // before the deployment's state follows).
      seen = stepOf(dep, step).value("state", "") == "running" &&
             (step != "bake" || dep.value("state", "") == "baking");
      if (!seen) std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(seen) << "step " << step << " never seen running\n" << d.serveLogs();
  } else {
    id = deployUntil(d, step);
  }
  ASSERT_FALSE(id.empty());
  json before = d.apiJson("GET", "/api/v1/deployments/" + id);
  d.killServe();
  ASSERT_FALSE(d.serveRunning());

  ASSERT_TRUE(d.startServe()) << d.serveLogs();
  // Approval is given again after a restart if the deployment is still waiting for it.
  json after = d.waitForState(id, kTerminal, 60s);
  const std::string state = after.value("state", "");
  ASSERT_TRUE(state == "succeeded" || state == "rolled_back")
      << "killed in " << step << " (state then " << before.value("state", "") << "), after: "
      << after.dump(2) << d.serveLogs();
  // Before the switch the deployment cannot resume: it is rolled back. Once baking, it resumes.
  if (step == "start" || step == "health" || step == "smoke" || step == "approval") {
    EXPECT_EQ(state, "rolled_back") << after.dump(2);
    EXPECT_NE(after.value("failure", "").find("restart"), std::string::npos) << after.dump(2);
  }
  if (step == "bake" || step == "cleanup") {
    EXPECT_EQ(state, "succeeded") << "killed with the deployment " << before.value("state", "")
                                  << " and its " << step << " step "
                                  << stepOf(before, step).value("state", "") << "\n"
                                  << after.dump(2);
  }
  // Traffic is on the release the outcome says, and it answers.
  const std::string want = state == "succeeded" ? "v2" : "v1";
  std::string served;
  for (int i = 0; i < 100 && served != want; ++i) {
    served = d.servedVersion();
    if (served != want) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(served, want) << after.dump(2) << d.serveLogs();
  // No step of a finished deployment is left running (cleanup may still run after success).
  for (const auto& st : after["steps"]) {
    if (st["name"] != "cleanup") {
      EXPECT_NE(st["state"], "running") << after.dump(2);
    }
  }
  // The store: exactly the two deployments, v1's untouched; both releases recorded.
  json list = d.apiJson("GET", "/api/v1/deployments?app=api");
  ASSERT_EQ(list["deployments"].size(), 2u) << list.dump(2);
  EXPECT_EQ(list["deployments"][1]["id"], v1);
  EXPECT_EQ(list["deployments"][1]["state"], "succeeded");
  json rel = d.apiJson("GET", "/api/v1/apps/api/releases");
  EXPECT_EQ(rel["releases"].size(), 2u) << rel.dump(2);
  EXPECT_EQ(rel["live_slot"].is_string(), true) << rel.dump(2);

  // And the controller takes a new deployment after the restart.
  auto r3 = d.api("POST", "/api/v1/deployments",
                  R"({"app":"api","version":"v3","artifact":")" + d.releaseDir("v3") + R"("})");
  ASSERT_EQ(r3.status, 202) << r3.raw << d.serveLogs();
  const std::string v3 = json::parse(r3.body)["id"];
  ASSERT_EQ(d.waitForState(v3, {"waiting_approval"}, 60s)["state"], "waiting_approval");
  ASSERT_EQ(d.api("POST", "/api/v1/deployments/" + v3 + "/approve", "{}").status, 200);
  EXPECT_EQ(d.waitForState(v3, kTerminal, 60s)["state"], "succeeded") << d.serveLogs();
  auto probe = testsupport::httpGet(d.httpPort(), "/api/properties", {{"Host", "api.test"}});
  EXPECT_EQ(d.servedVersion(), "v3") << probe.status << " " << probe.raw << "\n"
                                     << d.apiJson("GET", "/api/v1/deployments/" + v3).dump(2)
                                     << d.serveLogs();
}

// `shipgate deploy` keeps following through a restart of `shipgate serve`: it reconnects and
// exits with the outcome of the resumed deployment.
TEST(Restart, DeployCliFollowsThroughARestart) {
  Deployer::Settings s;
  s.approval = "none";
  s.bake = "6s";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(d.cli({"deploy", "--app", "api", "--version", "v1", "--artifact", d.releaseDir("v1"),
                   "--no-wait"}).exit_code, 0);
  auto first = d.apiJson("GET", "/api/v1/deployments?app=api");
  ASSERT_EQ(first["deployments"].size(), 1u) << first.dump(2);
  ASSERT_EQ(d.waitForState(first["deployments"][0]["id"], kTerminal, 60s)["state"], "succeeded");

  auto deploy = d.cliAsync({"deploy", "--app", "api", "--version", "v2", "--artifact",
                            d.releaseDir("v2"), "--lines", "--reconnect", "60"});
  ASSERT_TRUE(deploy->waitForOutput("state baking", 60s)) << deploy->describe() << d.serveLogs();
  d.killServe();
  ASSERT_TRUE(deploy->waitForOutput("lost the admin API", 30s)) << deploy->describe();
  ASSERT_TRUE(d.startServe()) << d.serveLogs();
  EXPECT_EQ(deploy->wait(90s), std::optional<int>(0)) << deploy->describe() << d.serveLogs();
  EXPECT_NE(deploy->stdoutText().find("api v2 is live on"), std::string::npos)
      << deploy->stdoutText();
  EXPECT_EQ(d.servedVersion(), "v2");
}

INSTANTIATE_TEST_SUITE_P(EveryStep, KillAtStep,
                         ::testing::Values("start", "health", "smoke", "accessibility", "approval",
                                           "switch", "bake", "cleanup"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace releasetest
