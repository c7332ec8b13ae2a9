// An app's release.database block and an environment's migrations_tested_in, loaded as the
// binary loads them, with located errors.
#include <gtest/gtest.h>

#include "shipgate/config/loader.h"
#include "shipgate/health/health_config.h"
#include "shipgate/release/release_config.h"
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

const std::string kHead =
    "listeners:\n"
    "  - {name: public, address: \"127.0.0.1:0\"}\n"
    "environments:\n"
    "  staging: {approval: none}\n"
    "  production: {approval: required, migrations_tested_in: staging}\n"
    "apps:\n"
    "  api-staging:\n"
    "    environment: staging\n"
    "    release:\n"
    "      runtime: {kind: process, command: \"./api\", ports: \"9200-9299\"}\n"
    "  api:\n"
    "    environment: production\n"
    "    release:\n"
    "      runtime: {kind: process, command: \"./api\", ports: \"9300-9399\"}\n";

TEST(ReleaseDatabaseConfig, ReadsUrlFolderTwinAndTheTestedInRule) {
  auto r = load(kHead +
                "      database: {url: \"secret:/coinestate/db_url\", migrations: db/migrations, "
                "tested_as: api-staging}\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  const ReleaseConfig& rc = releaseConfigOf(*r.config);
  const AppRelease* api = rc.findApp("api");
  ASSERT_NE(api, nullptr);
  ASSERT_TRUE(api->database.has_value());
  EXPECT_EQ(api->database->url, "secret:/coinestate/db_url");
  EXPECT_EQ(api->database->migrations, "db/migrations");
  EXPECT_EQ(api->database->tested_as, "api-staging");
  EXPECT_EQ(rc.findEnvironment("production")->migrations_tested_in, "staging");
  EXPECT_EQ(rc.findEnvironment("staging")->migrations_tested_in, "");
  EXPECT_FALSE(rc.findApp("api-staging")->database.has_value());
}

TEST(ReleaseDatabaseConfig, DefaultsAndVariables) {
  auto r = load(kHead + "      database: {url: \"${PROD_DB_URL}\"}\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  const AppRelease* api = releaseConfigOf(*r.config).findApp("api");
  ASSERT_TRUE(api->database.has_value());
  EXPECT_EQ(api->database->url, "${PROD_DB_URL}");
  EXPECT_EQ(api->database->migrations, "migrations");
  EXPECT_EQ(api->database->tested_as, "");
  auto abs = load(kHead + "      database: {url: \"postgres://app@127.0.0.1:5432/db\", "
                          "migrations: /srv/migrations}\n");
  ASSERT_TRUE(abs.ok()) << abs.toString();
  EXPECT_EQ(releaseConfigOf(*abs.config).findApp("api")->database->migrations, "/srv/migrations");
}

TEST(ReleaseDatabaseConfig, LocatedErrors) {
  auto r = load(kHead +
                "      database: {url: \"mysql://x@h/db\", migrations: ../up, tested_as: api-stagin, "
                "extra: 1}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, "test.yaml:15:23", "apps.api.release.database.url: not a postgres:// URL")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:15:53", "may not contain \"..\"")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:15:71", "did you mean \"api-staging\"")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:15:83", "extra")) << r.toString();

  auto missing = load(kHead + "      database: {migrations: m}\n");
  EXPECT_TRUE(hasDiag(missing, "test.yaml:15:17", "url is required")) << missing.toString();
  auto badref = load(kHead + "      database: {url: \"secret:nopath\"}\n");
  EXPECT_TRUE(hasDiag(badref, "test.yaml:15:23", "database.url")) << badref.toString();
  auto badvar = load(kHead + "      database: {url: \"${UNCLOSED\"}\n");
  EXPECT_TRUE(hasDiag(badvar, "test.yaml:15:23", "database.url")) << badvar.toString();
  auto notmap = load(kHead + "      database: postgres://x\n");
  EXPECT_TRUE(hasDiag(notmap, "test.yaml:15:17", "expected a map")) << notmap.toString();

  auto env = load(
      "listeners:\n"
      "  - {name: public, address: \"127.0.0.1:0\"}\n"
      "environments:\n"
      "  staging: {approval: none, migrations_tested_in: staging}\n"
      "  production: {migrations_tested_in: stagin}\n");
  EXPECT_TRUE(hasDiag(env, "test.yaml:4:51", "names its own environment")) << env.toString();
  EXPECT_TRUE(hasDiag(env, "test.yaml:5:38", "did you mean \"staging\"")) << env.toString();
}

}  // namespace
}  // namespace shipgate::release
