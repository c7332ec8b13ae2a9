// The release section: state:, environments:, and an app's environment: and release: keys, loaded
// as the binary loads them (health, traffic, then release), with located errors.
#include "shipgate/release/release_config.h"

#include <gtest/gtest.h>

#include "shipgate/config/loader.h"
#include "shipgate/health/health_config.h"
#include "shipgate/traffic/traffic_config.h"
#include "unit/config/test_util.h"

namespace shipgate::release {
namespace {

using config::testing::hasDiag;

config::LoadResult load(const std::string& yaml) {
  static const auto release = releaseSection();
  return config::loadString(yaml, "test.yaml",
                            {&health::healthSection(), &traffic::trafficSection(), release.get()});
}

const std::string kListeners =
    "listeners:\n"
    "  - {name: public, address: \"127.0.0.1:0\"}\n";

TEST(ReleaseConfig, DefaultsWithoutEnvironments) {
  auto r = load(kListeners +
                "apps:\n"
                "  api:\n"
                "    release:\n"
                "      runtime: {kind: process, command: \"./api --port {port}\", ports: \"9200-9299\"}\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  const ReleaseConfig& rc = releaseConfigOf(*r.config);
  ASSERT_EQ(rc.environments.size(), 1u);
  EXPECT_EQ(rc.environments[0].name, "production");
  EXPECT_TRUE(rc.environments[0].approval_required);
  EXPECT_EQ(rc.environments[0].bake, std::chrono::hours(1));
  EXPECT_TRUE(rc.environments[0].triggers);
  const AppRelease* api = rc.findApp("api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->environment, "production");
  EXPECT_EQ(rc.bakeOf(*api), std::chrono::hours(1));
  EXPECT_TRUE(traffic::trafficConfigOf(*r.config).findApp("api")->managed);
  // state.dir defaults beside the config file.
  EXPECT_NE(rc.state_dir.find("shipgate-state"), std::string::npos);
}

TEST(ReleaseConfig, FullApp) {
  auto r = load(kListeners +
                "state: {dir: /tmp/sg-state}\n"
                "environments:\n"
                "  production: {approval: required, bake: 1h, triggers: true, scale_down_delay: 5m}\n"
                "  staging: {approval: none, bake: 5m}\n"
                "apps:\n"
                "  api:\n"
                "    environment: staging\n"
                "    active_slot: blue\n"
                "    release:\n"
                "      runtime:\n"
                "        kind: process\n"
                "        command: \"{release_dir}/api --port {port} --version {version}\"\n"
                "        replicas: 2\n"
                "        ports: \"9200-9299\"\n"
                "        env: {NODE_ENV: production}\n"
                "        stop_grace: 10s\n"
                "        logs: {max_bytes: 10MiB, keep: 3}\n"
                "        restart: {initial_backoff: 200ms, max_backoff: 10s, crash_loop_restarts: 5, "
                "crash_loop_window: 60s}\n"
                "      keep_releases: 5\n"
                "      smoke:\n"
                "        - {path: /api/health, expect_status: 200, expect_body: \"ok\"}\n"
                "        - {path: /api/properties, expect_status: 200, expect_json: {pointer: "
                "\"/0/id\", equals: \"prop-001\"}}\n"
                "      switch: {steps: [10, 50, 100], hold: 30s}\n"
                "      bake: 2m\n"
                "      scale_down_delay: 1m\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  const ReleaseConfig& rc = releaseConfigOf(*r.config);
  EXPECT_EQ(rc.state_dir, "/tmp/sg-state");
  ASSERT_EQ(rc.environments.size(), 2u);
  EXPECT_FALSE(rc.findEnvironment("staging")->approval_required);
  EXPECT_EQ(rc.findEnvironment("staging")->bake, std::chrono::minutes(5));
  const AppRelease* api = rc.findApp("api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->environment, "staging");
  EXPECT_EQ(api->runtime.replicas, 2);
  EXPECT_EQ(api->runtime.ports.first, 9200);
  EXPECT_EQ(api->runtime.ports.last, 9299);
  ASSERT_EQ(api->runtime.env.size(), 1u);
  EXPECT_EQ(api->runtime.env[0].second, "production");
  EXPECT_EQ(api->runtime.logs.max_bytes, 10u * 1024 * 1024);
  ASSERT_EQ(api->smoke.size(), 2u);
  EXPECT_EQ(api->smoke[0].expect_body, "ok");
  ASSERT_TRUE(api->smoke[1].json_pointer.has_value());
  EXPECT_EQ(*api->smoke[1].json_pointer, "/0/id");
  EXPECT_EQ(api->smoke[1].json_equals, nlohmann::json("prop-001"));
  EXPECT_EQ(api->switch_spec.steps, (std::vector<int>{10, 50, 100}));
  EXPECT_EQ(api->switch_spec.hold, std::chrono::seconds(30));
  EXPECT_EQ(rc.bakeOf(*api), std::chrono::minutes(2));
  EXPECT_EQ(rc.scaleDownDelayOf(*api), std::chrono::minutes(1));
}

TEST(ReleaseConfig, LocatedErrors) {
  auto r = load(kListeners +
                "environments:\n"
                "  production: {approval: maybe}\n"
                "apps:\n"
                "  api:\n"
                "    environment: prodution\n"
                "    release:\n"
                "      runtime: {kind: process, command: \"./api\", ports: \"9300-9200\"}\n"
                "      switch: {steps: [50, 10]}\n"
                "      smoke:\n"
                "        - {path: health, expect_statu: 200}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:26", "approval")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:18", "did you mean \"production\"")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:9:57", "the first port is above the last")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:10:28", "steps must increase")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:12:18", "must start with '/'")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:12:26", "did you mean \"expect_status\"")) << r.toString();
}

TEST(ReleaseConfig, AppWithoutSlotsOrReleaseIsStillAnError) {
  auto r = load(kListeners + "apps:\n  api: {active_slot: blue}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:3", "release: block")) << r.toString();
}

TEST(ReleaseConfig, MissingRuntime) {
  auto r = load(kListeners + "apps:\n  api:\n    release: {keep_releases: 3}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:14", "runtime is required")) << r.toString();
}

TEST(ReleaseConfig, StateUrlSelectsPostgresAndIsCheckedWithoutLeakingThePassword) {
  auto ok = load(kListeners + "state: {dir: /tmp/sg, url: \"postgres://sg:pw@db:5433/state\"}\n");
  ASSERT_TRUE(ok.ok()) << ok.toString();
  EXPECT_EQ(releaseConfigOf(*ok.config).state_url, "postgres://sg:pw@db:5433/state");
  EXPECT_EQ(releaseConfigOf(*ok.config).state_dir, "/tmp/sg");
  auto plain = load(kListeners + "state: {url: \"postgresql:///state?host=/run/pg\"}\n");
  ASSERT_TRUE(plain.ok()) << plain.toString();
  EXPECT_TRUE(releaseConfigOf(*load(kListeners).config).state_url.empty());

  auto typo = load(kListeners + "state: {url: \"postgress://sg:s3cret@db/state\"}\n");
  EXPECT_FALSE(typo.ok());
  EXPECT_TRUE(hasDiag(typo, "test.yaml:3:14", "state.url: the state store URL must start with "
                                              "postgres:// or postgresql://, not postgress: "
                                              "(did you mean \"postgres\"?)"))
      << typo.toString();
  EXPECT_EQ(typo.toString().find("s3cret"), std::string::npos) << typo.toString();
  auto other = load(kListeners + "state: {url: \"mysql://db/state\"}\n");
  EXPECT_TRUE(hasDiag(other, "test.yaml:3:14", "not mysql:")) << other.toString();
  auto bad = load(kListeners + "state: {url: \"postgres://sg:s3cret@db/state?nope=1\"}\n");
  EXPECT_TRUE(hasDiag(bad, "test.yaml:3:14", "invalid URI query parameter")) << bad.toString();
  EXPECT_EQ(bad.toString().find("s3cret"), std::string::npos) << bad.toString();
  auto key = load(kListeners + "state: {uri: \"postgres://db/state\"}\n");
  EXPECT_TRUE(hasDiag(key, "test.yaml:3:9", "did you mean \"url\"")) << key.toString();
}

}  // namespace
}  // namespace shipgate::release
