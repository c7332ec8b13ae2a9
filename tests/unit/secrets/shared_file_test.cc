// The secrets backend shares state.db with the state store in `shipgate serve`, and the CLI
// writes the same file from another process. Opening the backend in a process that already has
// the file open must not drop that process's locks: a write from another process (here a forked
// child with its own connection, as `shipgate secrets put` is) stays visible, and the WAL stays
// on disk.
#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "shipgate/common/clock.h"
#include "shipgate/secrets/root_key.h"
#include "shipgate/secrets/secrets_store.h"
#include "shipgate/secrets/sqlite_secrets_backend.h"
#include "support/paths.h"

namespace shipgate::secrets {
namespace {

// The other process: this test binary run again with SG_SHARED_FILE_DIR set puts
// SG_SHARED_FILE_VALUE at /app/db/url with the key file SG_SHARED_FILE_KEY, then exits (before
// main: no test runs). A fresh exec, as `shipgate secrets put` is: a forked copy of this process
// would share SQLite's in-memory lock bookkeeping.
const bool kRunAsOtherProcess = [] {
  const char* dir = std::getenv("SG_SHARED_FILE_DIR");
  if (dir == nullptr) return false;
  auto root = RootKey::loadKeyFile(std::getenv("SG_SHARED_FILE_KEY"));
  if (!root.isOk()) ::_exit(2);
  auto backend = SqliteSecretsBackend::open(dir);
  if (!backend.isOk()) ::_exit(3);
  SimulatedClock clock;
  auto store = SecretsStore::open(std::move(backend).value(), *root, clock);
  if (!store.isOk()) ::_exit(4);
  auto v =
      (*store)->put("cli", "/app/db/url", SecretBytes::copyOf(std::getenv("SG_SHARED_FILE_VALUE")));
  store->reset();
  ::_exit(v.isOk() ? 0 : 5);
}();

int putInOtherProcess(const std::string& dir, const std::string& key, const std::string& value) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("SG_SHARED_FILE_DIR", dir.c_str(), 1);
    ::setenv("SG_SHARED_FILE_KEY", key.c_str(), 1);
    ::setenv("SG_SHARED_FILE_VALUE", value.c_str(), 1);
    char* argv[] = {const_cast<char*>("secrets_test"), nullptr};
    ::execv("/proc/self/exe", argv);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SecretsSharedFile, AnotherProcessesWritesStayVisible) {
  testsupport::TempDir dir("shipgate-secrets-shared");
  ASSERT_TRUE(dir.ok());
  const std::string key = dir.path() + "/root.key";
  ASSERT_TRUE(RootKey::writeKeyFile(key).isOk());
  auto root = RootKey::loadKeyFile(key);
  ASSERT_TRUE(root.isOk());
  // The first connection of this process (as the state store's in serve), in WAL mode.
  std::filesystem::create_directories(dir.path());
  SQLite::Database first(dir.path() + "/state.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  first.exec("PRAGMA journal_mode=WAL");
  first.exec("CREATE TABLE IF NOT EXISTS other (x INTEGER)");
  // Then the secrets store on the same file.
  auto backend = SqliteSecretsBackend::open(dir.path());
  ASSERT_TRUE(backend.isOk()) << backend.status().message();
  SimulatedClock clock;
  auto store = SecretsStore::open(std::move(backend).value(), *root, clock);
  ASSERT_TRUE(store.isOk()) << store.status().message();

  ASSERT_EQ(putInOtherProcess(dir.path(), key, "one"), 0);
  ASSERT_EQ(putInOtherProcess(dir.path(), key, "two"), 0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/state.db-wal"));
  auto meta = (*store)->peekMetadata("/app/db/url");
  ASSERT_TRUE(meta.isOk()) << meta.status().message();
  ASSERT_TRUE(meta->has_value());
  EXPECT_EQ((*meta)->current_version, 2);
  auto v = (*store)->get("serve", "/app/db/url");
  ASSERT_TRUE(v.isOk()) << v.status().message();
  EXPECT_EQ(v->view(), "two");
}

TEST(SecretsSharedFile, PeekMetadataIsMetadataOnlyAndUnaudited) {
  testsupport::TempDir dir("shipgate-secrets-peek");
  ASSERT_TRUE(dir.ok());
  auto backend = SqliteSecretsBackend::open(dir.path());
  ASSERT_TRUE(backend.isOk());
  SimulatedClock clock;
  auto store = SecretsStore::open(std::move(backend).value(), RootKey::random(), clock);
  ASSERT_TRUE(store.isOk());
  SecretsStore& s = **store;
  auto none = s.peekMetadata("/app/x");
  ASSERT_TRUE(none.isOk());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(s.peekMetadata("app/x").status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(s.put("a", "/app/x", SecretBytes::copyOf("v")).isOk());
  auto before = s.verifyAudit();
  ASSERT_TRUE(before.isOk());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.peekMetadata("/app/x").isOk());
  auto after = s.verifyAudit();
  EXPECT_EQ(after->entries, before->entries);
  ASSERT_TRUE(s.remove("a", "/app/x").isOk());
  auto deleted = s.peekMetadata("/app/x");
  ASSERT_TRUE(deleted.isOk());
  EXPECT_NE((*deleted)->deleted_at, 0);
}

}  // namespace
}  // namespace shipgate::secrets
