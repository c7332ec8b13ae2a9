// `shipgate waf test` and `shipgate waf fmt` through the real binary: exit codes 0 / 1 / 2, the
// per-rule verdicts, request files (tests/waf/firewall/*.http) and canonical formatting.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/process.h"

namespace {

using testsupport::buildDir;
using testsupport::sourceDir;

using CliRun = testsupport::RunResult;

CliRun shipgate(std::vector<std::string> args) {
  args.insert(args.begin(), buildDir() + "/shipgate");
  return testsupport::runToEnd(std::move(args), std::chrono::seconds(30));
}

std::string exampleConfig() { return sourceDir() + "/examples/coinestate/shipgate.yaml"; }
std::string fixture(const std::string& name) { return sourceDir() + "/tests/waf/firewall/" + name; }

const char* kChromeUa =
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";

TEST(WafCli, RequestFilesPassOrBlock) {
  CliRun blocked = shipgate(
      {"waf", "test", "--config", exampleConfig(), "--request", fixture("sqli_comment.http")});
  EXPECT_EQ(blocked.code, 1) << blocked.out << blocked.err;
  EXPECT_NE(blocked.out.find("rule 3 \"Block SQL injection attempts\" [block]: match"),
            std::string::npos)
      << blocked.out;
  EXPECT_NE(blocked.out.find("final: block 403 rule=\"Block SQL injection attempts\""),
            std::string::npos);
  EXPECT_NE(blocked.out.find("X-Shipgate-Block: rule=\"Block SQL injection attempts\"; event="),
            std::string::npos);

  CliRun passed = shipgate(
      {"waf", "test", "--config", exampleConfig(), "--request", fixture("union_station.http")});
  EXPECT_EQ(passed.code, 0) << passed.out << passed.err;
  EXPECT_NE(passed.out.find("rule 3 \"Block SQL injection attempts\" [block]: no match"),
            std::string::npos)
      << passed.out;
  EXPECT_NE(passed.out.find("final: pass"), std::string::npos);

  CliRun bot = shipgate(
      {"waf", "test", "--config", exampleConfig(), "--request", fixture("python_requests.http")});
  EXPECT_EQ(bot.code, 1) << bot.out;
  EXPECT_NE(bot.out.find("rule 1 \"Block malicious bots\" [block]: match  "
                         "cf.bot_management.score=1"),
            std::string::npos)
      << bot.out;
}

TEST(WafCli, UrlHeadersAndRateLimit) {
  std::vector<std::string> chrome = {"-H", kChromeUa,
                                     "-H", "Accept: text/html",
                                     "-H", "Accept-Language: en",
                                     "-H", "Accept-Encoding: gzip"};
  std::vector<std::string> args = {"waf",      "test",
                                   "--config", exampleConfig(),
                                   "--url",    "https://coinestate.example/?q=union+select",
                                   "--tls"};
  args.insert(args.end(), chrome.begin(), chrome.end());
  CliRun r = shipgate(args);
  EXPECT_EQ(r.code, 1) << r.out << r.err;

  std::vector<std::string> api = {
      "waf",           "test",        "--config",    exampleConfig(), "--url",
      "/api/listings", "--client-ip", "203.0.113.5", "--repeat",      "101"};
  api.insert(api.end(), chrome.begin(), chrome.end());
  CliRun limited = shipgate(api);
  EXPECT_EQ(limited.code, 1) << limited.out << limited.err;
  EXPECT_NE(limited.out.find("final: rate_limited 429 rule=\"Rate limit API\""), std::string::npos)
      << limited.out;
  EXPECT_NE(limited.out.find("Retry-After: "), std::string::npos);
  EXPECT_NE(limited.out.find("RateLimit-Policy: 100;w=60"), std::string::npos);
  api[9] = "100";  // --repeat 100: still within the limit
  CliRun ok = shipgate(api);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("RateLimit: limit=100, remaining=0"), std::string::npos) << ok.out;
}

TEST(WafCli, UsageAndConfigErrorsExitTwo) {
  testsupport::TempDir dir;
  ASSERT_TRUE(dir.ok()) << dir.error();
  CliRun neither = shipgate({"waf", "test", "--config", exampleConfig()});
  EXPECT_EQ(neither.code, 2);
  EXPECT_NE(neither.err.find("exactly one of --request FILE or --url URL"), std::string::npos);

  CliRun bad_file = shipgate(
      {"waf", "test", "--config", exampleConfig(), "--request", fixture("malformed.http")});
  EXPECT_EQ(bad_file.code, 2);
  EXPECT_NE(bad_file.err.find("malformed.http: line 1: not a raw HTTP request"), std::string::npos)
      << bad_file.err;

  CliRun missing =
      shipgate({"waf", "test", "--config", exampleConfig(), "--request", dir.file("nope.http")});
  EXPECT_EQ(missing.code, 2);

  std::string bad_cfg = dir.writeFile("bad.yaml",
                                      "security_rules:\n"
                                      "  - name: x\n"
                                      "    expression: \"http.host eqq \\\"a\\\"\"\n"
                                      "    action: block\n");
  CliRun bad = shipgate({"waf", "test", "--config", bad_cfg, "--url", "/"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("bad.yaml:3:28: error: security_rules[0].expression: expected one of"),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("^~~"), std::string::npos) << bad.err;

  CliRun bad_header =
      shipgate({"waf", "test", "--config", exampleConfig(), "--url", "/", "-H", "no colon"});
  EXPECT_EQ(bad_header.code, 2);

  // `shipgate check` reports the same error, located, with the caret.
  CliRun check = shipgate({"check", "--config", bad_cfg});
  EXPECT_EQ(check.code, 1);
  EXPECT_NE(check.err.find("bad.yaml:3:28: error: security_rules[0].expression"), std::string::npos)
      << check.err;
}

TEST(WafCli, Fmt) {
  CliRun one = shipgate({"waf", "fmt", "(http.host == \"a\" && ip.src in {10.0.0.0/8})"});
  EXPECT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(one.out, "(http.host eq \"a\" and ip.src in {10.0.0.0/8})\n");

  CliRun bad = shipgate({"waf", "fmt", "http.host eq"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("1:13: error: expected a string literal"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("            ^"), std::string::npos) << bad.err;

  CliRun all = shipgate({"waf", "fmt", "--config", exampleConfig()});
  EXPECT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(all.out,
            "Block malicious bots: (cf.bot_management.score lt 30)\n"
            "Rate limit API: (http.request.uri.path matches \"/api/.*\")\n"
            "Block SQL injection attempts: (any(http.request.uri.query contains "
            "{\"union select\" \"' or 1=1\" \"drop table\"}))\n");

  CliRun usage = shipgate({"waf", "fmt"});
  EXPECT_EQ(usage.code, 2);
}

}  // namespace
