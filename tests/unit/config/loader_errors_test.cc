// Every kind of error: exact file:line:column and what is wrong; all errors are collected.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "unit/config/test_util.h"

namespace shipgate::config {
namespace {

using testing::countErrors;
using testing::hasDiag;
using testing::hasWarning;
using testing::load;

TEST(ConfigErrors, UnknownKeyWithSuggestion) {
  auto r = load("server:\n  wrokers: 2\napss: {}\nzzz: 1\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(
      hasDiag(r, "test.yaml:2:3", "unknown key \"wrokers\" in server (did you mean \"workers\"?)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:1",
                      "unknown key \"apss\" at the top level "
                      "(did you mean \"apps\"?)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:1", "unknown key \"zzz\" at the top level"));
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.message.find("\"zzz\" at the top level ("), std::string::npos);  // no hint
  }
}

TEST(ConfigErrors, WrongTypes) {
  auto r = load(R"(listeners: {a: 1}
server: {workers: two, allow_root: maybe, limits: [1]}
apps: [x]
sites: [{name: s, app: [a]}]
)");
  EXPECT_TRUE(hasDiag(r, "test.yaml:1:12", "listeners: expected a list of listeners, got a map"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:19", "server.workers: expected an integer, got \"two\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:36", "server.allow_root: expected true or false"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:51", "server.limits: expected a map, got a list"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:7", "apps: expected a map of app name to settings"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:24", "sites.s.app: expected a string, got a list"));
}

TEST(ConfigErrors, BadValues) {
  auto r = load(R"(server:
  workers: 5000
  limits: {header_timeout: 10, max_body_bytes: 10XB, idle_timeout: 0}
  log: {level: verbose}
apps:
  a:
    balance: random
    min_healthy_fraction: 1.5
    health: {jitter: 2, expect_status: [700], kind: smtp}
    slots: {blue: ["127.0.0.1:1"]}
)");
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:12", "server.workers: 5000 is out of range (0 to 1024)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:28",
                      "server.limits.header_timeout: bad duration \"10\": a "
                      "unit is required"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:48", "bad size \"10XB\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:68", "idle_timeout: must be greater than 0"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:16", "\"verbose\" is not one of debug, info, warn or error"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:14",
                      "\"random\" is not one of round_robin or "
                      "least_request"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:8:27", "min_healthy_fraction: 1.5 is out of range"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:9:22", "apps.a.health.jitter"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:9:41", "expect_status[0]: 700 is out of range"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:9:53",
                      "\"smtp\" is not one of http, tcp, postgres, jsonrpc "
                      "or exec"));
  EXPECT_EQ(countErrors(r), 10) << r.toString();  // all collected, not just the first
}

TEST(ConfigErrors, BadAddresses) {
  auto r = load(R"(listeners:
  - {name: a, address: "127.0.0.1"}
  - {name: b, address: "::1:80"}
  - {name: c}
admin: {address: "localhost:99999", token_file: t}
checks: [{name: db, kind: postgres, target: "http://x"}, {name: w, target: "tcp://x:1"}]
)");
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:24",
                      "listeners[0].address: bad address \"127.0.0.1\": "
                      "missing port"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:24", "IPv6 addresses need brackets"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:5", "listeners[2]: address is required"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:18", "admin.address: bad address \"localhost:99999\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:45", "checks.db.target: bad address \"http://x\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:76",
                      "checks.w.target: bad URL \"tcp://x:1\": must start "
                      "with http:// or https://"));
}

TEST(ConfigErrors, CheckKeysAreValidatedPerKind) {
  auto r = load(R"(checks:
  - {name: db, kind: postgres, target: "h:1", databse: x, path: /p}
  - {kind: exec}
)");
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:47", "unknown key \"databse\" in checks.db (did you mean "
                                           "\"database\"?)"));
  EXPECT_TRUE(hasWarning(r, "test.yaml:2:59", "checks.db.path has no effect for kind postgres"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:5", "checks[1]: name is required"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:5", "checks[1]: kind exec needs a command"));
  EXPECT_EQ(countErrors(r), 3) << r.toString();
}

TEST(ConfigErrors, DuplicateNamesAndAddresses) {
  auto r = load(R"(listeners:
  - {name: web, address: "127.0.0.1:8080"}
  - {name: web, address: "127.0.0.1:8080"}
admin: {address: "127.0.0.1:8080", token_file: t}
apps:
  a: {slots: {blue: ["127.0.0.1:1", "127.0.0.1:1"]}}
sites:
  - {name: s, app: a}
  - {name: s, path_prefix: /x/, app: a}
  - {name: t, app: a}
checks: [{name: c, kind: tcp, target: "h:1"}, {name: c, kind: tcp, target: "h:2"}]
server: {workers: 1, workers: 2}
)");
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:5",
                      "duplicate listener name \"web\" (first at "
                      "test.yaml:2:5)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:5", "127.0.0.1:8080 is already used by listener \"web\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:18", "collides with listener"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:37", "duplicate endpoint 127.0.0.1:1"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:9:5", "duplicate site name \"s\" (first at test.yaml:8:5)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:10:5", "same hosts and path_prefix \"/\" as site \"s\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:11:47", "duplicate check name \"c\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:12:22",
                      "duplicate key \"workers\" (first defined at "
                      "test.yaml:12:10)"));
}

TEST(ConfigErrors, SiteReferences) {
  char file_path[] = "/tmp/shipgate-config-test-XXXXXX";
  int fd = mkstemp(file_path);
  ASSERT_GE(fd, 0);
  close(fd);
  auto r = load(std::string(R"(apps:
  api: {slots: {blue: ["127.0.0.1:1"]}}
sites:
  - {name: a, app: apii}
  - {name: b, path_prefix: /b/, static: {root: )") +
                file_path + R"(}}
  - {name: c, path_prefix: /c/}
  - {name: d, path_prefix: d, app: api, static: {root: /}}
  - {name: e, path_prefix: /e/, hosts: ["a:80", "x.*.com", "ok.com"], app: api}
)");
  std::remove(file_path);
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:20",
                      "sites.a.app: unknown app \"apii\" (did you mean "
                      "\"api\"?)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:48", "is not a directory"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:5",
                      "sites.c: a site needs static: {root: ...} or app: "
                      "NAME"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:5", "either static: or app:, not both"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:28", "path_prefix: must start with '/'"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:8:41",
                      "\"a:80\" is not a valid host name (hosts match "
                      "without the port)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:8:49", "only allowed as a leading \"*.\""));
}

TEST(ConfigErrors, AppSlotsWeightsAndRegions) {
  auto r = load(R"(apps:
  empty: {active_slot: green, slots: {blue: ["127.0.0.1:1"], green: []}}
  none: {}
  weighted:
    weights: {blue: 101, green: -1}
    slots: {blue: ["127.0.0.1:1"]}
  zero:
    weights: {blue: 0, green: 0}
    slots: {blue: ["127.0.0.1:1"]}
  split:
    weights: {blue: 50, green: 50}
    slots: {blue: ["127.0.0.1:1"]}
  regional:
    regions: {us-east-1: {priority: 0}}
    slots:
      blue: [{address: "127.0.0.1:1", region: us-east-2}, {address: "127.0.0.1:2"}]
  undeclared:
    slots: {blue: [{address: "127.0.0.1:1", region: eu}]}
)");
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:62",
                      "apps.empty: slot green is the active slot but has no "
                      "endpoints"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:3",
                      "apps.none: slot blue is the active slot but has no "
                      "endpoints"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:21",
                      "apps.weighted.weights.blue: 101 is out of range "
                      "(0 to 100)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:33", "apps.weighted.weights.green: -1 is out of range"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:8:14", "at least one slot needs a weight above 0"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:10:3",
                      "apps.split: slot green has weight > 0 but has no "
                      "endpoints"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:16:14",
                      "names region \"us-east-2\", which "
                      "apps.regional.regions does not declare (did you "
                      "mean \"us-east-1\"?)"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:16:59", "needs a region because the app declares regions"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:18:20",
                      "names region \"eu\" but the app declares no "
                      "regions"));
}

TEST(ConfigErrors, AdminNeedsATokenFile) {
  auto r = load("admin: {address: \"127.0.0.1:9901\"}\n");
  EXPECT_TRUE(hasDiag(r, "test.yaml:1:8", "admin: token_file is required"));
  auto off = load("admin: {enabled: false}\n");
  EXPECT_TRUE(off.ok()) << off.toString();
  auto missing = load("admin: {address: \"0.0.0.0:9901\", token_file: no-such.token}\n");
  ASSERT_TRUE(missing.ok()) << missing.toString();
  EXPECT_TRUE(hasWarning(missing, "test.yaml:1:46", "admin token file"));
  EXPECT_TRUE(hasWarning(missing, "test.yaml:1:18", "non-loopback"));
}

TEST(ConfigErrors, YamlSyntaxErrorIsLocated) {
  auto r = load("server:\n  workers: 2\n  user: [shipgate\n");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.toString();
  EXPECT_EQ(r.diagnostics[0].where.file, "test.yaml");
  EXPECT_EQ(r.diagnostics[0].where.line, 4);
  EXPECT_NE(r.diagnostics[0].message.find("YAML syntax error"), std::string::npos);
  auto tab = load("server:\n\tworkers: 2\n");
  EXPECT_TRUE(hasDiag(tab, "test.yaml:2:1", "YAML syntax error: tab character in indentation"));
}

TEST(ConfigErrors, DocumentMustBeAMap) {
  EXPECT_TRUE(hasDiag(load("- a\n- b\n"), "test.yaml:1:1", "the config must be a map"));
  EXPECT_TRUE(hasDiag(load("just text\n"), "test.yaml:1:1", "the config must be a map"));
}

TEST(ConfigErrors, MissingFile) {
  auto r = loadFile("/nonexistent/shipgate.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].toString(),
            "/nonexistent/shipgate.yaml: error: cannot read \"/nonexistent/shipgate.yaml\": no "
            "such file");
  EXPECT_TRUE(hasDiag(loadFile("/tmp"), "/tmp", "not a regular file"));
}

TEST(ConfigErrors, AliasBombAndDeepNestingAreRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  auto r = load(bomb);
  EXPECT_TRUE(hasDiag(r, r.diagnostics.empty() ? "" : r.diagnostics[0].where.toString(),
                      "document too large"));
  auto deep = load("x: " + std::string(100, '[') + std::string(100, ']') + "\n");
  EXPECT_FALSE(deep.ok());
  EXPECT_NE(deep.toString().find("nesting deeper than 64 levels"), std::string::npos);
}

TEST(ConfigErrors, SendTimeoutAndResponseBuffer) {
  auto r = load(R"(server:
  limits: {send_timeout: 0, response_buffer_bytes: 1KiB}
)");
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:26", "server.limits.send_timeout: must be greater than 0"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:52",
                      "server.limits.response_buffer_bytes: must be at least 4096 bytes"));
}

}  // namespace
}  // namespace shipgate::config
