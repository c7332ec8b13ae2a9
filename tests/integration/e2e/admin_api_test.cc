// The admin API and its CLI with bad input: the real shipgate binary and its real admin API. Every
// bad body gets a 4xx JSON error naming what is wrong and where (field); nothing is narrowed or
// silently accepted, and a refused call changes nothing. The CLI answers bad arguments and
// malformed answers (from a real HTTP server on loopback that speaks bad JSON) with a message and
// exit status 2, never a crash.
#include <httplib.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_util.h"
#include "support/gateway_process.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testsupport::GatewayProcess;

class AdminApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(blue_.start());
    // App "api" has both slots; app "solo" has no green endpoints (switching to green is a 409).
    std::string yaml =
        "server: {workers: 1, allow_root: true}\n"
        "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http_) + "\"}]\n"
        "admin: {address: \"127.0.0.1:" + std::to_string(admin_) + "\", token_file: \"" +
        token_file_ + "\"}\n"
        "sites:\n"
        "  - {name: api, hosts: [api.test], path_prefix: /api/, app: api}\n"
        "  - {name: solo, hosts: [solo.test], path_prefix: /api/, app: solo}\n"
        "apps:\n"
        "  api:\n    slots: {blue: [{address: \"" + blue_.address() + "\"}], green: [{address: \"" +
        blue_.address() + "\"}]}\n"
        "  solo:\n    slots: {blue: [{address: \"" + blue_.address() + "\"}], green: []}\n";
    ASSERT_TRUE(gw_.start(yaml, {http_, admin_}));
    token_ = testsupport::readFile(token_file_);
    while (!token_.empty() && token_.back() == '\n') token_.pop_back();
  }

  testsupport::HttpResponse post(const std::string& path, const std::string& body,
                                 const std::string& token) {
    testsupport::Headers h = {{"Content-Type", "application/json"}};
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return testsupport::httpRequest(admin_, "POST", path, h, body);
  }
  testsupport::HttpResponse post(const std::string& path, const std::string& body) {
    return post(path, body, token_);
  }
  json status() {
    auto r = testsupport::httpGet(admin_, "/api/v1/status", {{"Authorization", "Bearer " + token_}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return json::parse(r.body, nullptr, false);
  }
  json app(const std::string& name) {
    const json s = status();
    for (const auto& a : s["apps"]) {
      if (a["name"] == name) return a;
    }
    ADD_FAILURE() << "no app " << name;
    return {};
  }
  std::vector<std::string> adminArgs(const std::string& token_file) {
    return {"--admin", "http://127.0.0.1:" + std::to_string(admin_), "--token-file", token_file};
  }

  testsupport::TempDir dir_{"sg-admin"};
  uint16_t http_ = testsupport::freePort();
  uint16_t admin_ = testsupport::freePort();
  std::string token_file_ = writeToken(dir_);
  std::string token_;
  ApiServer blue_{"v1", "us-east-1"};
  GatewayProcess gw_;
};

// The answer must be `status` with a JSON {"error": "..."} whose message contains `says`, and
// "field" equal to `field` ("" = no field).
::testing::AssertionResult isError(const testsupport::HttpResponse& r, int status,
                                   const std::string& says, const std::string& field) {
  if (r.status != status) {
    return ::testing::AssertionFailure() << "status " << r.status << ", want " << status << "\n"
                                         << r.raw << r.error;
  }
  if (r.header("Content-Type").find("application/json") == std::string::npos) {
    return ::testing::AssertionFailure() << "not JSON:\n" << r.raw;
  }
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) {
    return ::testing::AssertionFailure() << "no \"error\" string:\n" << r.raw;
  }
  if (j["error"].get<std::string>().find(says) == std::string::npos) {
    return ::testing::AssertionFailure() << "error does not say '" << says << "':\n" << r.raw;
  }
  std::string got_field = j.contains("field") ? j["field"].get<std::string>() : "";
  if (got_field != field) {
    return ::testing::AssertionFailure() << "field '" << got_field << "', want '" << field
                                         << "':\n" << r.raw;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(AdminApi, AMissingOrWrongTokenGets401AndChangesNothing) {
  const std::string sw = "/api/v1/apps/api/switch";
  EXPECT_TRUE(isError(post(sw, R"({"slot":"green"})", ""), 401, "token", ""));
  EXPECT_TRUE(isError(post(sw, R"({"slot":"green"})", token_ + "x"), 401, "token", ""));
  EXPECT_TRUE(isError(post(sw, R"({"slot":"green"})", token_.substr(1)), 401, "token", ""));
  auto r = testsupport::httpGet(admin_, "/api/v1/status", {{"Authorization", "Basic " + token_}});
  EXPECT_TRUE(isError(r, 401, "token", ""));
  EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"shipgate\"");
  EXPECT_TRUE(isError(testsupport::httpGet(admin_, "/metrics"), 401, "token", ""));
  EXPECT_EQ(app("api")["active_slot"], "blue");

  // The CLI with a wrong token file: a clear message and exit status 2.
  std::string wrong = dir_.writeFile("wrong.token", "not-the-token\n");
  auto args = adminArgs(wrong);
  args.insert(args.begin(), "status");
  auto cli = runCli(args);
  EXPECT_EQ(cli.exit_code, 2) << cli.out << cli.err;
  EXPECT_NE(cli.err.find("refused the token"), std::string::npos) << cli.err;
}

TEST_F(AdminApi, MalformedBodiesGet400NamingWhatAndWhere) {
  const std::string sw = "/api/v1/apps/api/switch";
  EXPECT_TRUE(isError(post(sw, R"({"slot": "green")"), 400, "not valid JSON (at byte 17)", ""));
  EXPECT_TRUE(isError(post(sw, "slot=green"), 400, "not valid JSON (at byte 1)", ""));
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"blue":1e999}})"), 400,
                      "not valid JSON: a number is out of range", ""));
  EXPECT_TRUE(isError(post(sw, R"(["green"])"), 400, "must be a JSON object, not array", ""));
  EXPECT_TRUE(isError(post(sw, ""), 400, "body needs \"slot\" or \"weights\"", ""));
  EXPECT_TRUE(isError(post(sw, R"({"slot":"green","force":true})"), 400,
                      "unknown field \"force\"", "force"));
  EXPECT_TRUE(isError(post(sw, R"({"slot":"green","weights":{"blue":1}})"), 400, "not both",
                      "weights"));
  EXPECT_TRUE(isError(post(sw, R"({"slot":"purple"})"), 400, "\"purple\"", "slot"));
  EXPECT_TRUE(isError(post(sw, R"({"slot":1})"), 400, "\"blue\" or \"green\"", "slot"));
  EXPECT_TRUE(isError(post(sw, R"({"weights":[90,10]})"), 400, "must be an object, not array",
                      "weights"));
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"red":10}})"), 400, "unknown slot \"red\"",
                      "weights.red"));
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"blue":"90"}})"), 400, "must be an integer",
                      "weights.blue"));
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"blue":12.5,"green":10}})"), 400,
                      "must be an integer 0..100, not 12.5", "weights.blue"));

  const std::string approve = "/api/v1/apps/api/failover/approve";
  EXPECT_TRUE(isError(post(approve, R"({"region":"us-east-1","now":1})"), 400,
                      "unknown field \"now\"", "now"));
  EXPECT_TRUE(isError(post(approve, R"({"region":5})"), 400, "region name", "region"));
  EXPECT_TRUE(isError(post(approve, "{}"), 400, "needs \"region\"", "region"));
  EXPECT_TRUE(isError(post("/api/v1/reload", R"({"file":"/etc/passwd"})"), 400,
                      "unknown field \"file\" (this call takes no fields)", "file"));
  EXPECT_TRUE(isError(post("/api/v1/reload", "{"), 400, "not valid JSON", ""));

  // Nothing above changed anything.
  json a = app("api");
  EXPECT_EQ(a["active_slot"], "blue") << a.dump();
  EXPECT_FALSE(a["weights"].is_object()) << a.dump();
  EXPECT_EQ(a["switched_at_runtime"], false) << a.dump();
}

TEST_F(AdminApi, WeightsOutOfRangeGet422InsteadOfBeingNarrowed) {
  const std::string sw = "/api/v1/apps/api/switch";
  // 4294967346 = 2^32 + 50: an int narrowing would read 50 and accept it.
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"blue":4294967346,"green":0}})"), 422,
                      "must be 0..100 (got 4294967346)", "weights.blue"));
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"blue":10,"green":18446744073709551615}})"), 422,
                      "got 18446744073709551615", "weights.green"));
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"blue":-1,"green":10}})"), 422, "got -1",
                      "weights.blue"));
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"blue":101}})"), 422, "got 101", "weights.blue"));
  // In range but refused by the controller: both 0.
  EXPECT_TRUE(isError(post(sw, R"({"weights":{"blue":0,"green":0}})"), 422, "not both 0",
                      "weights"));
  json a = app("api");
  EXPECT_EQ(a["active_slot"], "blue") << a.dump();
  EXPECT_FALSE(a["weights"].is_object()) << a.dump();

  // A good split is accepted, exactly as given.
  auto ok = post(sw, R"({"weights":{"blue":90,"green":10}})");
  ASSERT_EQ(ok.status, 200) << ok.raw;
  a = app("api");
  EXPECT_EQ(a["weights"], (json{{"blue", 90}, {"green", 10}})) << a.dump();
}

TEST_F(AdminApi, RefusedChangesGet409And422AndUnknownNames404) {
  // 409: app "solo" has no green endpoints.
  EXPECT_TRUE(isError(post("/api/v1/apps/solo/switch", R"({"slot":"green"})"), 409,
                      "no endpoints in slot green", "slot"));
  EXPECT_TRUE(isError(post("/api/v1/apps/solo/switch", R"({"weights":{"blue":50,"green":50}})"),
                      409, "no endpoints in slot green", "weights"));
  EXPECT_EQ(app("solo")["active_slot"], "blue");
  // 404: unknown app, region, route.
  EXPECT_TRUE(isError(post("/api/v1/apps/nope/switch", R"({"slot":"green"})"), 404,
                      "no app named 'nope'", ""));
  EXPECT_TRUE(isError(post("/api/v1/apps/api/failover/approve", R"({"region":"mars-1"})"), 404,
                      "no region 'mars-1'", ""));
  EXPECT_TRUE(isError(post("/api/v1/nothing", "{}"), 404, "no such endpoint", ""));
  // 422: a reload of a config that does not load; the old config keeps serving.
  {
    std::FILE* f = std::fopen(gw_.configPath().c_str(), "a");
    ASSERT_NE(f, nullptr);
    std::fputs("apps: [\n", f);
    std::fclose(f);
  }
  EXPECT_TRUE(isError(post("/api/v1/reload", ""), 422, "shipgate.yaml:", ""));
  auto r = get(http_, "/api/health", "api.test");
  EXPECT_EQ(r.status, 200) << r.raw;
  // Every refusal reached the CLI as exit status 1 with the API's message.
  auto args = adminArgs(token_file_);
  args.insert(args.begin(), "switch");
  args.insert(args.end(), {"--app", "solo", "--slot", "green"});
  auto cli = runCli(args);
  EXPECT_EQ(cli.exit_code, 1) << cli.out << cli.err;
  EXPECT_NE(cli.err.find("refused (409)"), std::string::npos) << cli.err;
}

TEST(AdminCli, BadArgumentsAreUsageErrorsNotCrashes) {
  testsupport::TempDir dir("sg-admin-cli");
  std::string token = writeToken(dir);
  for (const std::string url :
       {"http://127.0.0.1:99999999999", "http://127.0.0.1:65536", "http://127.0.0.1:0",
        "127.0.0.1:4294967297", "http://[::1]:100000000000000000000"}) {
    auto r = runCli({"status", "--admin", url, "--token-file", token});
    EXPECT_EQ(r.exit_code, 2) << url << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("port"), std::string::npos) << url << "\n" << r.err;
  }
  // Checked before any call: nothing listens on port 9 (discard).
  const std::vector<std::string> admin = {"--admin", "http://127.0.0.1:9", "--token-file", token};
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"switch", "--app", "api", "--weights", "blue=500,green=1"}, "must be 0..100 (got 500)"},
      {{"switch", "--app", "api", "--weights", "blue=50,green=50,red=1"}, "--weights must look"},
      {{"switch", "--app", "a/b", "--slot", "green"}, "--app must be an app name"},
      {{"switch", "--app", "..", "--slot", "green"}, "--app must be an app name"},
      {{"failover", "approve", "--app", "x y", "--region", "eu-west-1"}, "--app must be an app name"},
      {{"switch", "--app", "api", "--slot", "purple"}, "purple"},
      {{"switch", "--app", "api"}, "--slot blue|green or --weights"},
  };
  for (const auto& c : cases) {
    auto args = c.args;
    args.insert(args.end(), admin.begin(), admin.end());
    auto r = runCli(args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << c.args[2] << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

// A real HTTP server on loopback that answers every admin call with `status` and `body`.
class BadAdmin {
 public:
  BadAdmin(int status, std::string body) {
    server_.Get(".*", [status, body](const httplib::Request&, httplib::Response& res) {
      res.status = status;
      res.set_content(body, "application/json");
    });
    server_.Post(".*", [status, body](const httplib::Request&, httplib::Response& res) {
      res.status = status;
      res.set_content(body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    testsupport::waitForPort(static_cast<uint16_t>(port_), std::chrono::seconds(5));
  }
  ~BadAdmin() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(AdminCli, MalformedAnswersAreReportedWithExit2NotCrashes) {
  testsupport::TempDir dir("sg-admin-cli");
  std::string token = writeToken(dir);
  struct Case {
    int status;
    std::string body;
    std::string says;
  };
  const std::vector<Case> cases = {
      {200, "not json", "not a JSON object"},
      {200, "[1,2]", "not a JSON object"},
      {200, "", "not a JSON object"},
      {500, "<html>oops</html>", "answered 500"},
      {200, R"({"apps":5})", "\"apps\" is not a list"},
      {200, R"({"apps":[7]})", "expected an object"},
      {200, R"({"apps":[{"name":3}]})", "\"name\" is not a string"},
      {200, R"({"apps":[{"name":"api","weights":[1]}]})", "expected an object"},
      {200, R"({"apps":[{"name":"api","weights":{"blue":"x"}}]})", "\"blue\" is not an integer"},
      {200, R"({"apps":[{"name":"api","slots":{"blue":[{"in_flight":"x"}]}}]})",
       "\"in_flight\" is not an integer"},
      {200, R"({"apps":[{"name":"api","slots":{"green":7}}]})", "\"green\" is not a list"},
      {200, R"({"apps":[{"name":"api","regions":[{"priority":1.5}]}]})", "\"priority\""},
      {200, R"({"apps":[],"events":[{"message":null},{"message":{}}]})", "\"message\""},
  };
  for (const auto& c : cases) {
    BadAdmin bad(c.status, c.body);
    for (const std::string cmd : {"status", "switch"}) {
      std::vector<std::string> args = {cmd, "--admin", bad.url(), "--token-file", token};
      if (cmd == "switch") args.insert(args.end(), {"--app", "api", "--weights", "blue=1,green=2"});
      auto r = runCli(args);
      // `switch` prints only the app's slot and weights, so some bodies pass it.
      if (cmd == "switch" && r.exit_code == 0) continue;
      EXPECT_EQ(r.exit_code, 2) << cmd << " on " << c.status << " " << c.body << "\n"
                                << r.out << r.err;
      EXPECT_NE(r.err.find(c.says), std::string::npos) << cmd << " on " << c.body << "\n" << r.err;
    }
  }
  // A JSON refusal is still exit status 1 with the API's message, whatever type "error" has.
  BadAdmin refused(409, R"({"error":{"why":"busy"}})");
  auto r = runCli({"reload", "--admin", refused.url(), "--token-file", token});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("busy"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace e2e
