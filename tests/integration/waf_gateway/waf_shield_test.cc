// The WAF's shield through the running gateway: a flood of distinct rate-limit keys keeps the
// limiter (and the process) bounded, and the managed challenge round trip works in a real
// Chromium (playwright-core) while a client without scripts stays challenged.
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "waf_gateway_util.h"

namespace wafgw {
namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;

class WafShield : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(api_.start()); }
  ::testing::AssertionResult startGateway(const std::string& tail) {
    return gw_.start(gatewayYaml(ports_, token_, api_.address(), tail),
                     {ports_.http, ports_.admin});
  }

  testsupport::TempDir dir_{"sg-waf-shield"};
  Ports ports_;
  std::string token_ = e2e::writeToken(dir_);
  e2e::ApiServer api_{"v1", "us-east-1"};
  GatewayProcess gw_;
};

// Sends `count` pipelined GET /flood requests (batches of 64) with X-Client: <prefix><i>;
// returns how many answers had each exact status, with failures (no answer) under status 0.
std::map<int, int> flood(uint16_t port, const std::string& prefix, int count) {
  std::map<int, int> statuses;
  testsupport::RawHttpClient c;
  if (!c.connect(port)) {
    statuses[0] = count;
    return statuses;
  }
  constexpr int kBatch = 64;
  for (int sent = 0; sent < count; sent += kBatch) {
    int n = std::min(kBatch, count - sent);
    std::string batch;
    for (int i = 0; i < n; ++i) {
      // 60-byte keys: stored verbatim by the limiter (<= 64 bytes), so each costs real memory.
      std::string key = prefix + std::to_string(sent + i);
      key.resize(60, '.');
      batch += "GET /flood HTTP/1.1\r\nHost: app.test\r\nX-Client: " + key + "\r\n\r\n";
    }
    if (!c.send(batch)) {
      statuses[0] += count - sent;
      return statuses;
    }
    for (int i = 0; i < n; ++i) {
      auto r = c.readResponse();
      ++statuses[r.ok() ? r.status : 0];
    }
  }
  return statuses;
}

std::string describe(const std::map<int, int>& statuses) {
  std::string out;
  for (const auto& [status, n] : statuses) {
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " x " +
           (status == 0 ? std::string("no answer") : std::to_string(status));
  }
  return out;
}

TEST_F(WafShield, FloodOfDistinctRateLimitKeysKeepsMemoryBounded) {
  std::string tail =
      "waf: {rate_limit: {max_keys: 1000}}\n"
      "security_rules:\n"
      "  - name: \"Per client\"\n"
      "    expression: \"http.request.uri.path eq \\\"/flood\\\"\"\n"
      "    action: rate_limit\n"
      "    ratelimit:\n"
      "      characteristics: ['http.request.headers[\"x-client\"]']\n"
      "      period: 60s\n"
      "      requests_per_period: 1\n";
  ASSERT_TRUE(startGateway(tail));
  Client c(ports_.http);
  // One request per minute per X-Client: the second from "victim" is limited.
  waitUntilBurstFitsOneRateWindow(60s, 5s);
  ASSERT_EQ(c.get("/flood", {{"X-Client", "victim"}}).status, 404);  // no site: WAF passed it
  auto limited = c.get("/flood", {{"X-Client", "victim"}});
  ASSERT_EQ(limited.status, 429) << limited.raw;
  EXPECT_TRUE(limited.hasHeader("Retry-After"));

  // Warm up the process (connections, buffers, allocator arenas, a full key table), then
  // measure.
  auto warm = flood(ports_.http, "warm-", 2000);
  ASSERT_EQ(warm, (std::map<int, int>{{404, 2000}})) << describe(warm);
  long before = rssKb(gw_.pid());
  ASSERT_GT(before, 0);

  std::vector<std::thread> threads;
  std::vector<std::map<int, int>> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      results[t] = flood(ports_.http, "c" + std::to_string(t) + "-", 10000);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    // Every key is new: all 40,000 pass the limiter and get the gateway's 404 (no site), not
    // one 429 and not one missing answer.
    EXPECT_EQ(results[t], (std::map<int, int>{{404, 10000}}))
        << "thread " << t << ": " << describe(results[t]);
  }
  long after = rssKb(gw_.pid());
  RecordProperty("vmrss_before_kb", static_cast<int>(before));
  RecordProperty("vmrss_after_kb", static_cast<int>(after));
  std::printf("gateway VmRSS: %ld kB before, %ld kB after 40,000 new keys\n", before, after);
  // The limiter holds at most max_keys = 1000 keys (60 bytes + an entry of ~150 bytes: about
  // 0.2 MB, allocated during the warm-up already); connections and buffers are pooled. A table
  // without a bound would keep all 40,000 new keys: >= 40,000 * (60-byte key allocation + entry)
  // > 6 MB. 3 MB separates the two with room for allocator noise (measured: < 0.1 MB).
  EXPECT_LT(after - before, 3 * 1024) << "VmRSS grew from " << before << " kB to " << after
                                       << " kB";
  // 42,000 keys went through a table of 1,000: "victim" was evicted (least recently used), so
  // its counter starts over and its next request passes again.
  auto again = c.get("/flood", {{"X-Client", "victim"}});
  EXPECT_EQ(again.status, 404) << again.raw;
  EXPECT_TRUE(gw_.running());
}

nlohmann::json solveInBrowser(const std::string& url, const std::string& expect) {
  testsupport::ProcessOptions o;
  o.argv = {"node", testsupport::sourceDir() + "/tests/js/waf_challenge.js", url, expect};
  o.cwd = testsupport::sourceDir() + "/tests/js";
  testsupport::Process node(o);
  EXPECT_TRUE(node.start());
  auto code = node.wait(120s);
  EXPECT_TRUE(code.has_value()) << "browser timed out";
  auto j = nlohmann::json::parse(node.stdoutText(), nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "no JSON from the browser:\n" << node.stdoutText() << node.stderrText();
    return {};
  }
  return j;
}

TEST_F(WafShield, ChallengeRoundTripInChromiumWhileScriptlessClientsStayChallenged) {
  std::string tail =
      "security_rules:\n"
      "  - name: \"Challenge properties\"\n"
      "    expression: \"http.request.uri.path eq \\\"/api/properties\\\"\"\n"
      "    action: challenge\n";
  ASSERT_TRUE(startGateway(tail));
  std::string url = "http://127.0.0.1:" + std::to_string(ports_.http) + "/api/properties";
  // The upstream's JSON (nlohmann dumps keys sorted, without spaces).
  const std::string expect = "\"version\":\"v1\"";

  auto page = solveInBrowser(url, expect);
  ASSERT_TRUE(page.contains("text")) << page.dump() << gw_.logs();
  EXPECT_EQ(page["first_status"], 403) << page.dump();
  EXPECT_TRUE(page["challenged"].get<bool>()) << page.dump();
  EXPECT_EQ(page["final_status"], 200) << page.dump();
  EXPECT_NE(page["text"].get<std::string>().find("\"properties\""), std::string::npos)
      << page.dump();
  std::string cookie = page["cookie"].get<std::string>();
  EXPECT_FALSE(cookie.empty()) << page.dump();
  EXPECT_TRUE(page["errors"].empty()) << page.dump();

  // A client without scripts gets the challenge page every time.
  Client c(ports_.http);
  for (int i = 0; i < 3; ++i) {
    auto r = c.get("/api/properties", browserHeaders());
    ASSERT_EQ(r.status, 403) << r.raw;
    EXPECT_TRUE(r.hasHeader("X-Shipgate-Challenge")) << r.raw;
    EXPECT_NE(r.body.find("<script>"), std::string::npos);
    EXPECT_FALSE(r.hasHeader("X-App-Version"));
  }
  // The browser's cookie is bound to its user agent: replayed with another one it is refused.
  auto h = browserHeaders();
  h.emplace_back("Cookie", "sg_clearance=" + cookie);
  auto replay = c.get("/api/properties", h);
  EXPECT_EQ(replay.status, 403) << replay.raw;
  // Other paths are not challenged.
  EXPECT_EQ(c.get("/api/health", {}).status, 200);
}

}  // namespace
}  // namespace wafgw
