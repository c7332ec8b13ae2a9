// The path differential test (README "Paths"): a corpus of tricky request paths sent through the
// real shipgate binary to a real upstream process (paths_upstream) that records every request
// line it receives. For each path, the route chosen (upstream app, static site, WAF block), the
// path the WAF fields hold (read from the log line of a `log` rule that matches every request)
// and the request line the upstream received must all agree with the stated rules: the path is
// normalised once, that normalised path is routed, inspected and forwarded (with the original
// query), and a path that climbs above the root or cannot be normalised gets 400 and never
// reaches the upstream. `shipgate waf test --url` must see the same path for every case.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/gateway_process.h"
#include "support/paths.h"
#include "support/net.h"
#include "support/raw_http_client.h"

namespace {

using namespace std::chrono_literals;

enum class Route { kApp, kStatic, kBlocked, kRejected };

struct Case {
  std::string target;
  Route route;
  std::string path;   // the normalised path (what is routed, inspected and forwarded)
  std::string query;  // forwarded as received ("" = none)
};

std::vector<Case> corpus() {
  using R = Route;
  return {
      // Plain and encoded dot segments, merged slashes, backslashes.
      {"/api/x", R::kApp, "/api/x", ""},
      {"/api/./x", R::kApp, "/api/x", ""},
      {"/api//x//", R::kApp, "/api/x/", ""},
      {"/api/a/../x", R::kApp, "/api/x", ""},
      {"/api/a/%2e%2e/x", R::kApp, "/api/x", ""},
      {"/api/a/%2E./x", R::kApp, "/api/x", ""},
      {"/api/%2e/x", R::kApp, "/api/x", ""},
      {"/api\\x\\y", R::kApp, "/api/x/y", ""},
      // The route follows the normalised path, not the raw one.
      {"/page/../api/x", R::kApp, "/api/x", ""},
      {"/%61pi/x", R::kApp, "/api/x", ""},
      {"/api/../page.html", R::kStatic, "/page.html", ""},
      {"/x/.%2E/page.html", R::kStatic, "/page.html", ""},
      // Escapes: unreserved decoded, others kept (upper-cased); decoded once only.
      {"/api/%7Euser/%3b%c3%a9", R::kApp, "/api/~user/%3B%C3%A9", ""},
      {"/api/%252e%252e/x", R::kApp, "/api/%252e%252e/x", ""},
      {"/api/%252F", R::kApp, "/api/%252F", ""},
      // ';' parameters are data, kept everywhere.
      {"/api/a;v=1/x;jsessionid=9", R::kApp, "/api/a;v=1/x;jsessionid=9", ""},
      // The query is never normalised.
      {"/api/./x?q=%2e%2e/../&a=b+c", R::kApp, "/api/x", "q=%2e%2e/../&a=b+c"},
      {"http://app.test/api/./x?y=1", R::kApp, "/api/x", "y=1"},
      // The WAF sees the path that would have been forwarded.
      {"/api/admin", R::kBlocked, "/api/admin", ""},
      {"/api/x/../admin", R::kBlocked, "/api/admin", ""},
      {"/api/%61dmin", R::kBlocked, "/api/admin", ""},
      {"/api//admin", R::kBlocked, "/api/admin", ""},
      {"/api\\admin", R::kBlocked, "/api/admin", ""},
      {"/api/admin;x=1", R::kBlocked, "/api/admin;x=1", ""},
      {"/api/x/%2e%2e/admin?a=1", R::kBlocked, "/api/admin", "a=1"},
      // Above the root, or not normalisable: 400, never forwarded.
      {"/../../etc/passwd", R::kRejected, "", ""},
      {"/%2e%2e/%2e%2e/etc/passwd", R::kRejected, "", ""},
      {"/api/../../etc/passwd", R::kRejected, "", ""},
      {"/api/%2e%2e/%2E%2E/%2e%2e/etc/passwd", R::kRejected, "", ""},
      {"/api/x/..\\..\\..\\etc", R::kRejected, "", ""},
      {"/api/..%2f..%2fetc/passwd", R::kRejected, "", ""},
      {"/api/a%2Fb", R::kRejected, "", ""},
      {"/api/a%5cb", R::kRejected, "", ""},
      {"/api/%00", R::kRejected, "", ""},
      {"/api/a%zz", R::kRejected, "", ""},
      {"/api/%", R::kRejected, "", ""},
      {"/api/%c0%ae%c0%ae/admin", R::kRejected, "", ""},
      {"/api/%e0%80%ae/x", R::kRejected, "", ""},
      {"/api/..;/admin", R::kRejected, "", ""},
      {"/api/.;x/admin", R::kRejected, "", ""},
      {"/;x/api/admin", R::kRejected, "", ""},
  };
}

const char* kRules =
    "security_rules:\n"
    "  - name: seen\n"
    "    expression: 'http.request.uri.path ne \"\"'\n"
    "    action: log\n"
    "  - name: admin\n"
    "    expression: 'starts_with(http.request.uri.path, \"/api/admin\")'\n"
    "    action: block\n";

std::string gatewayYaml(uint16_t http, uint16_t upstream, const std::string& root) {
  std::string up = "{address: \"127.0.0.1:" + std::to_string(upstream) + "\"}";
  return "server: {workers: 1, allow_root: true}\n"
         "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
         "admin: {enabled: false}\n"
         "sites:\n"
         "  - {name: api, path_prefix: /api/, app: echo}\n"
         "  - {name: www, static: {root: \"" + root + "\"}}\n"
         "apps:\n  echo:\n    slots: {blue: [" + up + "], green: [" + up + "]}\n" + kRules;
}

// The log line of the `seen` rule for request `id`, "" when absent.
std::string seenLine(const std::string& logs, const std::string& id) {
  std::istringstream in(logs);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("rule=\"seen\"") != std::string::npos &&
        line.find("request_id=" + id + " ") != std::string::npos) {
      return line;
    }
  }
  return "";
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

TEST(PathsDifferential, RouteWafAndUpstreamAgreeOnEveryPath) {
  testsupport::TempDir dir("sg-paths");
  ASSERT_TRUE(dir.ok()) << dir.error();
  dir.writeFile("www/page.html", "<p>page</p>");
  std::string upstream_log = dir.file("upstream.log");
  uint16_t upstream_port = testsupport::freePort();
  testsupport::Process upstream(testsupport::command(
      {PATHS_UPSTREAM_BINARY, std::to_string(upstream_port), upstream_log}));
  ASSERT_TRUE(upstream.start());
  ASSERT_TRUE(testsupport::waitForPort(upstream_port, 5s));

  uint16_t http = testsupport::freePort();
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(gatewayYaml(http, upstream_port, dir.file("www")), {http}));

  std::vector<std::string> expected_upstream;
  int n = 0;
  for (const Case& c : corpus()) {
    std::string id = "path-case-" + std::to_string(++n);
    SCOPED_TRACE(c.target + " (" + id + ")");
    auto r = testsupport::httpGet(http, c.target, {{"X-Request-Id", id}});
    std::string forwarded = c.path + (c.query.empty() ? "" : "?" + c.query);
    switch (c.route) {
      case Route::kApp:
        ASSERT_EQ(r.status, 200) << r.raw;
        EXPECT_EQ(r.body, "GET " + forwarded + " HTTP/1.1");
        expected_upstream.push_back("GET " + forwarded + " HTTP/1.1");
        break;
      case Route::kStatic:
        ASSERT_EQ(r.status, 200) << r.raw;
        EXPECT_EQ(r.body, "<p>page</p>");
        break;
      case Route::kBlocked:
        ASSERT_EQ(r.status, 403) << r.raw;
        EXPECT_NE(r.header("X-Shipgate-Block").find("rule=\"admin\""), std::string::npos);
        break;
      case Route::kRejected:
        EXPECT_EQ(r.status, 400) << r.raw;
        break;
    }
    if (c.route == Route::kRejected) continue;
    // The WAF field holds the routed and forwarded path.
    ASSERT_TRUE(gw.waitForLog("request_id=" + id + " ", 5s)) << gw.logs();
    std::string line = seenLine(gw.logs(), id);
    EXPECT_NE(line.find("http.request.uri.path=\"" + c.path + "\""), std::string::npos) << line;
  }
  // Exactly the proxied requests reached the upstream, each with its normalised path; no
  // rejected or blocked path did.
  EXPECT_EQ(lines(testsupport::readFile(upstream_log)), expected_upstream);
  for (int i = 1; i <= n; ++i) {
    const Case& c = corpus()[static_cast<size_t>(i - 1)];
    if (c.route == Route::kRejected) {
      EXPECT_EQ(seenLine(gw.logs(), "path-case-" + std::to_string(i)), "") << c.target;
    }
  }
  upstream.terminate();
  upstream.wait(5s);
}

TEST(PathsDifferential, WafTestCommandSeesTheSamePath) {
  testsupport::TempDir dir("sg-paths-cli");
  ASSERT_TRUE(dir.ok()) << dir.error();
  std::string config = dir.writeFile("rules.yaml", kRules);
  for (const Case& c : corpus()) {
    SCOPED_TRACE(c.target);
    testsupport::Process p(testsupport::command(
        {testsupport::buildDir() + "/shipgate", "waf", "test", "--config", config, "--url",
         c.target}));
    ASSERT_TRUE(p.start());
    auto code = p.wait(30s);
    ASSERT_TRUE(code.has_value());
    switch (c.route) {
      case Route::kApp:
      case Route::kStatic:
        EXPECT_EQ(*code, 0) << p.stdoutText() << p.stderrText();
        break;
      case Route::kBlocked:
        EXPECT_EQ(*code, 1) << p.stdoutText() << p.stderrText();
        break;
      case Route::kRejected:
        EXPECT_EQ(*code, 2) << p.stdoutText();
        EXPECT_NE(p.stderrText().find("(the gateway answers 400)"), std::string::npos)
            << p.stderrText();
        continue;
    }
    EXPECT_NE(p.stdoutText().find("\npath: " + c.path + "\n"), std::string::npos)
        << p.stdoutText();
  }
}

}  // namespace
