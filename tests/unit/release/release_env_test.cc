// resolveRuntime on a real secrets store (SQLite in a temporary state directory): ${NAME} from
// the given environment, secret: references under the access rules, and errors that name the
// variable and the path but never a value.
#include "shipgate/release/release_env.h"

#include <gtest/gtest.h>

#include <map>

#include "shipgate/common/clock.h"
#include "shipgate/secrets/root_key.h"
#include "shipgate/secrets/secrets_config.h"
#include "shipgate/secrets/secrets_store.h"
#include "shipgate/secrets/sqlite_secrets_backend.h"
#include "support/paths.h"

namespace shipgate::release {
namespace {

constexpr const char* kValue = "postgres://app:s3cr3t-V4lue@db/prod";

class ReleaseEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto backend = secrets::SqliteSecretsBackend::open(dir_.path());
    ASSERT_TRUE(backend.isOk()) << backend.status().message();
    auto store =
        secrets::SecretsStore::open(std::move(backend).value(), secrets::RootKey::random(), clock_);
    ASSERT_TRUE(store.isOk()) << store.status().message();
    store_ = std::move(store).value();
    auto access = std::make_shared<secrets::SecretsConfig>();
    access->access.push_back(
        {"production", *secrets::SecretPath::parsePrefix("/coinestate/prod/")});
    access->access.push_back({"staging", *secrets::SecretPath::parsePrefix("/coinestate/staging")});
    access_ = access;
    app_.app = "api";
    app_.environment = "production";
    app_.runtime.command = "run --db ${DB_HOST} --port {port}";
    app_.runtime.argv = {"run", "--db", "${DB_HOST}", "--port", "{port}"};
    env_ = {{"DB_HOST", "db.internal"}};
  }

  void put(const std::string& path, std::string_view value) {
    auto v = store_->put("alice", path, secrets::SecretBytes::copyOf(value));
    ASSERT_TRUE(v.isOk()) << v.status().message();
  }

  EnvSources sources() {
    EnvSources s;
    s.store = store_.get();
    s.access = [this] { return access_; };
    s.lookup = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return s;
  }

  // The error of a resolve that must fail; checks that it never holds the value.
  Status failure(const EnvSources& s) {
    auto r = resolveRuntime(app_, s);
    EXPECT_FALSE(r.isOk());
    if (r.isOk()) return Status::success();
    EXPECT_EQ(r.status().message().find(kValue), std::string::npos) << r.status().message();
    return r.status();
  }

  testsupport::TempDir dir_{"shipgate-release-env"};
  SimulatedClock clock_;
  std::unique_ptr<secrets::SecretsStore> store_;
  std::shared_ptr<const secrets::SecretsConfig> access_;
  std::map<std::string, std::string> env_;
  AppRelease app_;
};

TEST_F(ReleaseEnvTest, SecretsGoToTheSecretEnvAndVariablesAreExpanded) {
  put("/coinestate/prod/database/url", "old");
  put("/coinestate/prod/database/url", kValue);
  app_.runtime.env = {{"NODE_ENV", "production"},
                      {"DATABASE_URL", "secret:/coinestate/prod/database/url"},
                      {"FIRST", "secret:/coinestate/prod/database/url#1"},
                      {"DB", "${DB_HOST}:5432 $${literal}"}};
  auto r = resolveRuntime(app_, sources());
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->runtime.argv,
            (std::vector<std::string>{"run", "--db", "db.internal", "--port", "{port}"}));
  // Plain variables only: the secret entries left runtime.env.
  EXPECT_EQ(r->runtime.env,
            (std::vector<std::pair<std::string, std::string>>{
                {"NODE_ENV", "production"}, {"DB", "db.internal:5432 ${literal}"}}));
  ASSERT_NE(r->secrets, nullptr);
  ASSERT_EQ(r->secrets->size(), 2u);
  EXPECT_EQ((*r->secrets)[0].name, "DATABASE_URL");
  EXPECT_EQ((*r->secrets)[0].value.view(), kValue);
  EXPECT_EQ((*r->secrets)[1].name, "FIRST");
  EXPECT_EQ((*r->secrets)[1].value.view(), "old");
  // The store audited the reads as the app.
  auto history = store_->history("test", "/coinestate/prod/database/url");
  ASSERT_TRUE(history.isOk());
}

TEST_F(ReleaseEnvTest, NoReferencesNoSecretEnv) {
  app_.runtime.env = {{"A", "b"}};
  EnvSources s = sources();
  s.store = nullptr;  // not needed
  auto r = resolveRuntime(app_, s);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->secrets, nullptr);
}

TEST_F(ReleaseEnvTest, AnotherEnvironmentsPrefixIsForbidden) {
  put("/coinestate/staging/database/url", kValue);
  app_.runtime.env = {{"DATABASE_URL", "secret:/coinestate/staging/database/url"}};
  Status st = failure(sources());
  EXPECT_EQ(st.code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(st.message(),
            "env DATABASE_URL: secret /coinestate/staging/database/url: apps of environment "
            "production may not read it (no secrets.access rule allows it)");
  // Without any rules (or config) nothing is readable.
  access_ = nullptr;
  app_.runtime.env = {{"DATABASE_URL", "secret:/coinestate/prod/database/url"}};
  EXPECT_EQ(failure(sources()).code(), Status::Code::kPermissionDenied);
}

TEST_F(ReleaseEnvTest, MissingDeletedAndUnknownVersionsAreNotFound) {
  app_.runtime.env = {{"DATABASE_URL", "secret:/coinestate/prod/database/url"}};
  Status missing = failure(sources());
  EXPECT_EQ(missing.code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.message(),
            "env DATABASE_URL: secret /coinestate/prod/database/url: no secret at "
            "/coinestate/prod/database/url");
  put("/coinestate/prod/database/url", kValue);
  app_.runtime.env = {{"DATABASE_URL", "secret:/coinestate/prod/database/url#7"}};
  Status version = failure(sources());
  EXPECT_EQ(version.code(), Status::Code::kNotFound);
  EXPECT_NE(version.message().find("env DATABASE_URL: secret /coinestate/prod/database/url#7: "),
            std::string::npos)
      << version.message();
  app_.runtime.env = {{"DATABASE_URL", "secret:/coinestate/prod/database/url@nolabel"}};
  EXPECT_EQ(failure(sources()).code(), Status::Code::kNotFound);
  ASSERT_TRUE(store_->remove("alice", "/coinestate/prod/database/url").isOk());
  app_.runtime.env = {{"DATABASE_URL", "secret:/coinestate/prod/database/url"}};
  EXPECT_EQ(failure(sources()).code(), Status::Code::kNotFound);
}

TEST_F(ReleaseEnvTest, NoStoreFailsAReference) {
  app_.runtime.env = {{"DATABASE_URL", "secret:/coinestate/prod/database/url"}};
  EnvSources s = sources();
  s.store = nullptr;
  Status st = failure(s);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "env DATABASE_URL: secret /coinestate/prod/database/url: no secrets store (the "
            "config has no secrets: section)");
}

TEST_F(ReleaseEnvTest, AnUnsetVariableNamesItAndWhere) {
  env_.clear();
  Status in_command = failure(sources());
  EXPECT_EQ(in_command.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(in_command.message(),
            "command: ${DB_HOST}: DB_HOST is not set in shipgate's environment");
  env_ = {{"DB_HOST", "h"}};
  app_.runtime.env = {{"TOKEN", "Bearer ${API_TOKEN}"}};
  Status in_env = failure(sources());
  EXPECT_EQ(in_env.message(),
            "env TOKEN: ${API_TOKEN}: API_TOKEN is not set in shipgate's environment");
}

TEST_F(ReleaseEnvTest, ANulByteCannotGoIntoTheEnvironment) {
  put("/coinestate/prod/bin", std::string("a\0b", 3));
  app_.runtime.env = {{"BIN", "secret:/coinestate/prod/bin"}};
  Status st = failure(sources());
  EXPECT_EQ(st.message(),
            "env BIN: secret /coinestate/prod/bin: the value holds a NUL byte, which an "
            "environment variable cannot carry");
}

TEST_F(ReleaseEnvTest, SecretRefsOfListsTheReferences) {
  app_.runtime.env = {{"A", "secret:/x/y"}, {"B", "plain"}, {"C", "secret:/x/z#2"}};
  auto refs = secretRefsOf(app_.runtime);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs.at("A").path, "/x/y");
  EXPECT_EQ(refs.at("C").version, 2);
}

TEST_F(ReleaseEnvTest, ResolveSettingReadsSecretsAndVariablesLikeEnvValues) {
  put("/coinestate/prod/database/url", kValue);
  auto url = resolveSetting(app_, "database.url", "secret:/coinestate/prod/database/url", sources());
  ASSERT_TRUE(url.isOk()) << url.status().message();
  EXPECT_EQ(*url, kValue);
  auto var = resolveSetting(app_, "database.url", "postgres://app@${DB_HOST}/prod", sources());
  ASSERT_TRUE(var.isOk()) << var.status().message();
  EXPECT_EQ(*var, "postgres://app@db.internal/prod");

  // Errors name the setting and the path, never a value.
  auto unset = resolveSetting(app_, "database.url", "${NOPE}", sources());
  ASSERT_FALSE(unset.isOk());
  EXPECT_EQ(unset.status().message().rfind("database.url: ", 0), 0u) << unset.status().message();
  EXPECT_NE(unset.status().message().find("NOPE"), std::string::npos);
  put("/coinestate/staging/database/url", kValue);
  auto denied =
      resolveSetting(app_, "database.url", "secret:/coinestate/staging/database/url", sources());
  ASSERT_FALSE(denied.isOk());
  EXPECT_EQ(denied.status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(denied.status().message(),
            "database.url: secret /coinestate/staging/database/url: apps of environment "
            "production may not read it (no secrets.access rule allows it)");
}

}  // namespace
}  // namespace shipgate::release
