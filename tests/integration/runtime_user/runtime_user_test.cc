// container_security.non_root_user through the real binary. `shipgate serve` runs as root here
// (server.allow_root: true; CI runs as root) and deploys the real coinestate API as a process
// release; the test reads the uid the release's process runs with from /proc/PID/status.
//   - non_root_user: true and runtime.user: nobody -> the replica runs with nobody's uid and gid;
//   - non_root_user: true and no user -> the start step fails with the reason, nothing runs;
//   - non_root_user: false, no user -> the replica runs as root, as before.
#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "release_util.h"

namespace releasetest {
namespace {

using nlohmann::json;

// The pids whose working directory is `dir` (a replica runs in its release directory).
std::vector<pid_t> pidsIn(const std::string& dir) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    char buf[4096];
    std::string link = std::string("/proc/") + e->d_name + "/cwd";
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n <= 0) continue;
    buf[n] = '\0';
    if (dir == buf) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return out;
}

// The real uid and gid of a process ("Uid:\t<real>\t<effective>...").
std::pair<long, long> idsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  long uid = -1, gid = -1;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string key;
    f >> key;
    if (key == "Uid:") f >> uid;
    if (key == "Gid:") f >> gid;
  }
  return {uid, gid};
}

// The pids the deployment's start step recorded (its evidence).
std::vector<pid_t> startedPids(Deployer& d, const std::string& out) {
  json rec = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(out));
  std::vector<pid_t> pids;
  for (const auto& st : rec["steps"]) {
    if (st["name"] != "start" || !st["evidence"].contains("pids")) continue;
    for (const auto& p : st["evidence"]["pids"]) pids.push_back(p.get<pid_t>());
  }
  return pids;
}

Deployer::Settings settings(bool non_root, const std::string& user) {
  Deployer::Settings s;
  s.approval = "none";
  s.replicas = 1;
  if (non_root) s.sections = "container_security: {non_root_user: true}\n";
  if (!user.empty()) s.runtime_yaml = "        user: " + user + "\n";
  return s;
}

// The release directory must be reachable by the release's user: the test's temp dir is 0700.
void openUp(const Deployer& d) { ::chmod(d.dir().path().c_str(), 0755); }

TEST(RuntimeUser, NonRootUserRunsTheReleaseAsTheConfiguredUser) {
  ASSERT_EQ(::geteuid(), 0u) << "this test checks the drop from root (CI runs as root)";
  struct passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  const long nobody_uid = nobody->pw_uid, nobody_gid = nobody->pw_gid;
  Deployer d(settings(true, "nobody"));
  openUp(d);
  ASSERT_TRUE(d.startServe());
  const std::string dir = d.releaseDir("v1");
  CliResult v1 = deploy(d, "v1");
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  EXPECT_EQ(d.servedVersion(), "v1");
  std::vector<pid_t> pids = startedPids(d, v1.out);
  ASSERT_EQ(pids.size(), 1u) << "one replica";
  EXPECT_EQ(pidsIn(dir), pids) << "the replica runs in its release directory";
  EXPECT_EQ(idsOf(pids[0]), std::make_pair(nobody_uid, nobody_gid));
}

TEST(RuntimeUser, NonRootUserWithoutAUserIsRefusedAtStart) {
  ASSERT_EQ(::geteuid(), 0u) << "this test checks the refusal under root (CI runs as root)";
  Deployer d(settings(true, ""));
  openUp(d);
  ASSERT_TRUE(d.startServe());
  const std::string dir = d.releaseDir("v1");
  CliResult v1 = deploy(d, "v1");
  EXPECT_EQ(v1.exit_code, 1) << v1.out << v1.err;
  const std::string why =
      "container_security.non_root_user is true and no user is configured for app api";
  EXPECT_NE(v1.out.find(why), std::string::npos) << v1.out;
  json rec = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(v1.out));
  EXPECT_EQ(rec["state"], "failed") << rec.dump(2);
  bool start_failed = false;
  for (const auto& st : rec["steps"]) {
    if (st["name"] == "start") {
      start_failed = st["state"] == "failed" &&
                     st["result"].get<std::string>().find(why) != std::string::npos;
    }
  }
  EXPECT_TRUE(start_failed) << rec.dump(2);
  EXPECT_TRUE(pidsIn(dir).empty());
}

// The release directory is the user's to read: a directory it cannot enter fails the start step
// with the account and the system's reason, instead of a replica that never answers.
TEST(RuntimeUser, AReleaseDirectoryTheUserCannotReachFailsTheStartStep) {
  ASSERT_EQ(::geteuid(), 0u) << "this test checks the drop from root (CI runs as root)";
  struct passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  Deployer d(settings(true, "nobody"));  // the test's temp dir stays 0700 (root's)
  ASSERT_TRUE(d.startServe());
  CliResult v1 = deploy(d, "v1");
  EXPECT_EQ(v1.exit_code, 1) << v1.out << v1.err;
  EXPECT_NE(v1.out.find("as uid " + std::to_string(nobody->pw_uid)), std::string::npos) << v1.out;
  EXPECT_NE(v1.out.find("Permission denied"), std::string::npos) << v1.out;
}

TEST(RuntimeUser, WithoutNonRootUserTheReleaseRunsAsBefore) {
  Deployer d(settings(false, ""));
  openUp(d);
  ASSERT_TRUE(d.startServe());
  const std::string dir = d.releaseDir("v1");
  CliResult v1 = deploy(d, "v1");
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  std::vector<pid_t> pids = startedPids(d, v1.out);
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_EQ(idsOf(pids[0]).first, static_cast<long>(::geteuid()));
}

}  // namespace
}  // namespace releasetest
