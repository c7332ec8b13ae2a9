// Shared by the secrets tests: a store in a temporary state directory, raw SQL on its file (to
// play the attacker who edits it), and a backend whose audit writes can be made to fail.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <string>

#include "shipgate/common/clock.h"
#include "shipgate/secrets/secrets_store.h"
#include "shipgate/secrets/sqlite_secrets_backend.h"
#include "support/paths.h"

namespace shipgate::secrets::testing {

// Delegates to another backend; appendAudit fails while *fail_audit is true.
class FaultyAuditBackend final : public SecretsBackend {
 public:
  FaultyAuditBackend(std::unique_ptr<SecretsBackend> inner, const bool* fail_audit)
      : inner_(std::move(inner)), fail_audit_(fail_audit) {}
  Status atomically(const std::function<Status()>& body) override {
    return inner_->atomically(body);
  }
  Result<std::optional<std::string>> getMeta(const std::string& key) override {
    return inner_->getMeta(key);
  }
  Status putMeta(const std::string& key, const std::string& value) override {
    return inner_->putMeta(key, value);
  }
  Result<std::vector<KeyRow>> listKeys() override { return inner_->listKeys(); }
  Status insertKey(const KeyRow& row) override { return inner_->insertKey(row); }
  Status rewrapKey(uint32_t id, const std::string& wrapped,
                   const std::string& root_key_id) override {
    return inner_->rewrapKey(id, wrapped, root_key_id);
  }
  Result<std::optional<PathRow>> findPath(const std::string& path) override {
    return inner_->findPath(path);
  }
  Status upsertPath(const PathRow& row) override { return inner_->upsertPath(row); }
  Result<std::vector<PathRow>> pathsUnder(const std::string& prefix) override {
    return inner_->pathsUnder(prefix);
  }
  Status insertVersion(const VersionRow& row) override { return inner_->insertVersion(row); }
  Result<std::optional<VersionRow>> findVersion(const std::string& path, int64_t version) override {
    return inner_->findVersion(path, version);
  }
  Result<std::vector<VersionRow>> versionsOf(const std::string& path) override {
    return inner_->versionsOf(path);
  }
  Status destroyVersion(const std::string& path, int64_t version, int64_t at) override {
    return inner_->destroyVersion(path, version, at);
  }
  Status putLabel(const LabelRow& row) override { return inner_->putLabel(row); }
  Result<std::optional<LabelRow>> findLabel(const std::string& path,
                                            const std::string& label) override {
    return inner_->findLabel(path, label);
  }
  Result<std::vector<LabelRow>> labelsOf(const std::string& path) override {
    return inner_->labelsOf(path);
  }
  Status appendAudit(const AuditRow& row) override {
    if (*fail_audit_) return Status::ioError("audit device: disk full (injected)");
    return inner_->appendAudit(row);
  }
  Result<std::vector<AuditRow>> listAudit() override { return inner_->listAudit(); }

 private:
  std::unique_ptr<SecretsBackend> inner_;
  const bool* fail_audit_;
};

class SecretsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok()) << dir_.error();
    store_ = openStore(root_);
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<SecretsStore> openStore(const RootKey& root) {
    Result<std::unique_ptr<SqliteSecretsBackend>> backend = SqliteSecretsBackend::open(dir_.path());
    EXPECT_TRUE(backend.isOk()) << backend.status().message();
    if (!backend.isOk()) return nullptr;
    auto faulty = std::make_unique<FaultyAuditBackend>(std::move(backend).value(), &fail_audit_);
    Result<std::unique_ptr<SecretsStore>> store =
        SecretsStore::open(std::move(faulty), root, clock_);
    EXPECT_TRUE(store.isOk()) << store.status().message();
    return store.isOk() ? std::move(store).value() : nullptr;
  }

  Status openStatus(const RootKey& root) {
    Result<std::unique_ptr<SqliteSecretsBackend>> backend = SqliteSecretsBackend::open(dir_.path());
    if (!backend.isOk()) return backend.status();
    Result<std::unique_ptr<SecretsStore>> store =
        SecretsStore::open(std::move(backend).value(), root, clock_);
    return store.status();
  }

  // Raw SQL on the state file, as someone with access to the disk.
  SQLite::Database raw() {
    return SQLite::Database(dir_.path() + "/state.db", SQLite::OPEN_READWRITE);
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

  testsupport::TempDir dir_{"shipgate-secrets"};
  SimulatedClock clock_;
  bool fail_audit_ = false;
  RootKey root_ = RootKey::random();
  std::unique_ptr<SecretsStore> store_;
};

}  // namespace shipgate::secrets::testing
