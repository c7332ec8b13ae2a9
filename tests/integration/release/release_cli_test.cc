// Deployments through the real binary: `shipgate serve` with a managed app whose releases are the
// real coinestate API (started by shipgate's supervisor on loopback ports), driven by the real
// CLI (`shipgate deploy/approve/reject/deployments/deployment/releases`) and the admin API. Each
// test asserts what an operator would see: the CLI's exit status and words, the version the
// gateway serves, the recorded deployment.
#include <signal.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "release_util.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Deploys `version` from `dir` with the CLI, approving it when production asks; returns the
// deployment id after the CLI exited 0.
std::string deployApproved(Deployer& d, const std::string& version, const std::string& dir) {
  auto deploy = d.cliAsync({"deploy", "--app", "api", "--version", version, "--artifact", dir,
                            "--lines", "--reason", "release " + version});
  EXPECT_TRUE(deploy->waitForOutput("waiting for approval", 60s))
      << deploy->describe() << d.serveLogs();
  const std::string id = acceptedId(deploy->stdoutText());
  EXPECT_FALSE(id.empty()) << deploy->describe();
  CliResult approve = d.cli({"approve", id, "--actor", "alice"});
  EXPECT_EQ(approve.exit_code, 0) << approve.out << approve.err;
  EXPECT_NE(approve.out.find("approved by alice"), std::string::npos) << approve.out;
  auto code = deploy->wait(120s);
  EXPECT_EQ(code, std::optional<int>(0)) << deploy->describe() << d.serveLogs();
  EXPECT_NE(deploy->stdoutText().find("api " + version + " is live"), std::string::npos)
      << deploy->stdoutText();
  return id;
}

TEST(ReleaseCli, DeployV1ThenV2WithApprovalThroughTheCli) {
  Deployer d({});
  ASSERT_TRUE(d.startServe());
  const std::string v1 = deployApproved(d, "v1", d.releaseDir("v1"));
  EXPECT_EQ(d.servedVersion(), "v1");
  const std::string v2 = deployApproved(d, "v2", d.releaseDir("v2"));
  EXPECT_EQ(d.servedVersion(), "v2");
  EXPECT_NE(v1, v2);

  // The checklist filled in: every step with its decision, the approver, the previous release.
  CliResult shown = d.cli({"deployment", v2});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  for (const char* step : {"gates", "preflight", "migrate", "start", "health", "smoke", "accessibility",
                           "approval", "switch", "bake"}) {
    EXPECT_NE(shown.out.find(step), std::string::npos) << step << " missing:\n" << shown.out;
  }
  EXPECT_NE(shown.out.find("approved: alice"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("previous: v1"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("by:       ci-bot"), std::string::npos) << shown.out;

  json dep = d.apiJson("GET", "/api/v1/deployments/" + v2);
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
  EXPECT_EQ(dep["previous_version"], "v1");
  EXPECT_EQ(dep["actor"], "ci-bot");
  EXPECT_EQ(dep["approved_by"], "alice");

  CliResult list = d.cli({"deployments", "--app", "api"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(v1), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(v2), std::string::npos) << list.out;
  // Newest first.
  EXPECT_LT(list.out.find(v2), list.out.find(v1)) << list.out;

  CliResult releases = d.cli({"releases", "--app", "api", "--json"});
  ASSERT_EQ(releases.exit_code, 0) << releases.err;
  json r = json::parse(releases.out, nullptr, false);
  ASSERT_TRUE(r.is_object()) << releases.out;
  ASSERT_GE(r["releases"].size(), 2u) << r.dump(2);
  EXPECT_EQ(r["releases"][0]["version"], "v2");
  EXPECT_EQ(r["releases"][0]["live"], true);
  EXPECT_EQ(r["releases"][1]["version"], "v1");
  EXPECT_EQ(r["releases"][1]["live"], false);
}

TEST(ReleaseCli, RejectedDeploymentExits3AndTrafficStays) {
  Deployer d({});
  ASSERT_TRUE(d.startServe());
  deployApproved(d, "v1", d.releaseDir("v1"));
  auto deploy = d.cliAsync({"deploy", "--app", "api", "--version", "v2", "--artifact",
                            d.releaseDir("v2"), "--lines"});
  ASSERT_TRUE(deploy->waitForOutput("waiting for approval", 60s)) << deploy->describe();
  const std::string id = acceptedId(deploy->stdoutText());
  CliResult no_reason = d.cli({"reject", id});
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.err;  // --reason is required
  CliResult reject = d.cli({"reject", id, "--reason", "not on a Friday"});
  EXPECT_EQ(reject.exit_code, 0) << reject.out << reject.err;
  EXPECT_EQ(deploy->wait(60s), std::optional<int>(3)) << deploy->describe();
  EXPECT_NE(deploy->stdoutText().find("rejected"), std::string::npos) << deploy->stdoutText();
  EXPECT_EQ(d.servedVersion(), "v1");
  // Idempotent: rejecting again is fine; approving a rejected deployment is refused (exit 1).
  EXPECT_EQ(d.cli({"reject", id, "--reason", "still no"}).exit_code, 0);
  CliResult late = d.cli({"approve", id});
  EXPECT_EQ(late.exit_code, 1) << late.out << late.err;
  EXPECT_NE(late.err.find("rejected"), std::string::npos) << late.err;
}

TEST(ReleaseCli, SmokeFailureFailsTheDeploymentBeforeTheSwitch) {
  Deployer::Settings s;
  s.approval = "none";
  s.smoke = {"{path: /api/health, expect_status: 200}",
             "{path: /api/properties, expect_status: 200}"};
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  CliResult v1 = d.cli({"deploy", "--app", "api", "--version", "v1", "--artifact",
                        d.releaseDir("v1"), "--lines"});
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  CliResult v2 = d.cli({"deploy", "--app", "api", "--version", "v2", "--artifact",
                        d.releaseDir("v2", Behaviour::kErrors), "--lines"});
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err;
  EXPECT_NE(v2.out.find("smoke"), std::string::npos) << v2.out;
  EXPECT_NE(v2.out.find("/api/properties"), std::string::npos) << v2.out;
  EXPECT_EQ(d.servedVersion(), "v1");
  json dep = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(v2.out));
  EXPECT_EQ(dep["state"], "failed") << dep.dump(2);
  bool switched = false;
  for (const auto& st : dep["steps"]) {
    if (st["name"] == "switch") switched = st["state"] == "succeeded";
  }
  EXPECT_FALSE(switched) << dep.dump(2);
}

TEST(ReleaseCli, CrashLoopingReleaseFailsWithItsReason) {
  Deployer::Settings s;
  s.approval = "none";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  CliResult v1 = d.cli({"deploy", "--app", "api", "--version", "v1", "--artifact",
                        d.releaseDir("v1"), "--lines"});
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  CliResult v2 = d.cli({"deploy", "--app", "api", "--version", "v2", "--artifact",
                        d.releaseDir("v2", Behaviour::kCrash), "--json"});
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err;
  // --json: one object per line, the last one the result.
  std::string last;
  for (size_t pos = 0; pos < v2.out.size();) {
    size_t nl = v2.out.find('\n', pos);
    std::string line = v2.out.substr(pos, nl == std::string::npos ? nl : nl - pos);
    if (!line.empty()) {
      json j = json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object()) << "not JSON: " << line;
      last = line;
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  json result = json::parse(last, nullptr, false);
  ASSERT_TRUE(result.is_object()) << v2.out;
  EXPECT_EQ(result["type"], "result");
  EXPECT_EQ(result["exit_code"], 1);
  EXPECT_EQ(result["deployment"]["state"], "failed");
  const std::string failure = result["deployment"].value("failure", std::string());
  EXPECT_NE(failure.find("crash"), std::string::npos) << failure;
  EXPECT_EQ(d.servedVersion(), "v1");
}

TEST(ReleaseCli, TtyViewRedrawsTheStepsInPlace) {
  Deployer::Settings s;
  s.approval = "none";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  CliResult v1 = d.cli({"deploy", "--app", "api", "--version", "v1", "--artifact",
                        d.releaseDir("v1"), "--tty"});
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err;
  // Repaints go back to the block's first line (ESC [ n F) and clear each line (ESC [ 2K).
  EXPECT_NE(v1.out.find("\x1b[2K"), std::string::npos) << v1.out;
  EXPECT_NE(v1.out.find("F\x1b[2K"), std::string::npos) << v1.out;
  // The last paint: every step of the checklist with its mark, and the outcome.
  const size_t last = v1.out.rfind("deployment " + acceptedId(v1.out) + "\x1b[0m");
  ASSERT_NE(last, std::string::npos) << v1.out;
  const std::string final_block = v1.out.substr(last);
  for (const char* step : {"gates", "preflight", "migrate", "start", "health", "smoke", "accessibility",
                           "switch", "bake"}) {
    EXPECT_NE(final_block.find(step), std::string::npos) << step << "\n" << final_block;
  }
  EXPECT_NE(final_block.find("api v1 is live on"), std::string::npos) << final_block;
  EXPECT_NE(final_block.find("\xe2\x9c\x93"), std::string::npos) << final_block;  // check mark
}

TEST(ReleaseCli, BadArgumentsExit2WithWhatIsWrong) {
  Deployer d({});
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"deploy", "--app", "api"}, "--version is required"},
      {{"deploy", "--app", "a/b", "--version", "v1"}, "--app must be an app name"},
      {{"deploy", "--app", "api", "--version", "v 1"}, "--version must be"},
      {{"deploy", "--app", "api", "--version", "v1", "--commit", "xyz"}, "--commit must be"},
      {{"deploy", "--app", "api", "--version", "v1", "--commit-time", "2026-01-01T00:00:00Z"},
       "--commit"},
      {{"deploy", "--app", "api", "--version", "v1", "--commit", "abcdef", "--commit-time",
        "2026-02-30T00:00:00Z"},
       "the day is not in that month"},
      {{"deploy", "--app", "api", "--version", "v1", "--json", "--lines"}, "at most one of"},
      {{"rollback", "--app", "api"}, "--reason is required"},
      {{"reject", "d-1"}, "--reason is required"},
      {{"approve", "d/1"}, "a deployment id looks like"},
      {{"deployments", "--limit", "0"}, "--limit must be 1..1000"},
  };
  for (const auto& c : cases) {
    CliResult r = d.cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << ": " << r.out << r.err;
    EXPECT_NE((r.out + r.err).find(c.says), std::string::npos)
        << "expected \"" << c.says << "\" in: " << r.out << r.err;
  }
  // Nothing listens on the admin port: 4.
  CliResult down = d.cli({"deployments"});
  EXPECT_EQ(down.exit_code, 4) << down.err;
  EXPECT_NE(down.err.find("cannot reach the admin API"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace releasetest
