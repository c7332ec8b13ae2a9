// include: overlays merge maps, later files win, lists replace; diagnostics name the file each
// node came from; relative paths resolve against the file that names them.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "unit/config/test_util.h"

namespace shipgate::config {
namespace {

namespace fs = std::filesystem;
using testing::hasDiag;
using testing::hasWarning;

class ConfigInclude : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shipgate-include-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = fs::path(dir_) / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string dir_;
};

TEST_F(ConfigInclude, OverlayDeepMergesMapsAndReplacesLists) {
  write("base/base.yaml", R"(server: {workers: 2, user: base, limits: {max_connections: 5}}
listeners: [{name: a, address: "127.0.0.1:1"}, {name: b, address: "127.0.0.1:2"}]
admin: {address: "127.0.0.1:9901", token_file: base.token}
apps:
  api:
    active_slot: blue
    slots: {blue: ["127.0.0.1:10"], green: ["127.0.0.1:20"]}
sites: [{name: www, static: {root: www}}]
health_checks:
  primary: {region: us, endpoint: "https://example.com/health", failover_policy: automatic}
)");
  std::string top = write("top.yaml", R"(include: [base/base.yaml]
server: {user: top, limits: {max_connections: 7}}
listeners: [{name: only, address: "127.0.0.1:3"}]
apps: {api: {active_slot: green}}
health_checks: {primary: {endpoint: "http://127.0.0.1:8080/v1/health"}}
)");
  auto r = loadFile(top, testing::allSections());
  ASSERT_TRUE(r.ok()) << r.toString();
  const Config& c = *r.config;
  EXPECT_EQ(c.server.workers, 2);   // from the base
  EXPECT_EQ(c.server.user, "top");  // later file wins
  EXPECT_EQ(c.server.limits.max_connections, 7u);
  ASSERT_EQ(c.listeners.size(), 1u);  // lists replace
  EXPECT_EQ(c.listeners[0].name, "only");
  EXPECT_EQ(c.listeners[0].where.file, top);
  const AppConfig* api = testing::trafficOf(c).findApp("api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->active_slot, Slot::kGreen);
  EXPECT_EQ(api->slots[0].endpoints[0].where.file, dir_ + "/base/base.yaml");
  // Relative paths resolve against the file that names them.
  EXPECT_EQ(c.admin.token_file, dir_ + "/base/base.token");
  EXPECT_EQ(testing::trafficOf(c).sites[0].static_site.root, dir_ + "/base/www");
  ASSERT_EQ(c.health_checks.size(), 1u);
  EXPECT_EQ(c.health_checks[0].region, "us");
  EXPECT_EQ(c.health_checks[0].endpoint, "http://127.0.0.1:8080/v1/health");
  // Warnings name the base file for nodes that came from it.
  EXPECT_TRUE(hasWarning(r, dir_ + "/base/base.yaml:3:48", "admin token file"));
  // The top file's diagnostics come first (file order: root file, then includes).
  ASSERT_FALSE(r.diagnostics.empty());
}

TEST_F(ConfigInclude, ErrorsNameTheIncludedFile) {
  write("inc.yaml", "apps:\n  a: {balance: fastest, slots: {blue: [\"127.0.0.1:1\"]}}\n");
  std::string top = write("top.yaml", "include: inc.yaml\nserver: {wrkers: 1}\n");
  auto r = loadFile(top, testing::allSections());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, dir_ + "/inc.yaml:2:16", "apps.a.balance: \"fastest\""));
  EXPECT_TRUE(hasDiag(r, top + ":2:10", "unknown key \"wrkers\" in server"));
  EXPECT_EQ(testing::countErrors(r), 2) << r.toString();
  EXPECT_EQ(r.diagnostics.front().where.file, top);  // file order: the root file first
  EXPECT_EQ(r.diagnostics.back().where.file, dir_ + "/inc.yaml");
}

TEST_F(ConfigInclude, NullRestoresTheDefault) {
  write("base.yaml", "server: {user: someone, limits: {header_timeout: 1s}}\n");
  std::string top = write("top.yaml", "include: [base.yaml]\nserver: {user: ~, limits: ~}\n");
  auto r = loadFile(top, testing::allSections());
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(r.config->server.user, "");
  EXPECT_EQ(r.config->server.limits.header_timeout.count(), 10'000);
}

TEST_F(ConfigInclude, MissingFilesAndCyclesAreErrors) {
  write("a.yaml", "include: [b.yaml]\n");
  write("b.yaml", "include: [a.yaml]\n");
  std::string top = write("top.yaml", "include: [missing.yaml, a.yaml]\n");
  auto r = loadFile(top, testing::allSections());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, top + ":1:11", "cannot read \"" + dir_ + "/missing.yaml\": no such file"));
  EXPECT_TRUE(hasDiag(r, dir_ + "/b.yaml:1:11", "\"a.yaml\" includes itself (include cycle)"));
  std::string self = write("self.yaml", "include: self.yaml\n");
  EXPECT_TRUE(hasDiag(loadFile(self), self + ":1:10", "includes itself"));
  std::string dir_inc = write("dir.yaml", "include: [/tmp]\n");
  EXPECT_TRUE(hasDiag(loadFile(dir_inc), dir_inc + ":1:11", "not a regular file"));
}

TEST_F(ConfigInclude, DiamondIncludesReportOnce) {
  write("d.yaml", "server: {workers: 1, workers: 2}\n");
  write("b.yaml", "include: d.yaml\n");
  write("c.yaml", "include: d.yaml\n");
  std::string top = write("top.yaml", "include: [b.yaml, c.yaml]\n");
  auto r = loadFile(top, testing::allSections());
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.toString();
  EXPECT_TRUE(hasDiag(r, dir_ + "/d.yaml:1:22", "duplicate key \"workers\""));
}

TEST_F(ConfigInclude, SyntaxErrorInIncludedFileNamesIt) {
  write("bad.yaml", "server:\n  workers: [1\n");
  std::string top = write("top.yaml", "include: [bad.yaml]\n");
  auto r = loadFile(top, testing::allSections());
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.toString();
  EXPECT_EQ(r.diagnostics[0].where.file, dir_ + "/bad.yaml");
  EXPECT_NE(r.diagnostics[0].message.find("YAML syntax error"), std::string::npos);
}

TEST_F(ConfigInclude, LoadStringResolvesRelativeToTheNamedFile) {
  write("inc.yaml", "server: {workers: 4}\n");
  auto r = loadString("include: [inc.yaml]\n", dir_ + "/virtual.yaml");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(r.config->server.workers, 4);
}

}  // namespace
}  // namespace shipgate::config
