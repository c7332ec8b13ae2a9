// The release routes of the admin API through the real binary: strict bodies (an unknown field
// is a 400 naming it), the actor header, the Server-Sent Events stream of a deployment (format,
// resume after Last-Event-ID, end when the deployment finishes), and runtime switches that
// survive a SIGKILL of `shipgate serve` (the routing overlay lives in the state store).
#include <httplib.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "release_util.h"
#include "support/process.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The raw bytes of an event stream until it ends (or `timeout`).
struct Stream {
  int status = 0;
  std::string content_type;
  std::string body;
  bool ended = false;
};

Stream readEvents(Deployer& d, const std::string& id, const std::string& last_event_id = "",
                  std::chrono::seconds timeout = 60s) {
  httplib::Client cli("127.0.0.1", d.adminPort());
  cli.set_read_timeout(timeout.count(), 0);
  httplib::Headers h = {{"Authorization", "Bearer " + d.token()}};
  if (!last_event_id.empty()) h.emplace("Last-Event-ID", last_event_id);
  Stream s;
  auto res = cli.Get(
      "/api/v1/deployments/" + id + "/events", h,
      [&](const httplib::Response& r) {
        s.status = r.status;
        s.content_type = r.get_header_value("Content-Type");
        return true;
      },
      [&](const char* data, size_t len) {
        s.body.append(data, len);
        return true;
      });
  s.ended = static_cast<bool>(res);
  return s;
}

// The "id:" values of a stream, in order.
std::vector<int64_t> eventIds(const std::string& body) {
  std::vector<int64_t> ids;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    if (body.compare(pos, 4, "id: ") == 0) ids.push_back(std::stoll(body.substr(pos + 4, end - pos - 4)));
    pos = end + 1;
  }
  return ids;
}

TEST(ReleaseApi, BodiesAreValidatedStrictly) {
  Deployer::Settings s;
  s.approval = "none";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  struct Case {
    std::string method, path, body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/v1/deployments", R"({"app":"api","version":"v1","colour":"red"})", 400,
       "colour"},
      {"POST", "/api/v1/deployments", R"({"version":"v1"})", 400, "app"},
      {"POST", "/api/v1/deployments", R"({"app":"api","version":1})", 400, "version"},
      {"POST", "/api/v1/deployments", R"({"app":"api","version":"v1","commit_sha":"zz"})", 422,
       "commit_sha"},
      {"POST", "/api/v1/deployments",
       R"({"app":"api","version":"v1","commit_sha":"abcd","commit_time":-5})", 422,
       "commit_time"},
      {"POST", "/api/v1/deployments", R"({"app":"api","version":"v1","commit_time":5})", 422,
       "commit_time"},
      {"POST", "/api/v1/deployments", "[1]", 400, ""},
      {"POST", "/api/v1/deployments", "{", 400, ""},
      {"POST", "/api/v1/apps/api/rollback", R"({"to":"v1"})", 400, "reason"},
      {"POST", "/api/v1/apps/api/rollback", R"({"reason":"x","emergency":"yes"})", 400,
       "emergency"},
      {"POST", "/api/v1/deployments/d-999/approve", R"({"why":"x"})", 400, "why"},
      {"POST", "/api/v1/deployments/d-999/reject", "{}", 400, "reason"},
      {"GET", "/api/v1/deployments?colour=red", "", 400, "colour"},
      {"GET", "/api/v1/deployments?limit=0", "", 400, "limit"},
      {"GET", "/api/v1/incidents?open=maybe", "", 400, "open"},
  };
  for (const auto& c : cases) {
    auto r = d.api(c.method, c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << " " << c.body << "\n" << r.raw;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.raw;
    EXPECT_TRUE(j["error"].is_string()) << r.raw;
    if (!c.field.empty()) {
      EXPECT_EQ(j.value("field", std::string()), c.field) << r.raw;
    }
  }
  // Unknown deployment and app: 404; no token: 401; a bad actor header: 400.
  EXPECT_EQ(d.api("GET", "/api/v1/deployments/d-999").status, 404);
  EXPECT_EQ(d.api("GET", "/api/v1/deployments/d-999/events").status, 404);
  EXPECT_EQ(d.api("POST", "/api/v1/deployments", R"({"app":"nope","version":"v1"})").status, 404);
  auto no_token = testsupport::httpGet(d.adminPort(), "/api/v1/deployments");
  EXPECT_EQ(no_token.status, 401);
  auto bad_actor = d.api("POST", "/api/v1/deployments", R"({"app":"api","version":"v1"})",
                         {{"X-Shipgate-Actor", std::string(200, 'a')}});
  EXPECT_EQ(bad_actor.status, 400) << bad_actor.raw;
  // Nothing of the refused calls was recorded.
  json list = d.apiJson("GET", "/api/v1/deployments");
  EXPECT_TRUE(list["deployments"].empty()) << list.dump(2);
}

TEST(ReleaseApi, EventStreamCarriesTheDeploymentAndResumes) {
  Deployer::Settings s;
  s.approval = "none";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  auto r = d.api("POST", "/api/v1/deployments",
                 R"({"app":"api","version":"v1","artifact":")" + d.releaseDir("v1") +
                     R"(","commit_sha":"0123abcd","commit_time":"2026-12-01T10:00:00Z",)"
                     R"("reason":"first"})",
                 {{"X-Shipgate-Actor", "deploy-bot"}});
  ASSERT_EQ(r.status, 202) << r.raw;
  const std::string id = json::parse(r.body)["id"];

  Stream all = readEvents(d, id);
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(all.content_type.rfind("text/event-stream", 0), 0u) << all.content_type;
  EXPECT_TRUE(all.ended) << "the stream must end once the deployment finished";
  EXPECT_NE(all.body.find("event: step_started\n"), std::string::npos) << all.body;
  EXPECT_NE(all.body.find("event: step_finished\n"), std::string::npos) << all.body;
  EXPECT_NE(all.body.find("event: state\n"), std::string::npos) << all.body;
  // Every data line is one JSON object carrying seq and type.
  size_t pos = 0, events = 0;
  while ((pos = all.body.find("data: ", pos)) != std::string::npos) {
    size_t end = all.body.find('\n', pos);
    json e = json::parse(all.body.substr(pos + 6, end - pos - 6), nullptr, false);
    ASSERT_TRUE(e.is_object()) << all.body.substr(pos, end - pos);
    EXPECT_TRUE(e["seq"].is_number_integer());
    EXPECT_TRUE(e["type"].is_string());
    ++events;
    pos = end;
  }
  std::vector<int64_t> ids = eventIds(all.body);
  ASSERT_GE(ids.size(), 4u) << all.body;
  EXPECT_EQ(ids.size(), events);
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(ids[i], ids[i - 1] + 1) << all.body;

  // Resuming after an id gives exactly the later events.
  const int64_t cut = ids[ids.size() / 2];
  Stream rest = readEvents(d, id, std::to_string(cut));
  std::vector<int64_t> later = eventIds(rest.body);
  ASSERT_FALSE(later.empty()) << rest.body;
  EXPECT_EQ(later.front(), cut + 1);
  // The cleanup step may add events after the first stream ended (it runs once the deployment
  // has succeeded), so the resumed one ends at or after the first one's end, with no gap.
  EXPECT_GE(later.back(), ids.back());
  for (size_t i = 1; i < later.size(); ++i) EXPECT_EQ(later[i], later[i - 1] + 1) << rest.body;
  EXPECT_EQ(d.api("GET", "/api/v1/deployments/" + id + "/events", "",
                  {{"Last-Event-ID", "seven"}}).status,
            400);

  json dep = d.apiJson("GET", "/api/v1/deployments/" + id);
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
  EXPECT_EQ(dep["actor"], "deploy-bot");
  EXPECT_EQ(dep["reason"], "first");
  json rel = d.apiJson("GET", "/api/v1/apps/api/releases");
  ASSERT_FALSE(rel["releases"].empty()) << rel.dump(2);
  EXPECT_EQ(rel["releases"][0]["commit_sha"], "0123abcd");
  EXPECT_EQ(rel["releases"][0]["commit_time"], 1796119200000LL);  // 2026-12-01T10:00:00Z
  EXPECT_EQ(rel["releases"][0]["created_by"], "deploy-bot");
}

TEST(ReleaseApi, RuntimeSwitchSurvivesSigkill) {
  // An unmanaged app with hand-written slots, each a real coinestate API.
  testsupport::TempDir tmp("sg-switch");
  auto api = [&](const std::string& version) {
    uint16_t port = testsupport::freePort();
    auto p = std::make_unique<testsupport::Process>(testsupport::command(
        {testsupport::buildDir() + "/coinestate-api", "--listen",
         "127.0.0.1:" + std::to_string(port), "--version", version}));
    EXPECT_TRUE(p->start());
    EXPECT_TRUE(p->waitForOutput("listening", 10s)) << p->describe();
    return std::make_pair(port, std::move(p));
  };
  auto blue = api("web-blue");
  auto green = api("web-green");
  Deployer::Settings s;
  s.approval = "none";
  s.extra_yaml = "  web:\n    slots: {blue: [{address: \"127.0.0.1:" +
                 std::to_string(blue.first) + "\"}], green: [{address: \"127.0.0.1:" +
                 std::to_string(green.first) + "\"}]}\n";
  s.extra_sites = "  - {name: web, hosts: [web.test], path_prefix: /api/, app: web}\n";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  auto served = [&] {
    auto r = testsupport::httpGet(d.httpPort(), "/api/properties", {{"Host", "web.test"}});
    for (const auto& [n, v] : r.headers) {
      if (strcasecmp(n.c_str(), "X-App-Version") == 0) return v;
    }
    return std::string("status " + std::to_string(r.status));
  };
  EXPECT_EQ(served(), "web-blue");
  CliResult sw = d.cli({"switch", "--app", "web", "--slot", "green"});
  ASSERT_EQ(sw.exit_code, 0) << sw.out << sw.err;
  json st = d.apiJson("GET", "/api/v1/status");
  auto web = [&](const json& status) {
    for (const auto& a : status["apps"]) {
      if (a["name"] == "web") return a;
    }
    return json();
  };
  EXPECT_EQ(web(st)["active_slot"], "green") << st.dump(2);
  EXPECT_EQ(served(), "web-green");

  d.killServe();
  ASSERT_FALSE(d.serveRunning());
  ASSERT_TRUE(d.startServe()) << d.serveLogs();
  json after = d.apiJson("GET", "/api/v1/status");
  EXPECT_EQ(web(after)["active_slot"], "green") << after.dump(2);
  EXPECT_EQ(web(after)["switched_at_runtime"], true) << after.dump(2);
  EXPECT_EQ(served(), "web-green") << d.serveLogs();

  // And back: the switch back is persisted too.
  ASSERT_EQ(d.cli({"switch", "--app", "web", "--slot", "blue"}).exit_code, 0);
  d.killServe();
  ASSERT_TRUE(d.startServe()) << d.serveLogs();
  EXPECT_EQ(web(d.apiJson("GET", "/api/v1/status"))["active_slot"], "blue");
  EXPECT_EQ(served(), "web-blue");
}

}  // namespace
}  // namespace releasetest
