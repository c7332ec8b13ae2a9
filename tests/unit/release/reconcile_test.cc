// Crash safety of the deploy state machine: a controller stopped at each step (as a SIGKILL of
// shipgate leaves it: the store as written, the releases' processes gone) and a new one started on
// the same store; and a store that fails each write of a deployment in turn. Either way the
// deployment ends failed/rolled back or resumes, traffic is on a slot that runs a release, and
// nothing in the store is half-written.
#include <algorithm>

#include <gtest/gtest.h>

#include "controller_fixture.h"

namespace shipgate::release {
namespace {

using json = nlohmann::json;
using testing::Bench;
using testing::stepOf;
using traffic::Slot;

bool terminal(const std::string& s) {
  return s == "succeeded" || s == "failed" || s == "rolled_back" || s == "rejected";
}

// Traffic is on a slot whose release runs, and the store says that slot is live.
void expectServing(Bench& b, const std::string& app, const std::string& version) {
  Slot live = b.gateway().active(app);
  const std::string slot = traffic::slotName(live);
  EXPECT_EQ(b.runtime().running(app, slot), version) << app << " " << slot;
  EXPECT_FALSE(b.gateway().endpoints(app, live).empty());
  EXPECT_FALSE(b.gateway().weighted(app));
  auto slots = b.store().slotStates(app);
  ASSERT_TRUE(slots.isOk());
  bool found = false;
  for (const auto& s : *slots) {
    if (s.slot == slot) {
      EXPECT_EQ(s.state, store::SlotState::kLive);
      EXPECT_EQ(s.version, version);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

// No finished deployment has a step still running; every step that started has its start
// time, every ended one its end time.
void expectWhole(store::StateStore& s, const std::string& id) {
  auto d = s.getDeployment(id);
  ASSERT_TRUE(d.isOk());
  for (const auto& step : d->steps) {
    if (store::isTerminal(d->state) && step.name != "cleanup") {
      EXPECT_NE(step.state, store::StepState::kRunning) << id << " " << step.name;
    }
    if (step.state == store::StepState::kSucceeded || step.state == store::StepState::kFailed) {
      EXPECT_NE(step.ended_at, 0) << step.name;
      EXPECT_GE(step.ended_at, step.started_at) << step.name;
    }
  }
  if (store::isTerminal(d->state)) {
    EXPECT_NE(d->finished_at, 0);
  }
}

TEST(Reconcile, RestartWithNothingInFlightStartsTheLiveReleaseAgain) {
  Bench b;
  b.healthyTraffic("api", "green");
  b.deployAndFinish("api", "v1");
  ASSERT_TRUE(b.restart().isOk());
  EXPECT_EQ(b.gateway().restores(), 1);
  expectServing(b, "api", "v1");
}

struct StopPoint {
  const char* name;
  const char* app;
  std::function<bool(Bench&, const std::string&)> reached;
  const char* expect;  // "rolled_back" or "resumes"
};

class RestartAt : public ::testing::TestWithParam<int> {};

const std::vector<StopPoint>& stopPoints() {
  static const std::vector<StopPoint> points = {
      {"health", "api",
       [](Bench& b, const std::string& id) {
         b.gateway().setUnhealthy("api", Slot::kBlue, true);
         return b.stepState(id, "health") == "running";
       },
       "rolled_back"},
      {"approval", "api",
       [](Bench& b, const std::string& id) { return b.state(id) == "waiting_approval"; },
       "rolled_back"},
      {"switch", "web",
       [](Bench& b, const std::string& id) { return b.gateway().weighted("web"); },
       "rolled_back"},
      {"bake", "api",
       [](Bench& b, const std::string& id) {
         if (b.state(id) == "waiting_approval") (void)b.c().approve(id, "bob");
         return b.state(id) == "baking";
       },
       "resumes"},
  };
  return points;
}

TEST_P(RestartAt, ReconcilesFromTheStore) {
  const StopPoint& point = stopPoints()[GetParam()];
  SCOPED_TRACE(point.name);
  Bench b;
  const std::string app = point.app;
  b.healthyTraffic(app, "green");
  b.healthyTraffic(app, "blue");
  b.deployAndFinish(app, "v1");
  auto id = b.c().deploy({app, "v2", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(id.isOk());
  ASSERT_TRUE(b.drive([&] { return point.reached(b, *id); }, std::chrono::milliseconds(200)));
  ASSERT_TRUE(b.restart().isOk());
  b.gateway().setUnhealthy(app, Slot::kBlue, false);
  json d = b.deployment(*id);
  if (std::string(point.expect) == "rolled_back") {
    EXPECT_EQ(d["state"], "rolled_back") << d.dump(2);
    std::string failure = d["failure"];
    EXPECT_NE(failure.find("shipgate restarted during"), std::string::npos) << failure;
    EXPECT_NE(failure.find("traffic stays on green (v1)"), std::string::npos) << failure;
    EXPECT_EQ(b.runtime().running(app, "blue"), "");
    expectServing(b, app, "v1");
    expectWhole(b.store(), *id);
    // A new deployment of the app may start.
    b.deployAndFinish(app, "v3");
  } else {
    EXPECT_EQ(d["state"], "baking");
    expectServing(b, app, "v2");
    EXPECT_EQ(b.runtime().running(app, "green"), "v1");  // warm for a fast rollback
    ASSERT_TRUE(b.driveToState(*id, "succeeded"));
    json done = b.deployment(*id);
    EXPECT_EQ(stepOf(done, "bake")["evidence"]["resumed_after_restart"], true);
    expectServing(b, app, "v2");
    expectWhole(b.store(), *id);
  }
}

INSTANTIATE_TEST_SUITE_P(EachStep, RestartAt, ::testing::Range(0, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(stopPoints()[info.param].name);
                         });

// api v1 live on green, v2 deployed to blue and baking (approved by bob where asked); the id in
// `id`.
void deployToBake(Bench& b, std::string& id) {
  b.healthyTraffic("api", "green");
  b.healthyTraffic("api", "blue");
  b.deployAndFinish("api", "v1");
  auto made = b.c().deploy({"api", "v2", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(made.isOk());
  id = *made;
  ASSERT_TRUE(b.drive([&] {
    if (b.state(id) == "waiting_approval") (void)b.c().approve(id, "bob");
    return b.state(id) == "baking";
  }));
}

TEST(Reconcile, ABakeThatFailsAfterTheRestartStillRollsBack) {
  Bench b;
  std::string id;
  ASSERT_NO_FATAL_FAILURE(deployToBake(b, id));
  ASSERT_TRUE(b.restart().isOk());
  b.telemetry().set("api", "blue", 100, 50, 0.02);
  ASSERT_TRUE(b.driveToState(id, "rolled_back"));
  EXPECT_EQ(b.gateway().active("api"), Slot::kGreen);
  ASSERT_TRUE(b.drive([&] { return b.runtime().running("api", "blue").empty(); }));
  expectServing(b, "api", "v1");
}

// A deployment recorded by a shipgate with another checklist (here: another step where this
// build has its accessibility step; the store keeps steps by index) is not resumed by index
// after an upgrade during its bake: it rolls back, and the app serves the release from before.
TEST(Reconcile, ABakeRecordedWithAnotherChecklistRollsBack) {
  Bench b;
  std::string id;
  ASSERT_NO_FATAL_FAILURE(deployToBake(b, id));
  b.c().stop();  // its threads write no more; the store is edited as an older build left it
  auto rec = b.store().getDeployment(id);
  ASSERT_TRUE(rec.isOk());
  auto& steps = rec->steps;
  auto at = std::find_if(steps.begin(), steps.end(),
                         [](const store::StepRecord& s) { return s.name == "accessibility"; });
  ASSERT_NE(at, steps.end());
  at->name = "visual-diff";
  ASSERT_TRUE(b.store().saveStep(*at).isOk());
  ASSERT_TRUE(b.restart().isOk());
  json d = b.deployment(id);
  EXPECT_EQ(d["state"], "rolled_back") << d.dump(2);
  std::string failure = d["failure"];
  EXPECT_NE(failure.find("shipgate restarted during bake"), std::string::npos) << failure;
  EXPECT_EQ(b.runtime().running("api", "blue"), "");
  expectServing(b, "api", "v1");
}

// The staging app with short phases, so each of many runs is quick.
std::string fastConfig() {
  std::string yaml = testing::kConfig;
  auto at = yaml.find("staging: {approval: none, bake: 2m, scale_down_delay: 1m}");
  yaml.replace(at, std::string("staging: {approval: none, bake: 2m, scale_down_delay: 1m}").size(),
               "staging: {approval: none, bake: 5s, scale_down_delay: 2s}");
  at = yaml.find("hold: 10s");
  yaml.replace(at, 9, "hold: 2s");
  return yaml;
}

TEST(FailingStore, EachWriteOfADeploymentFailingInTurnLeavesAConsistentState) {
  // How many writes a clean deployment of v2 makes.
  int64_t writes = 0;
  {
    Bench b(fastConfig());
    b.healthyTraffic("web", "green");
    b.healthyTraffic("web", "blue");
    b.deployAndFinish("web", "v1");
    int64_t before = b.failing().writesAttempted();
    std::string id = b.deployAndFinish("web", "v2");
    ASSERT_TRUE(b.driveCleanup(id));
    writes = b.failing().writesAttempted() - before;
  }
  ASSERT_GT(writes, 20);
  for (int64_t n = 1; n <= writes; ++n) {
    SCOPED_TRACE("write #" + std::to_string(n) + " of " + std::to_string(writes) + " fails");
    Bench b(fastConfig());
    b.healthyTraffic("web", "green");
    b.healthyTraffic("web", "blue");
    b.deployAndFinish("web", "v1");
    b.failing().failWrite(b.failing().writesAttempted() + n);
    auto id = b.c().deploy({"web", "v2", "", "", "", 0, "alice", ""});
    if (!id) {
      // Refused as a whole: nothing of it was recorded.
      EXPECT_EQ(id.status().code(), Status::Code::kUnavailable) << id.status().toString();
      auto list = b.store().listDeployments("web", 0);
      ASSERT_TRUE(list.isOk());
      EXPECT_EQ(list->size(), 1u);
      expectServing(b, "web", "v1");
      continue;
    }
    ASSERT_TRUE(b.drive([&] { return terminal(b.state(*id)); }));
    const std::string in_memory = b.state(*id);
    // Whatever the store holds, a restart settles it.
    ASSERT_TRUE(b.restart().isOk());
    ASSERT_TRUE(b.drive([&] { return terminal(b.state(*id)); }));
    auto stored = b.store().getDeployment(*id);
    ASSERT_TRUE(stored.isOk());
    EXPECT_TRUE(store::isTerminal(stored->state)) << store::toString(stored->state);
    expectWhole(b.store(), *id);
    const std::string version = stored->state == store::DeploymentState::kSucceeded ? "v2" : "v1";
    SCOPED_TRACE("in memory " + in_memory + ", stored " +
                 std::string(store::toString(stored->state)));
    expectServing(b, "web", version);
    if (version == "v1") {
      EXPECT_FALSE(stored->failure.empty());
    }
  }
}

}  // namespace
}  // namespace shipgate::release
