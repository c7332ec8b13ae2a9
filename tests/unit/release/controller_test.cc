// The deploy state machine on simulated time, against a real SQLite state store, with fakes of the
// gateway side and releases served by real loopback HTTP servers (controller_fixture.h).
#include <gtest/gtest.h>

#include "controller_fixture.h"

namespace shipgate::release {
namespace {

using json = nlohmann::json;
using testing::Bench;
using testing::stepOf;
using traffic::Slot;

std::vector<std::string> auditActions(store::StateStore& s, const std::string& subject) {
  std::vector<std::string> out;
  auto all = s.listAudit(0, 0);
  EXPECT_TRUE(all.isOk());
  for (const auto& a : *all) {
    if (a.subject == subject) out.push_back(a.action);
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(ReleaseController, TheSwitchRecordsTheFlagVersionsInForce) {
  Bench b;
  b.healthyTraffic("web", "green");
  std::string id = b.deployAndFinish("web", "v1");
  json d = b.deployment(id);
  json switch_step;
  for (const auto& s : d["steps"]) {
    if (s["name"] == "switch") switch_step = s;
  }
  ASSERT_TRUE(switch_step.is_object()) << d.dump(2);
  EXPECT_EQ(switch_step["state"], "succeeded");
  // web is in staging (kConfig): its environment's flags, key -> version.
  EXPECT_EQ(switch_step["evidence"]["flags"], json::parse(R"({"banner-text": 2, "new-checkout": 1})"));
}

TEST(ReleaseController, StagingDeployRunsTheWholeChecklist) {
  Bench b;
  b.healthyTraffic("web", "green");
  std::string id = b.deployAndFinish("web", "v1");
  json d = b.deployment(id);
  EXPECT_EQ(d["kind"], "deploy");
  EXPECT_EQ(d["from_slot"], "blue");
  EXPECT_EQ(d["to_slot"], "green");
  EXPECT_TRUE(d["previous_version"].is_null());
  ASSERT_EQ(d["steps"].size(), 11u);
  std::vector<std::string> names, states;
  for (const auto& s : d["steps"]) {
    names.push_back(s["name"]);
    states.push_back(s["state"]);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"gates", "preflight", "migrate", "start", "health",
                                             "smoke", "accessibility", "approval", "switch",
                                             "bake", "cleanup"}));
  // No quality_gates configured: the gates step is skipped with the reason.
  EXPECT_EQ(stepOf(d, "gates")["state"], "skipped");
  EXPECT_EQ(stepOf(d, "gates")["result"], "no quality_gates configured");
  EXPECT_EQ(stepOf(d, "migrate")["state"], "skipped");  // no database configured
  // staging: no smoke checks or accessibility url_paths configured for web, no approval.
  EXPECT_EQ(stepOf(d, "smoke")["state"], "skipped");
  EXPECT_EQ(stepOf(d, "accessibility")["state"], "skipped");
  EXPECT_EQ(stepOf(d, "approval")["state"], "skipped");
  EXPECT_EQ(b.stepState(id, "bake"), "succeeded");
  // Nothing was live before v1: no traffic to shift by weight, all of it to green at once.
  EXPECT_EQ(b.gateway().history(), (std::vector<std::string>{"web:green"}));
  EXPECT_EQ(b.gateway().active("web"), Slot::kGreen);
  EXPECT_FALSE(b.gateway().weighted("web"));
  EXPECT_EQ(b.runtime().running("web", "green"), "v1");
  EXPECT_EQ(b.labels().version("web", "green"), "v1");  // pages served by green say "web@v1"
  // The bake lasted the environment's 2 minutes of simulated time.
  json bake = stepOf(d, "bake");
  EXPECT_GE(bake["duration_ms"].get<int64_t>(), 120'000);
  EXPECT_EQ(bake["evidence"]["bake_ms"], 120'000);

  // The store has the same, with an audit entry for every step start and end.
  auto stored = b.store().getDeployment(id);
  ASSERT_TRUE(stored.isOk());
  EXPECT_EQ(stored->state, store::DeploymentState::kSucceeded);
  EXPECT_NE(stored->finished_at, 0);
  ASSERT_TRUE(b.driveCleanup(id));
  auto actions = auditActions(b.store(), id);
  EXPECT_TRUE(contains(actions, "deploy"));
  EXPECT_TRUE(contains(actions, "switch"));
  EXPECT_TRUE(contains(actions, "deploy_succeeded"));
  // Every step but preflight (recorded at creation) starts: gates first.
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "step_started"), 10);
  auto rel = b.c().releases("web");
  ASSERT_TRUE(rel.isOk());
  EXPECT_EQ((*rel)["live_slot"], "green");
  EXPECT_EQ((*rel)["slots"]["green"]["version"], "v1");
  EXPECT_EQ((*rel)["releases"][0]["version"], "v1");
  EXPECT_EQ((*rel)["releases"][0]["live"], true);
  EXPECT_NE(b.registry().renderPrometheus().find(
                "shipgate_deployments_total{app=\"web\",result=\"succeeded\"} 1"),
            std::string::npos);
}

TEST(ReleaseController, TriggerValuesAtZeroAreNotBreaching) {
  // A WAF rule with no block at all: its value is 0 blocks/min, which does not breach "> 1000".
  std::string yaml = testing::kConfig;
  const std::string health = "  - \"Health check failures > 3 consecutive\"\n";
  yaml.insert(yaml.find(health) + health.size(),
              "  - \"Security alert (WAF blocking > 1000 requests/minute)\"\n");
  Bench b(yaml);
  b.healthyTraffic("web", "green");
  std::string id = b.deployAndFinish("web", "v1");
  json bake = stepOf(b.deployment(id), "bake");
  const json& values = bake["evidence"]["values"];
  ASSERT_EQ(values.size(), 3u) << bake.dump(2);
  for (const auto& v : values) {
    EXPECT_EQ(v["breaching"], false) << v.dump();
    EXPECT_EQ(v["breaching_samples"], 0) << v.dump();
  }
  EXPECT_EQ(values[2]["metric"], "waf_blocks") << values.dump(2);
  EXPECT_EQ(values[2]["value"], 0.0) << values.dump(2);
  EXPECT_EQ(values[1]["metric"], "health_failures") << values.dump(2);
  EXPECT_EQ(values[1]["value"], 0.0) << values.dump(2);
}

TEST(ReleaseController, SecondDeployKeepsTheOldSlotWarmThenStopsIt) {
  Bench b;
  b.healthyTraffic("web", "green");
  b.healthyTraffic("web", "blue");
  std::string first = b.deployAndFinish("web", "v1");
  ASSERT_TRUE(b.driveCleanup(first));
  std::string second = b.deployAndFinish("web", "v2");
  json d = b.deployment(second);
  // With v1 live, the weight steps go 10, 50, 100 with a hold, then all traffic to blue.
  EXPECT_EQ(b.gateway().history(),
            (std::vector<std::string>{"web:green", "web:10/90", "web:50/50", "web:blue"}));
  EXPECT_EQ(d["previous_version"], "v1");
  EXPECT_EQ(d["to_slot"], "blue");
  EXPECT_EQ(b.gateway().active("web"), Slot::kBlue);
  // Through the scale-down delay v1 stays warm in green, then it stops.
  EXPECT_EQ(b.runtime().running("web", "green"), "v1");
  ASSERT_TRUE(b.driveCleanup(second));
  EXPECT_EQ(b.runtime().running("web", "green"), "");
  EXPECT_TRUE(b.gateway().endpoints("web", Slot::kGreen).empty());
  auto slots = b.store().slotStates("web");
  ASSERT_TRUE(slots.isOk());
  for (const auto& s : *slots) {
    if (s.slot == "green") {
      EXPECT_EQ(s.state, store::SlotState::kStopped);
    }
    if (s.slot == "blue") {
      EXPECT_EQ(s.state, store::SlotState::kLive);
    }
  }
  EXPECT_EQ(b.stepState(second, "cleanup"), "succeeded");
}

TEST(ReleaseController, ProductionWaitsForApprovalAndApproveIsIdempotent) {
  Bench b;
  b.healthyTraffic("api", "green");
  DeployRequest req{"api", "v1", "", "", "abc123", 0, "alice", "first release"};
  auto id = b.c().deploy(req);
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  ASSERT_TRUE(b.driveToState(*id, "waiting_approval"));
  // Smoke checks ran for real against both replicas before the approval.
  json smoke = stepOf(b.deployment(*id), "smoke");
  EXPECT_EQ(smoke["state"], "succeeded");
  EXPECT_EQ(smoke["evidence"]["requests"].size(), 4u);
  EXPECT_EQ(smoke["evidence"]["requests"][0]["status"], 200);
  EXPECT_EQ(b.gateway().active("api"), Slot::kBlue);  // nothing switched yet
  // The event stream says what is needed.
  auto ev = b.c().events(*id, 0, std::chrono::milliseconds(0));
  ASSERT_TRUE(ev.isOk());
  bool asked = false;
  int64_t last_seq = 0;
  for (const auto& e : (*ev)["events"]) {
    EXPECT_EQ(e["seq"].get<int64_t>(), last_seq + 1);
    last_seq = e["seq"];
    if (e["type"] == "approval_needed") asked = true;
  }
  EXPECT_TRUE(asked);
  EXPECT_FALSE((*ev)["finished"].get<bool>());

  ASSERT_TRUE(b.c().approve(*id, "bob").isOk());
  ASSERT_TRUE(b.c().approve(*id, "bob").isOk());  // idempotent
  ASSERT_TRUE(b.driveToState(*id, "succeeded", std::chrono::seconds(5)));
  json d = b.deployment(*id);
  EXPECT_EQ(d["approved_by"], "bob");
  EXPECT_EQ(stepOf(d, "approval")["result"], "approved by bob");
  Status late = b.c().approve(*id, "carol");
  EXPECT_EQ(late.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(late.message().find("succeeded"), std::string::npos) << late.message();
  EXPECT_EQ(b.c().reject(*id, "carol", "too late").code(), Status::Code::kFailedPrecondition);
  auto actions = auditActions(b.store(), *id);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "approve"), 1);
}

TEST(ReleaseController, RejectStopsTheNewSlotAndIsIdempotent) {
  Bench b;
  b.healthyTraffic("api", "green");
  std::string v1 = b.deployAndFinish("api", "v1");
  auto id = b.c().deploy({"api", "v2", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(id.isOk());
  ASSERT_TRUE(b.driveToState(*id, "waiting_approval"));
  EXPECT_EQ(b.runtime().running("api", "blue"), "v2");
  ASSERT_TRUE(b.c().reject(*id, "bob", "not today").isOk());
  ASSERT_TRUE(b.c().reject(*id, "bob", "not today").isOk());
  ASSERT_TRUE(b.driveToState(*id, "rejected"));
  json d = b.deployment(*id);
  EXPECT_EQ(d["failure"], "rejected by bob: not today");
  EXPECT_EQ(b.runtime().running("api", "blue"), "");
  EXPECT_EQ(b.gateway().active("api"), Slot::kGreen);
  EXPECT_EQ(b.runtime().running("api", "green"), "v1");
  EXPECT_TRUE(b.c().reject(*id, "bob", "again").isOk());
  EXPECT_EQ(b.c().approve(*id, "bob").code(), Status::Code::kFailedPrecondition);
}

TEST(ReleaseController, SmokeFailureFailsBeforeTheSwitch) {
  Bench b;
  b.healthyTraffic("api", "green");
  b.deployAndFinish("api", "v1");
  std::string id = b.deployAndFinish("api", "v2-smoke-fail", "failed");
  json d = b.deployment(id);
  std::string failure = d["failure"];
  EXPECT_NE(failure.find("smoke: GET 127.0.0.1:"), std::string::npos) << failure;
  EXPECT_NE(failure.find("/api/health: expected status 200, got 503"), std::string::npos)
      << failure;
  EXPECT_EQ(stepOf(d, "smoke")["state"], "failed");
  EXPECT_EQ(stepOf(d, "smoke")["evidence"]["requests"][0]["body"], "down");
  EXPECT_EQ(stepOf(d, "switch")["state"], "pending");  // never switched
  EXPECT_EQ(b.gateway().active("api"), Slot::kGreen);
  EXPECT_EQ(b.runtime().running("api", "blue"), "");
}

TEST(ReleaseController, CrashLoopAndHealthTimeoutFail) {
  Bench b;
  std::string crash = b.deployAndFinish("web", "v1-crash", "failed");
  EXPECT_NE(b.deployment(crash)["failure"].get<std::string>().find("crash-looping"),
            std::string::npos);
  b.gateway().setUnhealthy("web", Slot::kGreen, true);
  std::string sick = b.deployAndFinish("web", "v2", "failed");
  std::string failure = b.deployment(sick)["failure"];
  EXPECT_NE(failure.find("health: not healthy after 2m"), std::string::npos) << failure;
  EXPECT_NE(failure.find("connection refused"), std::string::npos) << failure;
  std::string nostart = b.deployAndFinish("web", "v3-nostart", "failed");
  EXPECT_NE(b.deployment(nostart)["failure"].get<std::string>().find("start: cannot run"),
            std::string::npos);
  EXPECT_EQ(b.gateway().history().size(), 0u);  // traffic never moved
}

TEST(ReleaseController, DeployWhileRunningAndBadRequests) {
  Bench b;
  auto id = b.c().deploy({"api", "v1", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(id.isOk());
  auto again = b.c().deploy({"api", "v2", "", "", "", 0, "alice", ""});
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(again.status().message().find(*id), std::string::npos);
  EXPECT_EQ(b.c().deploy({"nope", "v1", "", "", "", 0, "", ""}).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(b.c().deploy({"web", "v 1", "", "", "", 0, "", ""}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(b.c().deploy({"web", "v1", "production", "", "", 0, "", ""}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(b.c().rollback({"web", std::nullopt, "", "alice", false}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(b.c().rollback({"web", std::nullopt, "why", "alice", false}).status().code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(b.c().deployment("d-999").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(b.c().events("d-999", 0, std::chrono::milliseconds(0)).status().code(),
            Status::Code::kNotFound);
}

TEST(ReleaseController, ErrorRateTriggerRollsBackAndOpensAnIncident) {
  Bench b;
  b.healthyTraffic("web", "green");
  b.healthyTraffic("web", "blue");
  b.deployAndFinish("web", "v1");
  // v2 answers 30% 5xx from the start: during the weight-step holds (10 s each) the 1-minute
  // window cannot fill, so it switches; the bake catches it after one minute.
  b.telemetry().set("web", "blue", 200, 60, 0.020);
  auto id = b.c().deploy({"web", "v2", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(id.isOk());
  ASSERT_TRUE(b.driveToState(*id, "rolled_back"));
  EXPECT_EQ(b.gateway().active("web"), Slot::kGreen);  // back on the warm v1 at once
  ASSERT_TRUE(b.drive([&] { return b.runtime().running("web", "blue").empty(); }));
  json d = b.deployment(*id);
  EXPECT_EQ(b.runtime().running("web", "green"), "v1");
  EXPECT_EQ(b.runtime().running("web", "blue"), "");
  ASSERT_TRUE(d["rollback"].is_object()) << d.dump(2);
  EXPECT_EQ(d["rollback"]["trigger"], "error_rate");
  EXPECT_EQ(d["rollback"]["window_ms"], 60'000);
  EXPECT_EQ(d["rollback"]["values"].size(), 60u);
  EXPECT_DOUBLE_EQ(d["rollback"]["values"][0]["value"].get<double>(), 30.0);
  EXPECT_NE(d["failure"].get<std::string>().find("error_rate > 5%"), std::string::npos);
  EXPECT_EQ(stepOf(d, "bake")["state"], "failed");
  // The rule watched from the first weight step on (the holds count): it fired one window (a
  // minute) after the switch began, well before the 2-minute bake was over. (The test's clock
  // runs ahead of the worker by a few steps, so only the bounds are exact.)
  int64_t watched = stepOf(d, "bake")["ended_at"].get<int64_t>() -
                    stepOf(d, "switch")["started_at"].get<int64_t>();
  EXPECT_GE(watched, 60'000);
  EXPECT_LT(watched, 20'000 + 120'000);
  const json& window = d["rollback"]["values"];
  EXPECT_EQ(window.back()["at"].get<int64_t>() - window.front()["at"].get<int64_t>(), 59'000);
  // An incident, resolved once green was healthy again.
  ASSERT_TRUE(b.drive([&] {
    auto inc = b.store().listIncidents("web", false, 0);
    return inc.isOk() && !inc->empty() && inc->front().resolved_at != 0;
  }));
  auto inc = b.store().listIncidents("web", false, 0);
  EXPECT_EQ(inc->front().deployment_id, *id);
  EXPECT_NE(inc->front().cause.find("error_rate"), std::string::npos);
  std::string metrics = b.registry().renderPrometheus();
  EXPECT_NE(metrics.find("shipgate_rollbacks_total{app=\"web\",trigger=\"error_rate\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("shipgate_release_info{app=\"web\",slot=\"green\",version=\"v1\"} 1"),
            std::string::npos)
      << metrics;
}

TEST(ReleaseController, HealthTriggerFiresDuringAWeightStepHold) {
  Bench b;
  b.healthyTraffic("web", "green");
  b.healthyTraffic("web", "blue");
  b.deployAndFinish("web", "v1");
  auto id = b.c().deploy({"web", "v2", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(id.isOk());
  ASSERT_TRUE(b.drive([&] { return b.gateway().weighted("web"); }, std::chrono::milliseconds(100)));
  // 10% of traffic is on blue (v2); its health checks start failing during the hold.
  b.gateway().setUnhealthy("web", Slot::kBlue, true);
  ASSERT_TRUE(b.driveToState(*id, "rolled_back", std::chrono::milliseconds(100)));
  json d = b.deployment(*id);
  EXPECT_EQ(d["rollback"]["trigger"], "health_failures");
  EXPECT_EQ(stepOf(d, "switch")["state"], "failed");
  EXPECT_NE(stepOf(d, "switch")["result"].get<std::string>().find("hold at 10%"), std::string::npos);
  EXPECT_EQ(b.gateway().active("web"), Slot::kGreen);
  EXPECT_FALSE(b.gateway().weighted("web"));
  EXPECT_EQ(b.gateway().history().back(), "web:green");
}

TEST(ReleaseController, EmergencyRollbackFlipsToTheWarmSlot) {
  Bench b;
  b.healthyTraffic("web", "green");
  b.healthyTraffic("web", "blue");
  b.deployAndFinish("web", "v1");
  std::string v2 = b.deployAndFinish("web", "v2");
  ASSERT_EQ(b.runtime().running("web", "green"), "v1");  // warm through the scale-down delay
  auto id = b.c().rollback({"web", std::nullopt, "checkout broken", "carol", true});
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  ASSERT_TRUE(b.driveToState(*id, "succeeded", std::chrono::milliseconds(10)));
  json d = b.deployment(*id);
  EXPECT_EQ(d["kind"], "emergency_rollback");
  EXPECT_EQ(d["version"], "v1");
  EXPECT_EQ(d["previous_version"], "v2");
  EXPECT_EQ(d["actor"], "carol");
  EXPECT_EQ(d["reason"], "checkout broken");
  EXPECT_EQ(stepOf(d, "switch")["state"], "succeeded");
  EXPECT_TRUE(stepOf(d, "switch")["evidence"].contains("request_to_switch_ms"));
  EXPECT_EQ(stepOf(d, "start")["state"], "skipped");
  EXPECT_EQ(b.gateway().active("web"), Slot::kGreen);
  // The bad release stops; the earlier deployment's cleanup knows its slot was taken over.
  ASSERT_TRUE(b.driveCleanup(*id));
  EXPECT_EQ(b.runtime().running("web", "blue"), "");
  EXPECT_EQ(b.runtime().running("web", "green"), "v1");
  ASSERT_TRUE(b.driveCleanup(v2));
  EXPECT_NE(stepOf(b.deployment(v2), "cleanup")["result"].get<std::string>().find("taken over"),
            std::string::npos);
  EXPECT_EQ(b.runtime().running("web", "green"), "v1");
  auto actions = auditActions(b.store(), *id);
  EXPECT_TRUE(contains(actions, "emergency_rollback"));
}

TEST(ReleaseController, EmergencyRollbackWithoutAWarmSlotSkipsApprovalAndSmoke) {
  Bench b;
  b.healthyTraffic("api", "green");
  b.healthyTraffic("api", "blue");
  b.deployAndFinish("api", "v1");
  std::string v2 = b.deployAndFinish("api", "v2");
  ASSERT_TRUE(b.driveCleanup(v2));
  ASSERT_EQ(b.runtime().running("api", "green"), "");
  auto id = b.c().rollback({"api", std::nullopt, "data corruption", "carol", true});
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  // production needs approval, but not for an emergency rollback.
  ASSERT_TRUE(b.driveToState(*id, "succeeded"));
  json d = b.deployment(*id);
  EXPECT_EQ(stepOf(d, "start")["state"], "succeeded");  // started again
  EXPECT_EQ(stepOf(d, "smoke")["state"], "skipped");
  EXPECT_EQ(stepOf(d, "approval")["state"], "skipped");
  EXPECT_EQ(b.gateway().active("api"), Slot::kGreen);
  EXPECT_EQ(b.runtime().running("api", "green"), "v1");
}

TEST(ReleaseController, StandardRollbackGoesThroughTheProcedure) {
  Bench b;
  b.healthyTraffic("api", "green");
  b.healthyTraffic("api", "blue");
  b.deployAndFinish("api", "v1");
  b.deployAndFinish("api", "v2");
  auto id = b.c().rollback({"api", std::string("v1"), "regression in search", "dave", false});
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  ASSERT_TRUE(b.driveToState(*id, "waiting_approval"));
  ASSERT_TRUE(b.c().approve(*id, "erin").isOk());
  ASSERT_TRUE(b.driveToState(*id, "succeeded"));
  json d = b.deployment(*id);
  EXPECT_EQ(d["kind"], "rollback");
  EXPECT_EQ(d["version"], "v1");
  EXPECT_EQ(d["reason"], "regression in search");
  EXPECT_EQ(stepOf(d, "smoke")["state"], "succeeded");  // smoke ran
  EXPECT_EQ(b.c().rollback({"api", std::string("v9"), "x", "dave", false}).status().code(),
            Status::Code::kNotFound);
}

TEST(ReleaseController, ManualRollbackDuringTheBake) {
  Bench b;
  b.healthyTraffic("web", "green");
  b.healthyTraffic("web", "blue");
  b.deployAndFinish("web", "v1");
  auto id = b.c().deploy({"web", "v2", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(id.isOk());
  ASSERT_TRUE(b.driveToState(*id, "baking"));
  auto rb = b.c().rollback({"web", std::nullopt, "looks wrong", "carol", true});
  ASSERT_TRUE(rb.isOk());
  EXPECT_EQ(*rb, *id);
  ASSERT_TRUE(b.driveToState(*id, "rolled_back", std::chrono::milliseconds(10)));
  EXPECT_EQ(b.gateway().active("web"), Slot::kGreen);
  EXPECT_EQ(b.deployment(*id)["rollback"]["trigger"], "manual");
  EXPECT_EQ(b.deployment(*id)["rollback"]["actor"], "carol");
}

}  // namespace
}  // namespace shipgate::release
