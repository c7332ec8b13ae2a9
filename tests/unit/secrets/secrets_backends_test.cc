// The secrets store on both backends -- SQLite in the state directory and PostgreSQL at state.url
// (one real server per binary, a fresh database per test) -- through openSecretsBackend, as the
// secrets CLI opens it: what SecretsStore promises must not depend on where the rows are. Then
// what only PostgreSQL has to show: no value in clear in its tables, the audit table's guards, and
// the secrets tables beside the state store's in one database.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "shipgate/common/clock.h"
#include "shipgate/secrets/open_secrets_backend.h"
#include "shipgate/secrets/postgres_secrets_backend.h"
#include "shipgate/secrets/secrets_store.h"
#include "shipgate/store/postgres_state_store.h"
#include "support/paths.h"
#include "support/postgres_test_db.h"

namespace shipgate::secrets {
namespace {

using testsupport::Backend;

class SecretsBackendsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok()) << dir_.error();
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(testsupport::freshPostgresDatabase(&url_));
    }
    store_ = openStore(root_);
    ASSERT_NE(store_, nullptr);
  }
  Status openStatus(const RootKey& root) {
    auto backend = openSecretsBackend(dir_.path(), url_);
    if (!backend.isOk()) return backend.status();
    return SecretsStore::open(std::move(backend).value(), root, clock_).status();
  }
  std::unique_ptr<SecretsStore> openStore(const RootKey& root) {
    auto backend = openSecretsBackend(dir_.path(), url_);
    EXPECT_TRUE(backend.isOk()) << backend.status().toString();
    if (!backend.isOk()) return nullptr;
    auto store = SecretsStore::open(std::move(backend).value(), root, clock_);
    EXPECT_TRUE(store.isOk()) << store.status().toString();
    return store.isOk() ? std::move(store).value() : nullptr;
  }
  int64_t put(const std::string& path, std::string_view value,
              std::optional<int64_t> cas = std::nullopt) {
    Result<int64_t> v = store_->put("alice", path, SecretBytes::copyOf(value), cas);
    EXPECT_TRUE(v.isOk()) << v.status().message();
    return v.isOk() ? *v : -1;
  }
  std::string get(const std::string& path, const Selector& which = {}) {
    Result<SecretBytes> v = store_->get("app", path, which);
    EXPECT_TRUE(v.isOk()) << v.status().message();
    return v.isOk() ? std::string(v->view()) : std::string("<error>");
  }
  std::vector<std::string> paths(const std::string& prefix, bool recursive) {
    std::vector<std::string> out;
    auto l = store_->list("alice", prefix, recursive);
    EXPECT_TRUE(l.isOk()) << l.status().message();
    if (l.isOk()) {
      for (const SecretMetadata& m : *l) out.push_back(m.path);
    }
    return out;
  }

  testsupport::TempDir dir_{"shipgate-secrets"};
  std::string url_;  // empty: SQLite in dir_
  SimulatedClock clock_;
  RootKey root_ = RootKey::random();
  std::unique_ptr<SecretsStore> store_;
};

TEST_P(SecretsBackendsTest, VersionsBinaryValuesAndReopening) {
  EXPECT_EQ(put("/coinestate/prod/db/url", "postgres://one"), 1);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(put("/coinestate/prod/db/url", "postgres://two"), 2);
  EXPECT_EQ(get("/coinestate/prod/db/url"), "postgres://two");
  EXPECT_EQ(get("/coinestate/prod/db/url", {1, {}}), "postgres://one");
  EXPECT_EQ(store_->get("app", "/coinestate/prod/db/url", {3, {}}).status().message(),
            "/coinestate/prod/db/url has no version 3");
  EXPECT_EQ(store_->get("app", "/nope").status().code(), Status::Code::kNotFound);
  const std::string binary("\0\xff\x01zz", 5);
  put("/bin", binary);
  put("/empty", "");
  store_ = openStore(root_);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(get("/bin"), binary);
  EXPECT_EQ(get("/empty"), "");
  EXPECT_EQ(get("/coinestate/prod/db/url", {1, {}}), "postgres://one");
}

TEST_P(SecretsBackendsTest, CheckAndSetLabelsAndHistory) {
  EXPECT_EQ(store_->put("alice", "/k", SecretBytes::copyOf("a"), 1).status().code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(put("/k", "a", 0), 1);
  EXPECT_EQ(put("/k", "b", 1), 2);
  EXPECT_EQ(store_->put("alice", "/k", SecretBytes::copyOf("c"), 1).status().message(),
            "check-and-set: /k is at version 2, not 1");
  EXPECT_EQ(put("/k", "c"), 3);
  ASSERT_TRUE(store_->label("alice", "/k", 2, "stable").isOk());
  ASSERT_TRUE(store_->label("alice", "/k", 1, "old").isOk());
  EXPECT_EQ(get("/k", {{}, "stable"}), "b");
  ASSERT_TRUE(store_->label("alice", "/k", 3, "stable").isOk());
  EXPECT_EQ(get("/k", {{}, "stable"}), "c");
  auto h = store_->history("alice", "/k");
  ASSERT_TRUE(h.isOk());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].labels, std::vector<std::string>{"old"});
  EXPECT_TRUE((*h)[1].labels.empty());
  EXPECT_EQ((*h)[2].labels, std::vector<std::string>{"stable"});
}

TEST_P(SecretsBackendsTest, ListIsByPathInByteOrderAndUnderscoreIsLiteral) {
  put("/coinestate/prod/db/url", "x");
  put("/coinestate/prod/api_key", "y");
  put("/coinestate/prod/db/password", "z");
  put("/coinestate/production/other", "w");
  put("/coinestate/prod/Zeta", "u");
  EXPECT_EQ(paths("/coinestate/prod/", false),
            (std::vector<std::string>{"/coinestate/prod/Zeta", "/coinestate/prod/api_key"}));
  EXPECT_EQ(paths("/coinestate/prod", true),
            (std::vector<std::string>{"/coinestate/prod/Zeta", "/coinestate/prod/api_key",
                                      "/coinestate/prod/db/password", "/coinestate/prod/db/url"}));
  EXPECT_EQ(paths("/", true).size(), 5u);
  put("/a_b/x", "1");
  put("/aXb/y", "2");
  EXPECT_EQ(paths("/a_b", true), std::vector<std::string>{"/a_b/x"});
}

TEST_P(SecretsBackendsTest, SoftDeleteDestroyAndTheAuditChain) {
  put("/svc/key", "v1");
  put("/svc/key", "v2");
  ASSERT_TRUE(store_->remove("alice", "/svc/key").isOk());
  EXPECT_EQ(store_->get("app", "/svc/key").status().message(),
            "/svc/key is deleted (undelete restores it)");
  ASSERT_TRUE(store_->undelete("alice", "/svc/key").isOk());
  ASSERT_TRUE(store_->destroy("alice", "/svc/key", 1).isOk());
  EXPECT_EQ(store_->get("app", "/svc/key", {1, {}}).status().message(),
            "/svc/key version 1 was destroyed");
  EXPECT_EQ(get("/svc/key"), "v2");
  EXPECT_EQ(store_->destroy("alice", "/svc/key", 7).message(), "/svc/key has no version 7");
  store_ = openStore(root_);
  ASSERT_NE(store_, nullptr);
  auto audit = store_->verifyAudit();
  ASSERT_TRUE(audit.isOk()) << audit.status().toString();
  EXPECT_TRUE(audit->ok()) << audit->problem;
  EXPECT_GE(audit->entries, 7);
}

TEST_P(SecretsBackendsTest, RootKeyRotationRewrapsAndTheOldKeyNoLongerOpens) {
  put("/svc/a", "value-a");
  const RootKey new_root = RootKey::random();
  ASSERT_TRUE(store_->rotateRootKey("alice", new_root).isOk());
  EXPECT_EQ(get("/svc/a"), "value-a");
  store_.reset();
  EXPECT_EQ(openStatus(root_).code(), Status::Code::kPermissionDenied);
  store_ = openStore(new_root);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(get("/svc/a"), "value-a");
  auto audit = store_->verifyAudit();
  ASSERT_TRUE(audit.isOk());
  EXPECT_TRUE(audit->ok()) << audit->problem;
}

INSTANTIATE_BACKENDS(SecretsBackendsTest);

class PostgresSecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testsupport::freshPostgresDatabase(&url_));
    server_ = testsupport::sharedPostgres(nullptr);
    ASSERT_NE(server_, nullptr);
  }
  std::string dbname() const { return url_.substr(url_.rfind('/') + 1); }
  std::string psqlValue(const std::string& sql) {
    std::string out;
    EXPECT_TRUE(server_->psql(sql, &out, dbname()));
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  std::string url_;
  testsupport::PostgresServer* server_ = nullptr;
  SimulatedClock clock_;
};

TEST_F(PostgresSecretsTest, PostgresHoldsOnlySealedValuesAndWrappedKeys) {
  const RootKey root = RootKey::random();
  auto backend = PostgresSecretsBackend::open(url_);
  ASSERT_TRUE(backend.isOk()) << backend.status().toString();
  auto store = SecretsStore::open(std::move(backend).value(), root, clock_);
  ASSERT_TRUE(store.isOk()) << store.status().toString();
  ASSERT_TRUE((*store)
                  ->put("alice", "/svc/key", SecretBytes::copyOf("a-very-recognisable-secret"), {})
                  .isOk());
  EXPECT_EQ(std::string((*store)->get("app", "/svc/key")->view()), "a-very-recognisable-secret");
  // Every row of every secrets table, as text (bytea in hex and as escaped bytes).
  std::string everything;
  for (const char* table : {"secrets_meta", "secrets_keys", "secrets_paths", "secrets_versions",
                            "secrets_labels", "secrets_audit"}) {
    everything += psqlValue(std::string("SELECT COALESCE(string_agg(t::text, ' '), '') FROM ") +
                            table + " t");
  }
  everything += psqlValue(
      "SELECT COALESCE(string_agg(encode(sealed, 'escape'), ' '), '') FROM secrets_versions");
  EXPECT_NE(everything.find("/svc/key"), std::string::npos);  // names are plaintext by design
  EXPECT_EQ(everything.find("a-very-recognisable-secret"), std::string::npos);
  const std::string hex_value = "612d766572792d7265636f676e697361626c652d736563726574";
  EXPECT_EQ(everything.find(hex_value), std::string::npos);
  // The data keys are stored wrapped: what is there does not unwrap without the root key.
  EXPECT_EQ(psqlValue("SELECT count(*) FROM secrets_keys WHERE root_key_id = '" + root.id() + "'"),
            "2");
}

TEST_F(PostgresSecretsTest, TheAuditTableRefusesChangesAndTheStateStoreSharesTheDatabase) {
  auto state = store::PostgresStateStore::open(url_);
  ASSERT_TRUE(state.isOk()) << state.status().toString();
  auto backend = openSecretsBackend("/nonexistent", url_);
  ASSERT_TRUE(backend.isOk()) << backend.status().toString();
  auto store = SecretsStore::open(std::move(backend).value(), RootKey::random(), clock_);
  ASSERT_TRUE(store.isOk()) << store.status().toString();
  ASSERT_TRUE((*store)->put("alice", "/a", SecretBytes::copyOf("x"), {}).isOk());
  EXPECT_FALSE(server_->psql("UPDATE secrets_audit SET actor = 'mallory'", nullptr, dbname()));
  EXPECT_FALSE(server_->psql("DELETE FROM secrets_audit", nullptr, dbname()));
  EXPECT_FALSE(server_->psql("TRUNCATE secrets_audit", nullptr, dbname()));
  EXPECT_EQ(psqlValue("SELECT count(*) FROM secrets_audit WHERE actor = 'mallory'"), "0");
  // Two schemas, each versioned on its own, in one database.
  EXPECT_EQ(psqlValue("SELECT max(version) FROM secrets_schema"),
            std::to_string(PostgresSecretsBackend::kSchemaVersion));
  EXPECT_EQ(psqlValue("SELECT max(version) FROM schema_migrations"),
            std::to_string(store::PostgresStateStore::kSchemaVersion));
  // A second node opening the secrets backend applies nothing again.
  auto again = PostgresSecretsBackend::open(url_);
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_EQ(psqlValue("SELECT count(*) FROM secrets_schema"), "1");
}

TEST(PostgresSecretsErrors, UnreachableServerIsUnavailableWithoutThePassword) {
  const std::string url = "postgresql://u:s3cret-pw@127.0.0.1:1/state";
  auto backend = openSecretsBackend("/nonexistent", url);
  ASSERT_FALSE(backend.isOk());
  EXPECT_EQ(backend.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(backend.status().message().find("u@127.0.0.1:1/state"), std::string::npos)
      << backend.status().message();
  EXPECT_EQ(backend.status().message().find("s3cret-pw"), std::string::npos);
}

}  // namespace
}  // namespace shipgate::secrets
