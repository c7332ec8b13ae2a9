// `shipgate secrets` through the real binary on a temporary state directory: values in from
// stdin and --from-file, out raw on stdout; versions, CAS, labels, soft delete, destroy, root key
// rotation, audit verification, and exit statuses 0 / 1 / 2. A value never reaches stderr.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/process.h"

namespace {

using testsupport::buildDir;

using CliRun = testsupport::RunResult;

CliRun run(std::vector<std::string> argv) {
  return testsupport::runToEnd(std::move(argv), std::chrono::seconds(30));
}

class SecretsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    CliRun init = secrets({"init-key", dir_.file("root.key")}, false);
    ASSERT_EQ(init.code, 0) << init.err;
    config_ = dir_.writeFile("s.yaml",
                             "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n"
                             "state: {dir: state}\n"
                             "secrets:\n"
                             "  key_file: root.key\n"
                             "  access: [{environment: production, prefix: /app/prod/}]\n");
    ASSERT_FALSE(config_.empty());
  }

  CliRun secrets(std::vector<std::string> args, bool with_config = true) {
    std::vector<std::string> argv = {buildDir() + "/shipgate", "secrets"};
    if (with_config) {
      argv.push_back("--config");
      argv.push_back(config_);
      argv.push_back("--actor");
      argv.push_back("tester");
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }

  // `printf %s VALUE | shipgate secrets --config C --actor tester put PATH [extra...]`
  CliRun putFromStdin(const std::string& path, const std::string& value,
                      std::vector<std::string> extra = {}) {
    std::string cmd = "printf %s \"$1\" | \"$0\" secrets --config \"$2\" --actor tester put \"$3\"";
    for (const std::string& e : extra) cmd += " " + e;
    return run({"/bin/sh", "-c", cmd, buildDir() + "/shipgate", value, config_, path});
  }

  testsupport::TempDir dir_{"shipgate-secrets-cli"};
  std::string config_;
};

TEST_F(SecretsCli, PutGetVersionsLabelsAndCas) {
  CliRun put = putFromStdin("/app/prod/db/url", "postgres://u:first@db/app");
  ASSERT_EQ(put.code, 0) << put.err;
  EXPECT_EQ(put.out, "/app/prod/db/url version 1\n");
  const std::string file = dir_.writeFile("v2", "second\nline");
  CliRun put2 = secrets({"put", "/app/prod/db/url", "--from-file", file, "--cas", "1"});
  ASSERT_EQ(put2.code, 0) << put2.err;
  CliRun stale = secrets({"put", "/app/prod/db/url", "--from-file", file, "--cas", "1"});
  EXPECT_EQ(stale.code, 1);
  EXPECT_EQ(stale.err,
            "shipgate secrets: check-and-set: /app/prod/db/url is at version 2, not 1\n");

  EXPECT_EQ(secrets({"get", "/app/prod/db/url"}).out, "second\nline");
  EXPECT_EQ(secrets({"get", "/app/prod/db/url", "--version", "1"}).out,
            "postgres://u:first@db/app");
  ASSERT_EQ(secrets({"label", "/app/prod/db/url", "1", "stable"}).code, 0);
  EXPECT_EQ(secrets({"get", "/app/prod/db/url", "--label", "stable"}).out,
            "postgres://u:first@db/app");
  CliRun history = secrets({"history", "/app/prod/db/url"});
  EXPECT_EQ(history.code, 0);
  EXPECT_NE(history.out.find("tester\tstable\n"), std::string::npos) << history.out;
  CliRun list = secrets({"list", "/app", "--recursive"});
  EXPECT_EQ(list.code, 0);
  EXPECT_EQ(list.out.rfind("/app/prod/db/url\tv2\t", 0), 0u) << list.out;
  EXPECT_EQ(list.out.find("postgres"), std::string::npos);

  // Values only from stdin or a file: an extra argument is a usage error.
  EXPECT_EQ(secrets({"put", "/app/prod/x", "the-value"}).code, 2);
  EXPECT_EQ(secrets({"get", "/app//x"}).code, 2);
  CliRun missing = secrets({"get", "/app/prod/none"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "shipgate secrets: no secret at /app/prod/none\n");
}

TEST_F(SecretsCli, SoftDeleteDestroyRotationAndAudit) {
  ASSERT_EQ(putFromStdin("/app/prod/key", "k1").code, 0);
  ASSERT_EQ(putFromStdin("/app/prod/key", "k2").code, 0);
  ASSERT_EQ(secrets({"rm", "/app/prod/key"}).code, 0);
  CliRun deleted = secrets({"get", "/app/prod/key"});
  EXPECT_EQ(deleted.code, 1);
  EXPECT_EQ(deleted.out, "");
  ASSERT_EQ(secrets({"undelete", "/app/prod/key"}).code, 0);
  ASSERT_EQ(secrets({"destroy", "/app/prod/key", "--version", "1"}).code, 0);
  EXPECT_EQ(secrets({"get", "/app/prod/key", "--version", "1"}).err,
            "shipgate secrets: /app/prod/key version 1 was destroyed\n");

  ASSERT_EQ(secrets({"init-key", dir_.file("new.key")}, false).code, 0);
  CliRun rotate = secrets({"rotate-key", "--new-key-file", dir_.file("new.key")});
  ASSERT_EQ(rotate.code, 0) << rotate.err;
  CliRun old_key = secrets({"get", "/app/prod/key"});
  EXPECT_EQ(old_key.code, 2);
  EXPECT_NE(old_key.err.find("is not the store's"), std::string::npos) << old_key.err;
  config_ =
      dir_.writeFile("s.yaml", testsupport::readFile(config_).replace(
                                   testsupport::readFile(config_).find("root.key"), 8, "new.key"));
  EXPECT_EQ(secrets({"get", "/app/prod/key"}).out, "k2");

  CliRun audit = secrets({"audit", "--verify"});
  EXPECT_EQ(audit.code, 0) << audit.err;
  EXPECT_EQ(audit.out.rfind("audit chain intact: ", 0), 0u) << audit.out;

  ASSERT_EQ(::chmod(dir_.file("new.key").c_str(), 0640), 0);
  CliRun loose = secrets({"list", "/"});
  EXPECT_EQ(loose.code, 2);
  EXPECT_NE(loose.err.find("has mode 0640"), std::string::npos) << loose.err;

  const std::string state = testsupport::readFile(dir_.file("state/state.db")) +
                            testsupport::readFile(dir_.file("state/state.db-wal"));
  ASSERT_FALSE(state.empty());
  EXPECT_EQ(state.find("k2"), std::string::npos);
}

}  // namespace
