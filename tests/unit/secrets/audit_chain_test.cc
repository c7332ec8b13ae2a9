// The audit chain on the real file: intact after a mix of calls; an entry changed, removed (in
// the middle, at the end) or reordered is named by verify, even by someone who drops the
// append-only triggers and recomputes an unkeyed hash.
#include "shipgate/secrets/audit_chain.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "secrets_test_util.h"

namespace shipgate::secrets {
namespace {

class AuditChainTest : public testing::SecretsFixture {
 protected:
  void SetUp() override {
    SecretsFixture::SetUp();
    ASSERT_NE(store_, nullptr);
    // Entries 1..6.
    put("/svc/a", "1");
    put("/svc/b", "2");
    get("/svc/a");
    get("/svc/b");
    ASSERT_TRUE(store_->list("carol", "/svc", true).isOk());
    ASSERT_TRUE(store_->remove("alice", "/svc/b").isOk());
  }

  AuditVerification verify() {
    Result<AuditVerification> v = store_->verifyAudit();
    EXPECT_TRUE(v.isOk()) << v.status().message();
    return v.isOk() ? *v : AuditVerification{};
  }

  // Drops the append-only triggers, as someone editing the file would.
  SQLite::Database unguarded() {
    SQLite::Database db = raw();
    db.exec("DROP TRIGGER secrets_audit_refuses_update");
    db.exec("DROP TRIGGER secrets_audit_refuses_delete");
    return db;
  }
};

TEST_F(AuditChainTest, AnIntactChainVerifies) {
  AuditVerification v = verify();
  EXPECT_TRUE(v.ok()) << v.problem;
  EXPECT_EQ(v.entries, 6);
  EXPECT_EQ(v.first_broken, 0);
}

TEST_F(AuditChainTest, TheTableRefusesUpdateAndDelete) {
  SQLite::Database db = raw();
  EXPECT_THROW(db.exec("UPDATE secrets_audit SET actor = 'mallory' WHERE seq = 2"),
               SQLite::Exception);
  EXPECT_THROW(db.exec("DELETE FROM secrets_audit WHERE seq = 2"), SQLite::Exception);
  EXPECT_TRUE(verify().ok());
}

TEST_F(AuditChainTest, AChangedEntryIsNamed) {
  SQLite::Database db = unguarded();
  db.exec("UPDATE secrets_audit SET actor = 'mallory' WHERE seq = 3");
  AuditVerification v = verify();
  EXPECT_EQ(v.first_broken, 3);
  EXPECT_EQ(v.problem, "audit entry 3: its hash does not match its contents (changed)");
}

TEST_F(AuditChainTest, AChangedEntryWithARecomputedUnkeyedHashIsNamed) {
  SQLite::Database db = unguarded();
  // Without the audit key an attacker can only guess the hash function's key.
  AuditRow row;
  {
    SQLite::Statement st(db, "SELECT prev_hash FROM secrets_audit WHERE seq = 4");
    ASSERT_TRUE(st.executeStep());
    row.prev_hash.assign(static_cast<const char*>(st.getColumn(0).getBlob()),
                         static_cast<size_t>(st.getColumn(0).getBytes()));
  }
  SQLite::Statement st(db,
                       "SELECT at, actor, action, path, version FROM secrets_audit WHERE seq = 4");
  ASSERT_TRUE(st.executeStep());
  row.seq = 4;
  row.at = st.getColumn(0).getInt64();
  row.actor = "mallory";
  row.action = st.getColumn(2).getString();
  row.path = st.getColumn(3).getString();
  row.version = st.getColumn(4).getInt64();
  row.outcome = "ok";
  const std::string forged = auditHash(SecretBytes::random(32), row);
  SQLite::Statement up(db, "UPDATE secrets_audit SET actor = 'mallory', hash = ? WHERE seq = 4");
  up.bind(1, forged.data(), static_cast<int>(forged.size()));
  ASSERT_EQ(up.exec(), 1);
  AuditVerification v = verify();
  EXPECT_EQ(v.first_broken, 4);
  EXPECT_EQ(v.problem, "audit entry 4: its hash does not match its contents (changed)");
}

TEST_F(AuditChainTest, ARemovedEntryIsNamed) {
  SQLite::Database db = unguarded();
  db.exec("DELETE FROM secrets_audit WHERE seq = 2");
  AuditVerification v = verify();
  EXPECT_EQ(v.first_broken, 2);
  EXPECT_EQ(v.problem, "audit entry 2: missing (removed): entry 1 is followed by entry 3");
}

TEST_F(AuditChainTest, RemovedAndRenumberedEntriesAreNamed) {
  SQLite::Database db = unguarded();
  db.exec("DELETE FROM secrets_audit WHERE seq = 2");
  db.exec("UPDATE secrets_audit SET seq = seq - 1 WHERE seq > 2");
  AuditVerification v = verify();
  EXPECT_EQ(v.first_broken, 2);
  EXPECT_EQ(v.problem, "audit entry 2: its hash does not match its contents (changed)");
}

TEST_F(AuditChainTest, RemovedNewestEntriesAreNamed) {
  SQLite::Database db = unguarded();
  db.exec("DELETE FROM secrets_audit WHERE seq >= 5");
  AuditVerification v = verify();
  EXPECT_EQ(v.first_broken, 5);
  EXPECT_EQ(v.problem,
            "audit entry 5: missing (removed): the chain ends at entry 4 but the newest recorded "
            "entry is 6");
  // New entries chain onto the recorded head, so the gap stays visible.
  get("/svc/a");
  v = verify();
  EXPECT_EQ(v.first_broken, 5);
  EXPECT_EQ(v.problem, "audit entry 5: missing (removed): entry 4 is followed by entry 7");
}

TEST_F(AuditChainTest, EveryEntryRemovedIsNamed) {
  SQLite::Database db = unguarded();
  db.exec("DELETE FROM secrets_audit");
  AuditVerification v = verify();
  EXPECT_EQ(v.first_broken, 1);
  EXPECT_EQ(v.problem,
            "audit entry 1: missing (removed): the chain ends at entry 0 but the newest recorded "
            "entry is 6");
}

TEST_F(AuditChainTest, ReorderedEntriesAreNamed) {
  SQLite::Database db = unguarded();
  // Entries 3 and 4 trade places: each keeps its own fields and hashes, under the other's seq.
  db.exec("UPDATE secrets_audit SET seq = -3 WHERE seq = 3");
  db.exec("UPDATE secrets_audit SET seq = 3 WHERE seq = 4");
  db.exec("UPDATE secrets_audit SET seq = 4 WHERE seq = -3");
  AuditVerification v = verify();
  EXPECT_EQ(v.first_broken, 3);
  EXPECT_EQ(v.problem, "audit entry 3: its hash does not match its contents (changed)");
}

TEST_F(AuditChainTest, AHeadRewrittenToMatchIsStillCaught) {
  SQLite::Database db = unguarded();
  db.exec("UPDATE secrets_meta SET value = 'garbage' WHERE key = 'audit_head'");
  AuditVerification v = verify();
  EXPECT_EQ(v.first_broken, 7);
  EXPECT_EQ(v.problem, "the record of the newest audit entry is unreadable (changed)");
  // And no further entry is written onto an unreadable head: the read fails instead.
  Result<SecretBytes> r = store_->get("app", "/svc/a");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("the recorded newest entry is unreadable"), std::string::npos)
      << r.status().message();
}

TEST(AuditChain, VerifyChainOnRows) {
  const SecretBytes key = SecretBytes::random(32);
  std::vector<AuditRow> rows;
  std::string prev;
  for (int64_t seq = 1; seq <= 3; ++seq) {
    AuditRow r{seq, 1000 + seq, "a", "get", "/p", 1, "ok", prev, ""};
    r.hash = auditHash(key, r);
    prev = r.hash;
    rows.push_back(r);
  }
  const std::string head = auditHeadText(3, prev);
  EXPECT_TRUE(verifyChain(key, rows, head).ok());
  EXPECT_EQ(verifyChain(SecretBytes::random(32), rows, head).first_broken, 1);
  // A row whose hash is right for its fields but chained after the wrong entry.
  std::vector<AuditRow> relinked = rows;
  relinked[2].prev_hash = rows[0].hash;
  relinked[2].hash = auditHash(key, relinked[2]);
  AuditVerification v = verifyChain(key, relinked, auditHeadText(3, relinked[2].hash));
  EXPECT_EQ(v.first_broken, 3);
  EXPECT_EQ(v.problem,
            "audit entry 3: does not follow entry 2 (reordered, or an entry before it was "
            "replaced)");
  int64_t seq = 0;
  std::string hash;
  EXPECT_TRUE(parseAuditHead(head, seq, hash));
  EXPECT_EQ(seq, 3);
  EXPECT_EQ(hash, prev);
  EXPECT_FALSE(parseAuditHead("3:zz", seq, hash));
  EXPECT_FALSE(parseAuditHead(":" + head.substr(2), seq, hash));
  EXPECT_TRUE(parseAuditHead("", seq, hash));
  EXPECT_EQ(seq, 0);
}

}  // namespace
}  // namespace shipgate::secrets
