// release.accessibility: the pages the deploy's accessibility step scans, its timeout and runner,
// with located errors for bad values.
#include <gtest/gtest.h>

#include "shipgate/config/loader.h"
#include "shipgate/health/health_config.h"
#include "shipgate/release/release_config.h"
#include "shipgate/traffic/traffic_config.h"
#include "unit/config/test_util.h"

namespace shipgate::release {
namespace {

using config::testing::hasDiag;

config::LoadResult load(const std::string& accessibility) {
  static const auto release = releaseSection();
  return config::loadString(
      "listeners:\n"
      "  - {name: public, address: \"127.0.0.1:0\"}\n"
      "apps:\n"
      "  api:\n"
      "    release:\n"
      "      runtime: {kind: process, command: \"./api --port {port}\", ports: \"9200-9299\"}\n"
      "      accessibility: " +
          accessibility + "\n",
      "test.yaml", {&health::healthSection(), &traffic::trafficSection(), release.get()});
}

TEST(AccessibilityConfig, DefaultsAndValues) {
  auto none = config::loadString(
      "listeners:\n"
      "  - {name: public, address: \"127.0.0.1:0\"}\n"
      "apps:\n"
      "  api:\n"
      "    release:\n"
      "      runtime: {kind: process, command: \"./api --port {port}\", ports: \"9200-9299\"}\n",
      "test.yaml", {&health::healthSection(), &traffic::trafficSection(), releaseSection().get()});
  ASSERT_TRUE(none.ok()) << none.toString();
  const AppRelease* plain = releaseConfigOf(*none.config).findApp("api");
  ASSERT_NE(plain, nullptr);
  EXPECT_TRUE(plain->accessibility.url_paths.empty());  // the step is skipped
  EXPECT_EQ(plain->accessibility.timeout, std::chrono::seconds(60));
  EXPECT_EQ(plain->accessibility.runner, "");

  auto r = load(
      "{url_paths: [\"/\", \"/properties?page=2\"], timeout: 90s, runner: /opt/axe/axe-scan.js}");
  ASSERT_TRUE(r.ok()) << r.toString();
  const AppRelease* api = releaseConfigOf(*r.config).findApp("api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->accessibility.url_paths, (std::vector<std::string>{"/", "/properties?page=2"}));
  EXPECT_EQ(api->accessibility.timeout, std::chrono::seconds(90));
  EXPECT_EQ(api->accessibility.runner, "/opt/axe/axe-scan.js");
  // A runner that does not exist (yet) is a warning naming it.
  EXPECT_TRUE(config::testing::hasWarning(r, "test.yaml:7:85",
                                          "accessibility step fails until it does"))
      << r.toString();
}

TEST(AccessibilityConfig, LocatedErrors) {
  auto r =
      load("{url_paths: [\"properties\", \"//evil.test/\", \"/a b\", 3], timeout: 0s, runnr: x}");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:35",
                      "apps.api.release.accessibility.url_paths[0]: must be a path on the app that "
                      "starts with one '/', got \"properties\""))
      << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:49", "url_paths[1]: must be a path")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:65", "url_paths[2]: no spaces")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:86", "accessibility.timeout: must be greater than 0"))
      << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:90", "did you mean \"runner\"")) << r.toString();

  auto missing = load("{timeout: 30s}");
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(
      hasDiag(missing, "test.yaml:7:22", "apps.api.release.accessibility: url_paths is required"))
      << missing.toString();

  auto empty = load("{url_paths: []}");
  EXPECT_FALSE(empty.ok());
  EXPECT_TRUE(hasDiag(empty, "test.yaml:7:34", "url_paths: expected a list of paths"))
      << empty.toString();
}

}  // namespace
}  // namespace shipgate::release
