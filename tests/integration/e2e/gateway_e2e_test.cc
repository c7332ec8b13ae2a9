// End-to-end: the real shipgate binary in front of real coinestate-api processes, driven through
// HTTP and the CLI the way an operator would.
#include <dirent.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_util.h"
#include "shipgate/common/mutex.h"
#include "support/gateway_process.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;

struct Ports {
  uint16_t http = testsupport::freePort();
  uint16_t admin = testsupport::freePort();
};

// A gateway config: static frontend + api app with the given slot endpoint lists (YAML flow lists).
std::string configYaml(const Ports& p, const std::string& token, const std::string& blue,
                       const std::string& green, const std::string& app_extra = "",
                       const std::string& server_extra = "") {
  std::string frontend = testsupport::buildDir() + "/coinestate/frontend";
  return "server:\n  workers: 2\n  allow_root: true\n" + server_extra +
         "listeners:\n  - {name: http, address: \"127.0.0.1:" + std::to_string(p.http) +
         "\"}\n"
         "admin: {address: \"127.0.0.1:" + std::to_string(p.admin) + "\", token_file: \"" + token +
         "\"}\n"
         "sites:\n"
         "  - {name: frontend, hosts: [app.test], static: {root: \"" + frontend +
         "\", spa_fallback: true}}\n"
         "  - {name: api, hosts: [app.test], path_prefix: /api/, app: api}\n"
         "apps:\n  api:\n    connect_timeout: 500ms\n    read_timeout: 5s\n" + app_extra +
         "    slots:\n      blue: " + blue + "\n      green: " + green + "\n";
}

std::string ep(const ApiServer& a, const std::string& region = "") {
  return "{address: \"" + a.address() + "\"" + (region.empty() ? "" : ", region: " + region) + "}";
}

class GatewayE2E : public ::testing::Test {
 protected:
  testsupport::TempDir dir_{"sg-e2e"};
  Ports ports_;
  std::string token_ = writeToken(dir_);
  std::vector<std::string> adminArgs() {
    return {"--admin", "http://127.0.0.1:" + std::to_string(ports_.admin), "--token-file", token_};
  }
  // Most tests open alike: the blue and green servers started, each its slot's one endpoint, and
  // the gateway in front of them (configYaml with the extras given).
  ::testing::AssertionResult startBlueGreen(GatewayProcess& gw, ApiServer& blue, ApiServer& green,
                                            const std::string& app_extra = "",
                                            const std::string& server_extra = "") {
    if (!blue.start()) return ::testing::AssertionFailure() << "the blue server did not start";
    if (!green.start()) return ::testing::AssertionFailure() << "the green server did not start";
    if (!gw.start(configYaml(ports_, token_, "[" + ep(blue) + "]", "[" + ep(green) + "]", app_extra,
                             server_extra),
                  {ports_.http, ports_.admin})) {
      return ::testing::AssertionFailure() << "the gateway did not start: " << gw.logs();
    }
    return ::testing::AssertionSuccess();
  }
};

TEST_F(GatewayE2E, ServesStaticFrontendAndProxiesTheApiWithForwardingHeaders) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  GatewayProcess gw;
  ASSERT_TRUE(startBlueGreen(gw, blue, green));

  auto page = get(ports_.http, "/");
  ASSERT_EQ(page.status, 200) << page.raw << gw.logs();
  EXPECT_NE(page.header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("<html"), std::string::npos);

  auto props = get(ports_.http, "/api/properties");
  ASSERT_EQ(props.status, 200) << props.raw << gw.logs();
  EXPECT_EQ(props.header("X-App-Version"), "v1");
  EXPECT_FALSE(props.header("X-Request-Id").empty());

  auto echo = get(ports_.http, "/api/echo", "app.test", {{"X-Request-Id", "req-123"}});
  ASSERT_EQ(echo.status, 200) << echo.raw;
  EXPECT_NE(echo.body.find("req-123"), std::string::npos) << echo.body;
  EXPECT_NE(echo.body.find("127.0.0.1"), std::string::npos) << "X-Forwarded-For: " << echo.body;
  EXPECT_NE(echo.body.find("app.test"), std::string::npos) << "X-Forwarded-Host: " << echo.body;
  EXPECT_EQ(echo.header("X-Request-Id"), "req-123");

  auto missing = get(ports_.http, "/api/properties", "other.host");
  EXPECT_EQ(missing.status, 404) << missing.raw;
}

// An operator's `top -H` or `ps -L` tells the workers from the background threads: every thread
// the gateway starts has a name of its own, and there is one sg-worker-N per configured worker.
TEST_F(GatewayE2E, EachThreadIsNamedForWhatItDoes) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  GatewayProcess gw;
  ASSERT_TRUE(startBlueGreen(gw, blue, green));
  // A request through each side, so the admin server's pool and the log writer are running.
  ASSERT_EQ(get(ports_.http, "/api/properties").status, 200) << gw.logs();
  ASSERT_EQ(testsupport::httpGet(ports_.admin, "/metrics", bearer(token_)).status, 200);

  const std::string task_dir = "/proc/" + std::to_string(gw.pid()) + "/task";
  std::map<std::string, int> names;
  DIR* dir = ::opendir(task_dir.c_str());
  ASSERT_NE(dir, nullptr) << task_dir;
  int threads = 0;
  for (dirent* e = ::readdir(dir); e != nullptr; e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream comm(task_dir + "/" + e->d_name + "/comm");
    std::string name;
    std::getline(comm, name);
    ++names[name];
    ++threads;
  }
  ::closedir(dir);
  std::string seen;
  for (const auto& [name, count] : names) seen += name + " x" + std::to_string(count) + "; ";

  // The main thread keeps the program's name; no other thread does.
  EXPECT_EQ(names["shipgate"], 1) << seen;
  // server.workers: 2 in configYaml.
  EXPECT_EQ(names["sg-worker-0"], 1) << seen;
  EXPECT_EQ(names["sg-worker-1"], 1) << seen;
  EXPECT_EQ(names.count("sg-worker-2"), 0U) << seen;
  EXPECT_EQ(names["sg-log"], 1) << seen;
  EXPECT_GE(names["sg-admin"], 1) << seen;
  EXPECT_GE(names["sg-health"], 1) << seen;
  EXPECT_EQ(names["sg-sampler"], 1) << seen;
  EXPECT_EQ(names["sg-memreturn"], 1) << seen;
  int named = 0;
  for (const auto& [name, count] : names) {
    if (name.rfind("sg-", 0) == 0) named += count;
  }
  EXPECT_EQ(named, threads - 1) << seen;
}

TEST_F(GatewayE2E, SwitchUnderConcurrentLoadFailsNoRequest) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  GatewayProcess gw;
  ASSERT_TRUE(startBlueGreen(gw, blue, green));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  shipgate::Mutex mu;
  std::map<std::string, int> versions;
  std::string first_failure;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      testsupport::RawHttpClient cli;
      while (!stop) {
        if (!cli.connected() && !cli.connect(ports_.http)) {
          ++failed;
          continue;
        }
        auto r = cli.roundTrip("GET /api/health HTTP/1.1\r\nHost: app.test\r\n\r\n");
        shipgate::MutexLock lock(mu);
        if (r.status == 200) {
          ++ok;
          ++versions[r.header("X-App-Version")];
        } else {
          ++failed;
          if (first_failure.empty()) first_failure = r.raw + r.error;
          cli.close();
        }
        if (r.header("Connection") == "close") cli.close();
      }
    });
  }
  std::this_thread::sleep_for(500ms);
  auto sw = runCli([&] {
    auto a = adminArgs();
    a.insert(a.begin(), "switch");
    a.insert(a.end(), {"--app", "api", "--slot", "green"});
    return a;
  }());
  EXPECT_EQ(sw.exit_code, 0) << sw.out << sw.err;
  std::this_thread::sleep_for(500ms);
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_EQ(failed.load(), 0) << first_failure << gw.logs();
  EXPECT_GT(versions["v1"], 0);
  EXPECT_GT(versions["v2"], 0);
  // After the switch every new request lands on green.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(get(ports_.http, "/api/health").header("X-App-Version"), "v2");

  auto status = runCli([&] {
    auto a = adminArgs();
    a.insert(a.begin(), "status");
    a.push_back("--json");
    return a;
  }());
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("\"active_slot\": \"green\""), std::string::npos) << status.out;
}

TEST_F(GatewayE2E, WeightedSplitWithStickyCookieKeepsAClientOnItsSlot) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  GatewayProcess gw;
  ASSERT_TRUE(startBlueGreen(gw, blue, green, "    sticky: {cookie: sg_slot, ttl: 1h}\n"));
  auto args = adminArgs();
  args.insert(args.begin(), "switch");
  args.insert(args.end(), {"--app", "api", "--weights", "blue=50,green=50"});
  auto sw = runCli(args);
  ASSERT_EQ(sw.exit_code, 0) << sw.out << sw.err;

  // New clients are split between the slots and each gets a cookie naming its slot.
  std::map<std::string, int> versions;
  std::string green_cookie;
  for (int i = 0; i < 60; ++i) {
    auto r = get(ports_.http, "/api/health");
    ASSERT_EQ(r.status, 200) << r.raw;
    std::string v = r.header("X-App-Version");
    ++versions[v];
    std::string cookie = r.header("Set-Cookie");
    EXPECT_NE(cookie.find("sg_slot="), std::string::npos) << r.raw;
    if (v == "v2" && green_cookie.empty()) green_cookie = cookie.substr(0, cookie.find(';'));
  }
  EXPECT_GT(versions["v1"], 10);
  EXPECT_GT(versions["v2"], 10);
  ASSERT_FALSE(green_cookie.empty());
  // A client holding the green cookie stays on green.
  for (int i = 0; i < 20; ++i) {
    auto r = get(ports_.http, "/api/health", "app.test", {{"Cookie", green_cookie}});
    EXPECT_EQ(r.header("X-App-Version"), "v2") << r.raw;
  }
  // ...also when the cookie comes in a second Cookie header (every Cookie header is read).
  for (int i = 0; i < 20; ++i) {
    auto r = get(ports_.http, "/api/health", "app.test",
                 {{"Cookie", "theme=dark"}, {"Cookie", green_cookie}});
    EXPECT_EQ(r.header("X-App-Version"), "v2") << r.raw;
  }
  // A bad weight spec is a usage error; an unknown app is refused by the API.
  auto bad = adminArgs();
  bad.insert(bad.begin(), "switch");
  bad.insert(bad.end(), {"--app", "api", "--weights", "blue=50"});
  EXPECT_EQ(runCli(bad).exit_code, 2);
  auto unknown = adminArgs();
  unknown.insert(unknown.begin(), "switch");
  unknown.insert(unknown.end(), {"--app", "nope", "--slot", "green"});
  auto u = runCli(unknown);
  EXPECT_EQ(u.exit_code, 1);
  EXPECT_NE(u.err.find("nope"), std::string::npos) << u.err;
}

TEST_F(GatewayE2E, AllEndpointsDownAnswers503WithAReasonInsteadOfHanging) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  GatewayProcess gw;
  ASSERT_TRUE(startBlueGreen(gw, blue, green,
                             "    health: {kind: http, path: /api/health, interval: 100ms, "
                             "timeout: 500ms, rise: 1, fall: 1}\n"));
  blue.process().kill();
  // The active check notices within a few intervals; until then the proxy answers 502/503.
  testsupport::HttpResponse r;
  for (int i = 0; i < 50; ++i) {
    r = get(ports_.http, "/api/properties");
    if (r.status == 503) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(r.status, 503) << r.raw;
  EXPECT_NE(r.body.find("api"), std::string::npos) << r.body;
}

TEST_F(GatewayE2E, RegionSpillOverWaitsForManualApproval) {
  ApiServer east("v1", "us-east-1"), west("v1", "eu-west-1"), green("v2", "us-east-1");
  ASSERT_TRUE(east.start());
  ASSERT_TRUE(west.start());
  ASSERT_TRUE(green.start());
  GatewayProcess gw;
  ASSERT_TRUE(gw.start(
      configYaml(ports_, token_, "[" + ep(east, "us-east-1") + ", " + ep(west, "eu-west-1") + "]",
                 "[" + ep(green, "us-east-1") + "]",
                 "    regions: {us-east-1: {priority: 0}, eu-west-1: {priority: 1, "
                 "failover_policy: manual_approval}}\n"
                 "    health: {kind: http, path: /api/health, interval: 100ms, timeout: 500ms, "
                 "rise: 1, fall: 1}\n"),
      {ports_.http, ports_.admin}));
  // Healthy primary: all traffic stays in us-east-1.
  for (int i = 0; i < 6; ++i) {
    auto r = get(ports_.http, "/api/health");
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.header("X-App-Region"), "us-east-1");
  }
  east.process().kill();
  testsupport::HttpResponse r;
  for (int i = 0; i < 50; ++i) {
    r = get(ports_.http, "/api/health");
    if (r.status == 503) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(r.status, 503) << "no spill before approval: " << r.raw;
  EXPECT_NE(r.body.find("approv"), std::string::npos) << r.body;

  auto status = runCli([&] {
    auto a = adminArgs();
    a.insert(a.begin(), "status");
    return a;
  }());
  EXPECT_NE(status.out.find("WAITING FOR APPROVAL"), std::string::npos) << status.out;

  auto approve = runCli([&] {
    auto a = adminArgs();
    a.insert(a.begin(), {"failover", "approve"});
    a.insert(a.end(), {"--app", "api", "--region", "eu-west-1"});
    return a;
  }());
  ASSERT_EQ(approve.exit_code, 0) << approve.out << approve.err;
  r = get(ports_.http, "/api/health");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.header("X-App-Region"), "eu-west-1");
}

TEST_F(GatewayE2E, AutomaticRegionSpillOver) {
  ApiServer east("v1", "us-east-1"), ap("v1", "ap-southeast-1"), green("v2", "us-east-1");
  ASSERT_TRUE(east.start());
  ASSERT_TRUE(ap.start());
  ASSERT_TRUE(green.start());
  GatewayProcess gw;
  ASSERT_TRUE(gw.start(
      configYaml(ports_, token_, "[" + ep(east, "us-east-1") + ", " + ep(ap, "ap-southeast-1") + "]",
                 "[" + ep(green, "us-east-1") + "]",
                 "    regions: {us-east-1: {priority: 0}, ap-southeast-1: {priority: 1}}\n"
                 "    health: {kind: http, path: /api/health, interval: 100ms, timeout: 500ms, "
                 "rise: 1, fall: 1}\n"),
      {ports_.http, ports_.admin}));
  EXPECT_EQ(get(ports_.http, "/api/health").header("X-App-Region"), "us-east-1");
  east.process().kill();
  testsupport::HttpResponse r;
  for (int i = 0; i < 50; ++i) {
    r = get(ports_.http, "/api/health");
    if (r.status == 200 && r.header("X-App-Region") == "ap-southeast-1") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.header("X-App-Region"), "ap-southeast-1");
}

TEST_F(GatewayE2E, MetricsAreValidPrometheusTextAndNeedTheToken) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  GatewayProcess gw;
  ASSERT_TRUE(startBlueGreen(gw, blue, green));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(get(ports_.http, "/api/properties").status, 200);
  ASSERT_EQ(get(ports_.http, "/").status, 200);

  auto unauth = testsupport::httpGet(ports_.admin, "/metrics");
  EXPECT_EQ(unauth.status, 401);
  auto m = testsupport::httpGet(ports_.admin, "/metrics", bearer(token_));
  ASSERT_EQ(m.status, 200);
  // Exactly the five API requests, all 2xx, on blue (whatever other labels the series has).
  std::string api_2xx_value;
  std::istringstream lines(m.body);
  for (std::string line; std::getline(lines, line);) {
    bool match = line.rfind("shipgate_http_requests_total{", 0) == 0;
    for (const char* label : {"site=\"api\"", "app=\"api\"", "slot=\"blue\"", "code=\"2xx\""}) {
      match = match && line.find(label) != std::string::npos;
    }
    if (match) api_2xx_value = line.substr(line.rfind(' ') + 1);
  }
  EXPECT_EQ(api_2xx_value, "5") << m.body;
  EXPECT_EQ(m.body.find("code=\"4xx\""), std::string::npos) << m.body;
  EXPECT_EQ(m.body.find("code=\"5xx\""), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("shipgate_http_request_duration_seconds_bucket"), std::string::npos);
  std::string file = dir_.writeFile("metrics.txt", m.body);
  testsupport::ProcessOptions o;
  o.argv = {"/bin/sh", "-c", "promtool check metrics < " + file};
  testsupport::Process promtool(o);
  ASSERT_TRUE(promtool.start());
  auto code = promtool.wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << promtool.stdoutText() << promtool.stderrText();
}

TEST_F(GatewayE2E, BadReloadIsRefusedAndTheOldConfigKeepsServing) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  ASSERT_TRUE(blue.start());
  ASSERT_TRUE(green.start());
  GatewayProcess gw;
  std::string good = configYaml(ports_, token_, "[" + ep(blue) + "]", "[" + ep(green) + "]");
  ASSERT_TRUE(gw.start(good, {ports_.http, ports_.admin}));
  ASSERT_EQ(get(ports_.http, "/api/health").header("X-App-Version"), "v1");

  std::ofstream(gw.configPath()) << good << "bogus_key: [\n";
  auto reload = runCli([&] {
    auto a = adminArgs();
    a.insert(a.begin(), "reload");
    return a;
  }());
  EXPECT_EQ(reload.exit_code, 1) << reload.out << reload.err;
  EXPECT_NE(reload.err.find("shipgate.yaml:"), std::string::npos) << reload.err;
  auto r = get(ports_.http, "/api/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("X-App-Version"), "v1");

  // A good reload takes effect: the file now makes green active.
  std::string to_green = good;
  to_green.replace(to_green.find("    slots:"), 0, "    active_slot: green\n");
  ASSERT_TRUE(gw.reload(to_green));
  for (int i = 0; i < 50; ++i) {
    if (get(ports_.http, "/api/health").header("X-App-Version") == "v2") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(get(ports_.http, "/api/health").header("X-App-Version"), "v2") << gw.logs();
}

TEST_F(GatewayE2E, SigtermDrainsInFlightRequests) {
  ApiServer blue("v1", "us-east-1", {"--latency-ms", "800"}), green("v2", "us-east-1");
  GatewayProcess gw;
  ASSERT_TRUE(startBlueGreen(gw, blue, green));
  testsupport::HttpResponse slow;
  std::thread t([&] { slow = get(ports_.http, "/api/properties"); });
  std::this_thread::sleep_for(300ms);
  ::kill(gw.pid(), SIGTERM);
  t.join();
  EXPECT_EQ(slow.status, 200) << slow.raw << gw.logs();
  auto code = gw.stop(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << gw.logs();
}

TEST_F(GatewayE2E, SmugglingAttemptsGet400AndSlowlorisGets408) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  GatewayProcess gw;
  ASSERT_TRUE(startBlueGreen(gw, blue, green, "", "  limits: {header_timeout: 1s}\n"));
  const char* attacks[] = {
      "POST /api/echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n",
      "POST /api/echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
      "POST /api/echo HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
  };
  for (const char* attack : attacks) {
    testsupport::RawHttpClient c;
    ASSERT_TRUE(c.connect(ports_.http));
    auto r = c.roundTrip(attack);
    EXPECT_EQ(r.status, 400) << attack << "\n" << r.raw;
    EXPECT_TRUE(c.waitForClose(2s)) << "connection must close after a smuggling attempt";
  }
  testsupport::RawHttpClient slow;
  ASSERT_TRUE(slow.connect(ports_.http));
  ASSERT_TRUE(slow.send("GET /api/health HTTP/1.1\r\nHost: app.test\r\nX-Slow: "));
  std::string got = slow.readUntilClose(5s);
  EXPECT_NE(got.find(" 408 "), std::string::npos) << got;
  // The gateway still serves everyone else.
  EXPECT_EQ(get(ports_.http, "/api/health").status, 200);
}

}  // namespace
}  // namespace e2e
