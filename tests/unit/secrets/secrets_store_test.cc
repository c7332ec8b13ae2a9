// SecretsStore over the SQLite backend: versions, CAS, labels, list and history (metadata only),
// soft delete, destroy, root key rotation, tamper and swap detection on the real file, and a read
// that fails when its audit entry cannot be written.
#include "shipgate/secrets/secrets_store.h"

#include <gtest/gtest.h>

#include "secrets_test_util.h"
#include "shipgate/secrets/sealed_record.h"

namespace shipgate::secrets {
namespace {

using testing::SecretsFixture;

class SecretsStoreTest : public SecretsFixture {};

std::string blobOf(SQLite::Database& db, const std::string& path, int64_t version) {
  SQLite::Statement st(db, "SELECT sealed FROM secrets_versions WHERE path = ? AND version = ?");
  st.bind(1, path);
  st.bind(2, version);
  if (!st.executeStep() || st.getColumn(0).isNull()) return {};
  return std::string(static_cast<const char*>(st.getColumn(0).getBlob()),
                     static_cast<size_t>(st.getColumn(0).getBytes()));
}

void setBlob(SQLite::Database& db, const std::string& path, int64_t version,
             const std::string& bytes) {
  SQLite::Statement st(db, "UPDATE secrets_versions SET sealed = ? WHERE path = ? AND version = ?");
  st.bind(1, bytes.data(), static_cast<int>(bytes.size()));
  st.bind(2, path);
  st.bind(3, version);
  ASSERT_EQ(st.exec(), 1);
}

TEST_F(SecretsStoreTest, PutMakesVersionsAndGetReadsLatestOrAVersion) {
  EXPECT_EQ(put("/coinestate/prod/db/url", "postgres://one"), 1);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(put("/coinestate/prod/db/url", "postgres://two"), 2);
  EXPECT_EQ(get("/coinestate/prod/db/url"), "postgres://two");
  EXPECT_EQ(get("/coinestate/prod/db/url", {1, {}}), "postgres://one");
  Result<SecretBytes> missing = store_->get("app", "/coinestate/prod/db/url", {3, {}});
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(), "/coinestate/prod/db/url has no version 3");
  Result<SecretBytes> none = store_->get("app", "/coinestate/prod/other");
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(none.status().message(), "no secret at /coinestate/prod/other");
  // Binary values and the empty value survive.
  const std::string binary("\0\xff\x01zz", 5);
  put("/bin", binary);
  EXPECT_EQ(get("/bin"), binary);
  put("/empty", "");
  EXPECT_EQ(get("/empty"), "");
  // Values persist across opening the store again with the same key.
  store_ = openStore(root_);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(get("/coinestate/prod/db/url", {1, {}}), "postgres://one");
}

TEST_F(SecretsStoreTest, BadInputIsRefusedWithoutTheValue) {
  Result<int64_t> bad = store_->put("alice", "/a//b", SecretBytes::copyOf("s3cr3t-value"));
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            "secret path \"/a//b\": segment 2 (at byte 4) is empty ('//' is not allowed)");
  Result<int64_t> big =
      store_->put("alice", "/big", SecretBytes::copyOf(std::string(kMaxValueBytes + 1, 'q')));
  ASSERT_FALSE(big.isOk());
  EXPECT_EQ(big.status().message(), "value for /big: 65537 bytes, more than the 65536 allowed");
  EXPECT_TRUE(
      store_->put("alice", "/big", SecretBytes::copyOf(std::string(kMaxValueBytes, 'q'))).isOk());
  Result<SecretBytes> both = store_->get("app", "/big", {1, "x"});
  EXPECT_EQ(both.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(SecretsStoreTest, CheckAndSet) {
  Result<int64_t> wrong = store_->put("alice", "/k", SecretBytes::copyOf("a"), 1);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_EQ(wrong.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(wrong.status().message(),
            "check-and-set: /k is at version 0, not 1 (it has no version yet: use --cas 0)");
  EXPECT_EQ(put("/k", "a", 0), 1);
  Result<int64_t> again = store_->put("alice", "/k", SecretBytes::copyOf("b"), 0);
  ASSERT_FALSE(again.isOk());
  EXPECT_EQ(again.status().message(), "check-and-set: /k is at version 1, not 0");
  EXPECT_EQ(put("/k", "b", 1), 2);
  Result<int64_t> stale = store_->put("alice", "/k", SecretBytes::copyOf("c"), 1);
  ASSERT_FALSE(stale.isOk());
  EXPECT_EQ(stale.status().message(), "check-and-set: /k is at version 2, not 1");
  EXPECT_EQ(get("/k"), "b");     // the refused puts changed nothing
  EXPECT_EQ(put("/k", "c"), 3);  // without cas, always
}

TEST_F(SecretsStoreTest, LabelsPinVersionsAndMove) {
  put("/svc/token", "v1");
  put("/svc/token", "v2");
  put("/svc/token", "v3");
  ASSERT_TRUE(store_->label("alice", "/svc/token", 2, "stable").isOk());
  EXPECT_EQ(get("/svc/token", {{}, "stable"}), "v2");
  ASSERT_TRUE(store_->label("alice", "/svc/token", 3, "stable").isOk());
  EXPECT_EQ(get("/svc/token", {{}, "stable"}), "v3");
  ASSERT_TRUE(store_->label("alice", "/svc/token", 1, "old").isOk());
  Result<SecretBytes> unknown = store_->get("app", "/svc/token", {{}, "canary"});
  EXPECT_EQ(unknown.status().message(), "/svc/token has no label \"canary\"");
  EXPECT_EQ(store_->label("alice", "/svc/token", 9, "x").message(), "/svc/token has no version 9");
  EXPECT_EQ(store_->label("alice", "/svc/token", 1, "42").message(),
            "label \"42\": only digits (that is a version)");
  EXPECT_EQ(store_->label("alice", "/svc/token", 1, "a b").message(),
            "label \"a b\": character 2 is not a letter, digit, _, - or .");
  Result<std::vector<VersionMetadata>> h = store_->history("alice", "/svc/token");
  ASSERT_TRUE(h.isOk());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].labels, std::vector<std::string>{"old"});
  EXPECT_TRUE((*h)[1].labels.empty());
  EXPECT_EQ((*h)[2].labels, std::vector<std::string>{"stable"});
  EXPECT_EQ((*h)[0].created_by, "alice");
}

TEST_F(SecretsStoreTest, ListGivesMetadataOnlyDirectOrRecursive) {
  put("/coinestate/prod/db/url", "x");
  put("/coinestate/prod/api_key", "y");
  put("/coinestate/prod/db/password", "z");
  put("/coinestate/production/other", "w");
  put("/coinestate/staging/api_key", "v");
  auto paths = [&](const std::string& prefix, bool recursive) {
    std::vector<std::string> out;
    Result<std::vector<SecretMetadata>> l = store_->list("alice", prefix, recursive);
    EXPECT_TRUE(l.isOk()) << l.status().message();
    if (l.isOk()) {
      for (const SecretMetadata& m : *l) out.push_back(m.path);
    }
    return out;
  };
  EXPECT_EQ(paths("/coinestate/prod/", false),
            std::vector<std::string>{"/coinestate/prod/api_key"});
  EXPECT_EQ(paths("/coinestate/prod", true),
            (std::vector<std::string>{"/coinestate/prod/api_key", "/coinestate/prod/db/password",
                                      "/coinestate/prod/db/url"}));
  EXPECT_EQ(paths("/", true).size(), 5u);
  EXPECT_TRUE(paths("/nothing", true).empty());
  // '_' and '%' are path characters, not patterns.
  put("/a_b/x", "1");
  put("/aXb/y", "2");
  EXPECT_EQ(paths("/a_b", true), std::vector<std::string>{"/a_b/x"});
  Result<std::vector<SecretMetadata>> bad = store_->list("alice", "/a/../b", true);
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(SecretsStoreTest, SoftDeleteHidesAndUndeleteRestores) {
  put("/svc/key", "v1");
  ASSERT_TRUE(store_->remove("alice", "/svc/key").isOk());
  Result<SecretBytes> gone = store_->get("app", "/svc/key");
  ASSERT_FALSE(gone.isOk());
  EXPECT_EQ(gone.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(gone.status().message(), "/svc/key is deleted (undelete restores it)");
  EXPECT_TRUE(store_->list("alice", "/svc", false)->empty());
  ASSERT_EQ(store_->list("alice", "/svc", false, true)->size(), 1u);
  EXPECT_NE(store_->list("alice", "/svc", false, true)->front().deleted_at, 0);
  ASSERT_TRUE(store_->undelete("alice", "/svc/key").isOk());
  EXPECT_EQ(get("/svc/key"), "v1");
  // A put on a deleted path makes it live again.
  ASSERT_TRUE(store_->remove("alice", "/svc/key").isOk());
  EXPECT_EQ(put("/svc/key", "v2"), 2);
  EXPECT_EQ(get("/svc/key"), "v2");
  EXPECT_EQ(store_->remove("alice", "/svc/none").message(), "no secret at /svc/none");
}

TEST_F(SecretsStoreTest, DestroyErasesOneVersionForGood) {
  put("/svc/key", "v1");
  put("/svc/key", "v2");
  ASSERT_TRUE(store_->label("alice", "/svc/key", 1, "old").isOk());
  ASSERT_TRUE(store_->destroy("alice", "/svc/key", 1).isOk());
  Result<SecretBytes> destroyed = store_->get("app", "/svc/key", {1, {}});
  ASSERT_FALSE(destroyed.isOk());
  EXPECT_EQ(destroyed.status().message(), "/svc/key version 1 was destroyed");
  EXPECT_EQ(store_->get("app", "/svc/key", {{}, "old"}).status().message(),
            "/svc/key version 1 was destroyed");
  EXPECT_EQ(get("/svc/key"), "v2");
  SQLite::Database db = raw();
  EXPECT_EQ(blobOf(db, "/svc/key", 1), "");  // the ciphertext is gone from the file
  Result<std::vector<VersionMetadata>> h = store_->history("alice", "/svc/key");
  ASSERT_TRUE(h.isOk());
  EXPECT_NE((*h)[0].destroyed_at, 0);
  EXPECT_EQ((*h)[1].destroyed_at, 0);
  EXPECT_TRUE(store_->destroy("alice", "/svc/key", 1).isOk());  // idempotent
  EXPECT_EQ(store_->destroy("alice", "/svc/key", 7).message(), "/svc/key has no version 7");
  EXPECT_EQ(store_->label("alice", "/svc/key", 1, "again").message(),
            "/svc/key version 1 was destroyed: a label cannot pin it");
}

TEST_F(SecretsStoreTest, ValuesAreNotInTheFileInClear) {
  put("/svc/key", "a-very-recognisable-secret-value");
  store_.reset();
  const std::string file = testsupport::readFile(dir_.path() + "/state.db") +
                           testsupport::readFile(dir_.path() + "/state.db-wal");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(file.find("a-very-recognisable-secret-value"), std::string::npos);
  EXPECT_NE(file.find("/svc/key"), std::string::npos);  // names are plaintext by design
}

TEST_F(SecretsStoreTest, ATamperedCiphertextIsReportedNeverReturned) {
  put("/svc/key", "v1");
  SQLite::Database db = raw();
  const std::string sealed = blobOf(db, "/svc/key", 1);
  ASSERT_FALSE(sealed.empty());
  for (size_t i : {size_t{4}, size_t{8}, SealedRecord::kHeaderSize, sealed.size() - 1}) {
    std::string flipped = sealed;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    setBlob(db, "/svc/key", 1, flipped);
    Result<SecretBytes> v = store_->get("app", "/svc/key");
    ASSERT_FALSE(v.isOk()) << "byte " << i;
    EXPECT_EQ(v.status().code(), Status::Code::kInternal);
    EXPECT_NE(v.status().message().find("tampered with"), std::string::npos)
        << v.status().message();
    EXPECT_NE(v.status().message().find("/svc/key version 1"), std::string::npos);
  }
  setBlob(db, "/svc/key", 1, "SGS1short");
  EXPECT_EQ(store_->get("app", "/svc/key").status().message(),
            "/svc/key version 1: the stored sealed record: 9 bytes, shorter than the 48 of a "
            "header and an authentication tag (tampered with?)");
  setBlob(db, "/svc/key", 1, sealed);
  EXPECT_EQ(get("/svc/key"), "v1");
}

TEST_F(SecretsStoreTest, AByteFlippedInTheDatabaseFileIsReportedNeverReturned) {
  put("/svc/key", "file-level-value");
  std::string sealed;
  {
    SQLite::Database db = raw();
    sealed = blobOf(db, "/svc/key", 1);
  }
  store_.reset();  // the last connection checkpoints the WAL into state.db
  const std::string path = dir_.path() + "/state.db";
  std::string file = testsupport::readFile(path);
  const size_t at = file.find(sealed);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(file.find(sealed, at + 1), std::string::npos);
  file[at + SealedRecord::kHeaderSize + 3] ^= 0x20;  // inside the ciphertext
  ASSERT_FALSE(dir_.writeFile("state.db", file).empty());
  store_ = openStore(root_);
  ASSERT_NE(store_, nullptr);
  Result<SecretBytes> v = store_->get("app", "/svc/key");
  ASSERT_FALSE(v.isOk());
  EXPECT_EQ(v.status().message(),
            "/svc/key version 1: failed authentication: the stored record was tampered with, "
            "copied from another place, or the key is wrong");
  // The refusal is audited like any read.
  Result<AuditVerification> audit = store_->verifyAudit();
  ASSERT_TRUE(audit.isOk());
  EXPECT_TRUE(audit->ok()) << audit->problem;
  EXPECT_EQ(audit->entries, 2);
}

TEST_F(SecretsStoreTest, ARecordCopiedToAnotherPathOrVersionFails) {
  put("/svc/a", "value-of-a");
  put("/svc/b", "value-of-b");
  put("/svc/b", "value-of-b2");
  SQLite::Database db = raw();
  setBlob(db, "/svc/b", 1, blobOf(db, "/svc/a", 1));  // another path, same version
  Result<SecretBytes> other_path = store_->get("app", "/svc/b", {1, {}});
  ASSERT_FALSE(other_path.isOk());
  EXPECT_NE(other_path.status().message().find("failed authentication"), std::string::npos);
  put("/svc/c", "c1");
  put("/svc/c", "c2");
  setBlob(db, "/svc/c", 2, blobOf(db, "/svc/c", 1));  // same path, another version
  Result<SecretBytes> other_version = store_->get("app", "/svc/c");
  ASSERT_FALSE(other_version.isOk());
  EXPECT_NE(other_version.status().message().find("failed authentication"), std::string::npos);
  EXPECT_EQ(get("/svc/a"), "value-of-a");
}

TEST_F(SecretsStoreTest, ATamperedOrMissingDataKeyStopsTheOpen) {
  put("/svc/a", "value-a");
  store_.reset();
  SQLite::Database db = raw();
  std::string wrapped;
  {
    SQLite::Statement st(db, "SELECT wrapped FROM secrets_keys WHERE id = 1");
    ASSERT_TRUE(st.executeStep());
    wrapped.assign(static_cast<const char*>(st.getColumn(0).getBlob()),
                   static_cast<size_t>(st.getColumn(0).getBytes()));
  }
  std::string flipped = wrapped;
  flipped.back() = static_cast<char>(flipped.back() ^ 0x40);
  auto setWrapped = [&](const std::string& bytes) {
    SQLite::Statement st(db, "UPDATE secrets_keys SET wrapped = ? WHERE id = 1");
    st.bind(1, bytes.data(), static_cast<int>(bytes.size()));
    ASSERT_EQ(st.exec(), 1);
  };
  setWrapped(flipped);
  Status tampered = openStatus(root_);
  EXPECT_EQ(tampered.code(), Status::Code::kInternal);
  EXPECT_EQ(tampered.message(),
            "secrets store: data key 1: failed authentication: the stored record was tampered "
            "with, copied from another place, or the key is wrong");
  setWrapped(wrapped);
  db.exec("UPDATE secrets_keys SET id = 3 WHERE id = 1");
  Status moved = openStatus(root_);
  EXPECT_EQ(moved.message(), "secrets store: data key 3: its record names key 1 (tampered with?)");
  db.exec("UPDATE secrets_keys SET id = 1 WHERE id = 3");
  // The value key cast as the audit key (and back) does not unwrap either.
  db.exec(
      "UPDATE secrets_keys SET purpose = CASE purpose WHEN 'value' THEN 'audit' ELSE 'value' END");
  Status swapped = openStatus(root_);
  EXPECT_NE(swapped.message().find("failed authentication"), std::string::npos)
      << swapped.message();
  db.exec(
      "UPDATE secrets_keys SET purpose = CASE purpose WHEN 'value' THEN 'audit' ELSE 'value' END");
  db.exec("DELETE FROM secrets_keys WHERE id = 1");
  Status missing = openStatus(root_);
  EXPECT_EQ(missing.message(),
            "secrets store: its value key or audit key is missing (tampered with?)");
}

TEST_F(SecretsStoreTest, RotationRewrapsKeysValuesStayAndTheOldKeyNoLongerOpens) {
  put("/svc/a", "value-a");
  put("/svc/b", "value-b");
  SQLite::Database db = raw();
  const std::string sealed_before = blobOf(db, "/svc/a", 1);
  const RootKey new_root = RootKey::random();
  ASSERT_TRUE(store_->rotateRootKey("alice", new_root).isOk());
  EXPECT_EQ(store_->rootKeyId(), new_root.id());
  EXPECT_EQ(get("/svc/a"), "value-a");
  EXPECT_EQ(blobOf(db, "/svc/a", 1), sealed_before);  // values were not re-encrypted
  SQLite::Statement keys(db, "SELECT COUNT(*) FROM secrets_keys WHERE root_key_id = ?");
  keys.bind(1, new_root.id());
  ASSERT_TRUE(keys.executeStep());
  EXPECT_EQ(keys.getColumn(0).getInt(), 2);

  store_.reset();
  Status old_key = openStatus(root_);
  ASSERT_FALSE(old_key.isOk());
  EXPECT_EQ(old_key.code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(old_key.message(), "secrets store: the root key (id " + root_.id() +
                                   ") is not the store's (id " + new_root.id() +
                                   "): use the key it was created with or last rotated to");
  // Even with the recorded id put back, the old key cannot unwrap the re-wrapped data keys.
  SQLite::Statement meta(db, "UPDATE secrets_meta SET value = ? WHERE key = 'root_key_id'");
  meta.bind(1, root_.id());
  ASSERT_EQ(meta.exec(), 1);
  Status forged = openStatus(root_);
  ASSERT_FALSE(forged.isOk());
  EXPECT_NE(forged.message().find("failed authentication"), std::string::npos) << forged.message();
  SQLite::Statement restore(db, "UPDATE secrets_meta SET value = ? WHERE key = 'root_key_id'");
  restore.bind(1, new_root.id());
  ASSERT_EQ(restore.exec(), 1);

  store_ = openStore(new_root);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(get("/svc/b"), "value-b");
  EXPECT_EQ(put("/svc/a", "value-a2"), 2);
  EXPECT_EQ(get("/svc/a", {1, {}}), "value-a");
  EXPECT_EQ(store_->rotateRootKey("alice", new_root).message(),
            "rotate-key: the new root key (id " + new_root.id() + ") is the current one");
  Result<AuditVerification> audit = store_->verifyAudit();
  ASSERT_TRUE(audit.isOk());
  EXPECT_TRUE(audit->ok()) << audit->problem;
}

TEST_F(SecretsStoreTest, APassphraseRootKeyRecordsItsParameters) {
  store_.reset();
  testsupport::TempDir other("shipgate-secrets-pw");
  const SecretBytes pass = SecretBytes::copyOf("a long passphrase");
  Result<RootKey> root = RootKey::fromPassphrase(pass, KdfParams::fresh(1, 8192));
  ASSERT_TRUE(root.isOk());
  {
    auto backend = SqliteSecretsBackend::open(other.path());
    ASSERT_TRUE(backend.isOk());
    auto store = SecretsStore::open(std::move(backend).value(), *root, clock_);
    ASSERT_TRUE(store.isOk()) << store.status().message();
    ASSERT_TRUE((*store)->put("alice", "/p", SecretBytes::copyOf("pv")).isOk());
  }
  auto backend = SqliteSecretsBackend::open(other.path());
  ASSERT_TRUE(backend.isOk());
  Result<std::string> kdf = SecretsStore::recordedKdf(**backend);
  ASSERT_TRUE(kdf.isOk());
  Result<KdfParams> params = KdfParams::parse(*kdf);
  ASSERT_TRUE(params.isOk()) << *kdf;
  Result<RootKey> again = RootKey::fromPassphrase(pass, *params);
  ASSERT_TRUE(again.isOk());
  auto store = SecretsStore::open(std::move(backend).value(), *again, clock_);
  ASSERT_TRUE(store.isOk()) << store.status().message();
  Result<SecretBytes> v = (*store)->get("app", "/p");
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(v->view(), "pv");
}

TEST_F(SecretsStoreTest, AReadFailsWhenItsAuditEntryCannotBeWritten) {
  put("/svc/key", "the-value");
  fail_audit_ = true;
  Result<SecretBytes> v = store_->get("app", "/svc/key");
  ASSERT_FALSE(v.isOk());
  EXPECT_EQ(v.status().code(), Status::Code::kIoError);
  EXPECT_EQ(v.status().message(),
            "secrets: get refused: its audit entry cannot be written: audit device: disk full "
            "(injected)");
  // A write whose entry cannot be written changes nothing.
  Result<int64_t> w = store_->put("alice", "/svc/key", SecretBytes::copyOf("other"));
  ASSERT_FALSE(w.isOk());
  fail_audit_ = false;
  EXPECT_EQ(get("/svc/key"), "the-value");
  Result<std::vector<VersionMetadata>> h = store_->history("alice", "/svc/key");
  ASSERT_TRUE(h.isOk());
  EXPECT_EQ(h->size(), 1u);
}

TEST_F(SecretsStoreTest, EveryCallIsAuditedWithoutItsValue) {
  put("/svc/key", "value-never-logged");
  get("/svc/key");
  ASSERT_FALSE(store_->get("bob", "/svc/missing").isOk());
  ASSERT_TRUE(store_->list("carol", "/svc", true).isOk());
  ASSERT_TRUE(store_->history("carol", "/svc/key").isOk());
  ASSERT_TRUE(store_->label("alice", "/svc/key", 1, "stable").isOk());
  ASSERT_TRUE(store_->remove("alice", "/svc/key").isOk());
  ASSERT_TRUE(store_->undelete("alice", "/svc/key").isOk());
  ASSERT_TRUE(store_->destroy("alice", "/svc/key", 1).isOk());
  ASSERT_TRUE(store_->rotateRootKey("alice", RootKey::random()).isOk());
  SQLite::Database db = raw();
  SQLite::Statement st(db,
                       "SELECT seq, actor, action, path, version, outcome FROM secrets_audit "
                       "ORDER BY seq");
  std::vector<std::string> lines;
  while (st.executeStep()) {
    lines.push_back(st.getColumn(0).getString() + " " + st.getColumn(1).getString() + " " +
                    st.getColumn(2).getString() + " " + st.getColumn(3).getString() + " " +
                    st.getColumn(4).getString() + " " + st.getColumn(5).getString());
  }
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "1 alice put /svc/key 1 ok",
                       "2 app get /svc/key 1 ok",
                       "3 bob get /svc/missing 0 not_found: no secret at /svc/missing",
                       "4 carol list /svc 0 ok",
                       "5 carol history /svc/key 0 ok",
                       "6 alice label /svc/key 1 ok",
                       "7 alice rm /svc/key 1 ok",
                       "8 alice undelete /svc/key 1 ok",
                       "9 alice destroy /svc/key 1 ok",
                       "10 alice rotate-key  0 ok",
                   }));
  store_.reset();
  const std::string file = testsupport::readFile(dir_.path() + "/state.db") +
                           testsupport::readFile(dir_.path() + "/state.db-wal");
  EXPECT_EQ(file.find("value-never-logged"), std::string::npos);
}

}  // namespace
}  // namespace shipgate::secrets
