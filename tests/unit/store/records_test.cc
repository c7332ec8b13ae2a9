// Every record kind written to a real SQLite file and a real PostgreSQL database, read back field
// for field (also after the store is closed and opened again), and the errors each write documents.
#include <gtest/gtest.h>

#include "store_test_util.h"

namespace shipgate::store {
namespace {

using testutil::StoreTest;

TEST_P(StoreTest, EnvironmentsAndAppsRoundTripAndUpsertReplaces) {
  EnvironmentRecord prod{"production", true, 3'600'000, true, 300'000, 11};
  EnvironmentRecord dev{"development", false, 0, false, 0, 12};
  ASSERT_TRUE(store_->upsertEnvironment(prod).isOk());
  ASSERT_TRUE(store_->upsertEnvironment(dev).isOk());
  prod.bake_ms = 60'000;
  prod.updated_at = 13;
  ASSERT_TRUE(store_->upsertEnvironment(prod).isOk());
  AppRecord web{"web", "staging", "static", 14};
  ASSERT_TRUE(store_->upsertApp(web).isOk());
  reopen();

  auto envs = store_->listEnvironments();
  ASSERT_TRUE(envs.isOk()) << envs.status().toString();
  EXPECT_EQ(*envs, (std::vector<EnvironmentRecord>{dev, prod}));
  auto apps = store_->listApps();
  ASSERT_TRUE(apps.isOk());
  EXPECT_EQ(*apps, (std::vector<AppRecord>{testutil::app("api"), web}));
  auto found = store_->findApp("web");
  ASSERT_TRUE(found.isOk());
  EXPECT_EQ(*found, web);
  EXPECT_EQ(store_->findApp("nope").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->upsertApp(AppRecord{}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->upsertEnvironment(EnvironmentRecord{}).code(), Status::Code::kInvalidArgument);
}

TEST_P(StoreTest, ReleasesAreImmutableAndListedNewestFirst) {
  ReleaseRecord v3 = testutil::release("api", "v3", 1'700'000'009'000);
  ASSERT_TRUE(store_->createRelease(v3).isOk());
  ReleaseRecord changed = v3;
  changed.artifact = "/elsewhere";
  Status again = store_->createRelease(changed);
  EXPECT_EQ(again.code(), Status::Code::kAlreadyExists) << again.toString();
  EXPECT_NE(again.message().find("api v3"), std::string::npos) << again.message();
  reopen();

  auto found = store_->findRelease("api", "v3");
  ASSERT_TRUE(found.isOk());
  EXPECT_EQ(*found, v3);  // the first write stands
  auto all = store_->listReleases("api", 0);
  ASSERT_TRUE(all.isOk());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].version, "v3");
  EXPECT_EQ((*all)[1].version, "v2");
  EXPECT_EQ((*all)[2].version, "v1");
  auto two = store_->listReleases("api", 2);
  ASSERT_TRUE(two.isOk());
  EXPECT_EQ(two->size(), 2u);
  EXPECT_TRUE(store_->listReleases("other", 0)->empty());

  EXPECT_EQ(store_->findRelease("api", "v9").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->createRelease(testutil::release("ghost", "v1")).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(store_->createRelease(testutil::release("api", "")).code(),
            Status::Code::kInvalidArgument);
}

TEST_P(StoreTest, DeploymentWithStepsRoundTrips) {
  DeploymentRecord d = testutil::deployment("api", "v2");
  auto id = store_->createDeployment(d);
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  EXPECT_EQ(*id, "d-1");

  d.id = *id;
  d.state = DeploymentState::kBaking;
  d.approved_by = "bob";
  d.rollback_json = "";
  d.updated_at = 1'700'000'005'000;
  ASSERT_TRUE(store_->updateDeployment(d).isOk());
  StepRecord smoke = d.steps[4];
  smoke.deployment_id = *id;
  smoke.state = StepState::kSucceeded;
  smoke.started_at = 1'700'000'003'000;
  smoke.ended_at = 1'700'000'003'250;
  smoke.result = "ok";
  smoke.evidence_json = R"({"checks":[{"path":"/api/health","status":200}]})";
  ASSERT_TRUE(store_->saveStep(smoke).isOk());
  StepRecord extra{*id, 9, "cleanup", StepState::kRunning, 1'700'000'006'000, 0, "", ""};
  ASSERT_TRUE(store_->saveStep(extra).isOk());
  reopen();

  auto got = store_->getDeployment(*id);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  DeploymentRecord want = d;
  for (auto& s : want.steps) s.deployment_id = *id;
  want.steps[4] = smoke;
  want.steps.push_back(extra);
  EXPECT_EQ(*got, want);

  auto listed = store_->listDeployments("api", 10);
  ASSERT_TRUE(listed.isOk());
  ASSERT_EQ(listed->size(), 1u);
  DeploymentRecord without_steps = want;
  without_steps.steps.clear();
  EXPECT_EQ((*listed)[0], without_steps);
}

TEST_P(StoreTest, UpdateKeepsIdentityFieldsAndFinishedStaysFinished) {
  auto id = store_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(id.isOk());
  DeploymentRecord update = testutil::deployment("api", "v2");
  update.id = *id;
  update.version = "v1";  // identity: ignored
  update.actor = "mallory";
  update.state = DeploymentState::kFailed;
  update.failure = "smoke: GET /api/health expected 200, got 503";
  update.finished_at = 1'700'000'009'000;
  ASSERT_TRUE(store_->updateDeployment(update).isOk());
  auto got = store_->getDeployment(*id);
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->version, "v2");
  EXPECT_EQ(got->actor, "alice");
  EXPECT_EQ(got->state, DeploymentState::kFailed);
  EXPECT_EQ(got->failure, update.failure);
  EXPECT_EQ(got->finished_at, 1'700'000'009'000);

  update.state = DeploymentState::kRunning;
  Status reopen_finished = store_->updateDeployment(update);
  EXPECT_EQ(reopen_finished.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(reopen_finished.message().find("already failed"), std::string::npos)
      << reopen_finished.message();
  EXPECT_EQ(store_->getDeployment(*id)->state, DeploymentState::kFailed);

  update.id = "d-404";
  EXPECT_EQ(store_->updateDeployment(update).code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->getDeployment("d-404").status().code(), Status::Code::kNotFound);
  StepRecord orphan{"d-404", 0, "preflight", StepState::kPending, 0, 0, "", ""};
  EXPECT_EQ(store_->saveStep(orphan).code(), Status::Code::kNotFound);
}

TEST_P(StoreTest, AtMostOneUnfinishedDeploymentPerApp) {
  auto first = store_->createDeployment(testutil::deployment("api", "v1"));
  ASSERT_TRUE(first.isOk());
  auto second = store_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_FALSE(second.isOk());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(*first), std::string::npos) << second.status().message();
  // A finished record may be written next to it (history), and once the first finishes, the
  // next may start.
  ASSERT_TRUE(
      store_->createDeployment(testutil::deployment("api", "v2", DeploymentState::kRejected))
          .isOk());
  DeploymentRecord done = testutil::deployment("api", "v1", DeploymentState::kSucceeded);
  done.id = *first;
  ASSERT_TRUE(store_->updateDeployment(done).isOk());
  auto third = store_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(third.isOk()) << third.status().toString();
  EXPECT_EQ(*third, "d-3");

  auto unfinished = store_->unfinishedDeployments();
  ASSERT_TRUE(unfinished.isOk());
  ASSERT_EQ(unfinished->size(), 1u);
  EXPECT_EQ((*unfinished)[0].id, *third);
  EXPECT_EQ((*unfinished)[0].steps.size(), 9u);  // with steps, for reconciliation
  auto listed = store_->listDeployments("", 0);
  ASSERT_TRUE(listed.isOk());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id, "d-3");  // newest first
  EXPECT_EQ((*listed)[2].id, "d-1");
}

TEST_P(StoreTest, CreateDeploymentRefusesBadInput) {
  DeploymentRecord unknown_release = testutil::deployment("api", "v7");
  EXPECT_EQ(store_->createDeployment(unknown_release).status().code(),
            Status::Code::kFailedPrecondition);
  DeploymentRecord dup_steps = testutil::deployment("api", "v2");
  dup_steps.steps[1].index = 0;
  EXPECT_EQ(store_->createDeployment(dup_steps).status().code(), Status::Code::kInvalidArgument);
  DeploymentRecord bad_json = testutil::deployment("api", "v2");
  bad_json.baseline_json = "{not json";
  auto r = store_->createDeployment(bad_json);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("baseline_json"), std::string::npos);
  DeploymentRecord named = testutil::deployment("api", "v2", DeploymentState::kSucceeded);
  named.id = "d-custom";
  ASSERT_TRUE(store_->createDeployment(named).isOk());
  EXPECT_EQ(store_->createDeployment(named).status().code(), Status::Code::kAlreadyExists);
  // None of the refused ones left anything behind.
  EXPECT_EQ(store_->listDeployments("api", 0)->size(), 1u);
}

TEST_P(StoreTest, IncidentsOpenResolveAndList) {
  auto d = store_->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(d.isOk());
  IncidentRecord in{
      0, "api", *d, "Error rate > 5% for 5 minutes", R"({"value":7.5})", 1'700'000'010'000, 0, 0};
  auto id = store_->openIncident(in);
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  auto other = store_->openIncident(
      IncidentRecord{0, "api", "", "SLA api_response_time", "", 1'700'000'020'000, 0, 0});
  ASSERT_TRUE(other.isOk());
  ASSERT_TRUE(store_->resolveIncident(*id, 1'700'000'010'750).isOk());
  reopen();

  auto got = store_->findIncident(*id);
  ASSERT_TRUE(got.isOk());
  in.id = *id;
  in.resolved_at = 1'700'000'010'750;
  in.time_to_recover_ms = 750;
  EXPECT_EQ(*got, in);
  auto open = store_->listIncidents("api", true, 0);
  ASSERT_TRUE(open.isOk());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].id, *other);
  auto all = store_->listIncidents("", false, 0);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, *other);  // newest first

  Status twice = store_->resolveIncident(*id, 1'700'000'099'000);
  EXPECT_EQ(twice.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(store_->findIncident(*id)->time_to_recover_ms, 750);
  EXPECT_EQ(store_->resolveIncident(*other, 1'600'000'000'000).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->resolveIncident(999, 1'700'000'099'000).code(), Status::Code::kNotFound);
  EXPECT_EQ(
      store_->openIncident(IncidentRecord{0, "api", "d-404", "x", "", 1, 0, 0}).status().code(),
      Status::Code::kFailedPrecondition);
}

TEST_P(StoreTest, AuditLogAppendsInOrderAndPagesByAfterId) {
  std::vector<AuditEntry> written;
  for (int i = 0; i < 5; ++i) {
    AuditEntry e = testutil::audit(i % 2 ? "approve" : "deploy", "d-" + std::to_string(i),
                                   1'700'000'000'000 + i);
    auto id = store_->appendAudit(e);
    ASSERT_TRUE(id.isOk());
    if (!written.empty()) {
      EXPECT_GT(*id, written.back().id);
    }
    e.id = *id;
    written.push_back(e);
  }
  reopen();
  auto all = store_->listAudit(0, 0);
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(*all, written);
  auto page = store_->listAudit(written[1].id, 2);
  ASSERT_TRUE(page.isOk());
  EXPECT_EQ(*page, (std::vector<AuditEntry>{written[2], written[3]}));
  EXPECT_EQ(store_->appendAudit(testutil::audit("", "x")).status().code(),
            Status::Code::kInvalidArgument);
  AuditEntry bad = testutil::audit("deploy", "x");
  bad.detail_json = "[1,";
  EXPECT_EQ(store_->appendAudit(bad).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->listAudit(0, 0)->size(), 5u);
}

TEST_P(StoreTest, SlotStatesRuntimeStateAndDeliveriesRoundTrip) {
  SlotRecord blue{"api", "blue", "v1", SlotState::kWarm, 21};
  SlotRecord green{"api", "green", "v2", SlotState::kStarting, 22};
  ASSERT_TRUE(store_->setSlotState(green).isOk());
  ASSERT_TRUE(store_->setSlotState(blue).isOk());
  green.state = SlotState::kLive;
  green.updated_at = 23;
  ASSERT_TRUE(store_->setSlotState(green).isOk());
  EXPECT_EQ(store_->setSlotState(SlotRecord{"ghost", "blue", "v1"}).code(),
            Status::Code::kFailedPrecondition);

  const std::string overlay = R"({"apps":{"api":{"slot":"green","weights":[10,90]}}})";
  ASSERT_TRUE(store_->putRuntimeState("routing_overlay", overlay, 30).isOk());
  ASSERT_TRUE(store_->putRuntimeState("other", "[1]", 31).isOk());
  ASSERT_TRUE(store_->eraseRuntimeState("other").isOk());
  ASSERT_TRUE(store_->eraseRuntimeState("never-there").isOk());
  Status not_json = store_->putRuntimeState("routing_overlay", "{\"apps\":", 32);
  EXPECT_EQ(not_json.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(not_json.message().find("routing_overlay"), std::string::npos);

  DeliveryRecord failed{
      0, 40, "slack", "deploy_failed", "d-1", 1, DeliveryOutcome::kFailed, 500, "HTTP 500"};
  DeliveryRecord ok{0,   41, "slack", "deploy_failed", "d-1", 2, DeliveryOutcome::kDelivered,
                    200, ""};
  DeliveryRecord pd{0,
                    42,
                    "pagerduty",
                    "incident_opened",
                    "api-1",
                    1,
                    DeliveryOutcome::kGaveUp,
                    0,
                    "connection refused"};
  for (DeliveryRecord* d : {&failed, &ok, &pd}) {
    auto id = store_->recordDelivery(*d);
    ASSERT_TRUE(id.isOk());
    d->id = *id;
  }
  DeliveryRecord bad = ok;
  bad.attempt = 0;
  EXPECT_EQ(store_->recordDelivery(bad).status().code(), Status::Code::kInvalidArgument);
  reopen();

  auto slots = store_->slotStates("api");
  ASSERT_TRUE(slots.isOk());
  EXPECT_EQ(*slots, (std::vector<SlotRecord>{blue, green}));
  EXPECT_TRUE(store_->slotStates("ghost")->empty());
  auto got = store_->getRuntimeState("routing_overlay");
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(*got, overlay);  // the refused write changed nothing
  EXPECT_EQ(*store_->getRuntimeState("other"), std::nullopt);
  auto slack = store_->listDeliveries("slack", 0);
  ASSERT_TRUE(slack.isOk());
  EXPECT_EQ(*slack, (std::vector<DeliveryRecord>{ok, failed}));
  auto latest = store_->listDeliveries("", 1);
  ASSERT_TRUE(latest.isOk());
  EXPECT_EQ(*latest, (std::vector<DeliveryRecord>{pd}));
}

TEST(StoreEnums, ToStringAndParseAreInverse) {
  for (auto s :
       {DeploymentState::kPending, DeploymentState::kRunning, DeploymentState::kWaitingApproval,
        DeploymentState::kSwitching, DeploymentState::kBaking, DeploymentState::kSucceeded,
        DeploymentState::kFailed, DeploymentState::kRejected, DeploymentState::kRolledBack}) {
    EXPECT_EQ(parseDeploymentState(toString(s)), s) << toString(s);
  }
  EXPECT_EQ(toString(DeploymentState::kWaitingApproval), "waiting_approval");
  EXPECT_EQ(toString(DeploymentKind::kEmergencyRollback), "emergency_rollback");
  EXPECT_EQ(parseDeploymentKind("rollback"), DeploymentKind::kRollback);
  EXPECT_EQ(parseSlotState("warm"), SlotState::kWarm);
  EXPECT_EQ(parseStepState("skipped"), StepState::kSkipped);
  EXPECT_EQ(parseDeliveryOutcome("gave_up"), DeliveryOutcome::kGaveUp);
  EXPECT_EQ(parseDeploymentState("Running"), std::nullopt);
  EXPECT_EQ(parseSlotState(""), std::nullopt);
  EXPECT_TRUE(isTerminal(DeploymentState::kRolledBack));
  EXPECT_FALSE(isTerminal(DeploymentState::kWaitingApproval));
}

INSTANTIATE_BACKENDS(StoreTest);

}  // namespace
}  // namespace shipgate::store

namespace shipgate::store {
namespace {

using testutil::StoreTest;

ReleaseReportRecord report(const std::string& version, const std::string& kind,
                           const std::string& name, std::string content) {
  ReleaseReportRecord r;
  r.app = "api";
  r.version = version;
  r.kind = kind;
  r.name = name;
  r.sha256 = "ab12";
  r.size = static_cast<int64_t>(content.size());
  r.content = std::move(content);
  r.created_at = 1'700'000'004'000;
  return r;
}

TEST_P(StoreTest, ReleaseReportsRoundTripByteForByteAndAreListedWithoutContent) {
  std::string binary("SF:a.c\nDA:1,1\n\0\xff\x01end_of_record\n", 31);
  ReleaseReportRecord lcov = report("v2", "lcov", "lcov.info", binary);
  ReleaseReportRecord junit = report("v2", "junit", "junit.xml", "<testsuite tests=\"1\"/>");
  ReleaseReportRecord empty = report("v2", "axe", "axe.json", "");
  ASSERT_TRUE(store_->addReleaseReport(lcov).isOk());
  ASSERT_TRUE(store_->addReleaseReport(junit).isOk());
  ASSERT_TRUE(store_->addReleaseReport(empty).isOk());
  ASSERT_TRUE(store_->addReleaseReport(report("v1", "lcov", "lcov.info", "other")).isOk());
  reopen();

  auto listed = store_->listReleaseReports("api", "v2");
  ASSERT_TRUE(listed.isOk()) << listed.status().toString();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].kind, "axe");  // by kind, then name
  EXPECT_EQ((*listed)[1].kind, "junit");
  EXPECT_EQ((*listed)[2].kind, "lcov");
  EXPECT_EQ((*listed)[2].size, 31);
  EXPECT_EQ((*listed)[2].sha256, "ab12");
  EXPECT_TRUE((*listed)[2].content.empty());

  auto got = store_->readReleaseReport("api", "v2", "lcov", "lcov.info");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(*got, lcov);
  auto none = store_->readReleaseReport("api", "v2", "axe", "axe.json");
  ASSERT_TRUE(none.isOk());
  EXPECT_EQ(*none, empty);
  EXPECT_EQ(store_->readReleaseReport("api", "v2", "sarif", "x.sarif").status().code(),
            Status::Code::kNotFound);
  EXPECT_TRUE(store_->listReleaseReports("api", "v9")->empty());
}

TEST_P(StoreTest, ReleaseReportsAreImmutableBoundedAndNeedTheirRelease) {
  ASSERT_TRUE(store_->addReleaseReport(report("v2", "junit", "junit.xml", "a")).isOk());
  Status again = store_->addReleaseReport(report("v2", "junit", "junit.xml", "b"));
  EXPECT_EQ(again.code(), Status::Code::kAlreadyExists) << again.toString();
  EXPECT_EQ(store_->readReleaseReport("api", "v2", "junit", "junit.xml")->content, "a");

  EXPECT_EQ(store_->addReleaseReport(report("v9", "junit", "junit.xml", "a")).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(store_->addReleaseReport(report("v2", "", "junit.xml", "a")).code(),
            Status::Code::kInvalidArgument);
  std::string big(static_cast<size_t>(kMaxReleaseReportBytes) + 1, 'x');
  Status too_big = store_->addReleaseReport(report("v2", "lcov", "big.info", big));
  EXPECT_EQ(too_big.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(too_big.message().find("16777217 bytes; the limit is 16777216 bytes (16 MiB)"),
            std::string::npos)
      << too_big.message();
  // A report of exactly the limit is stored.
  std::string limit(static_cast<size_t>(kMaxReleaseReportBytes), 'y');
  ASSERT_TRUE(store_->addReleaseReport(report("v2", "lcov", "limit.info", limit)).isOk());
  EXPECT_EQ(store_->readReleaseReport("api", "v2", "lcov", "limit.info")->content.size(),
            limit.size());

  // Inside atomically(), a failing report undoes the release created with it.
  Status all_or_nothing = store_->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(store_->createRelease(testutil::release("api", "v5")));
    SG_RETURN_IF_ERROR(store_->addReleaseReport(report("v5", "junit", "junit.xml", "a")));
    return store_->addReleaseReport(report("v5", "junit", "junit.xml", "b"));
  });
  EXPECT_EQ(all_or_nothing.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store_->findRelease("api", "v5").status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(store_->listReleaseReports("api", "v5")->empty());
}

}  // namespace
}  // namespace shipgate::store
