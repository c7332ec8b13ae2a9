// Secrets in release processes through the real binary: a value put with `shipgate secrets put`
// (stdin) reaches the release processes' environment through `env: {DATABASE_URL:
// "secret:/..."}` and nowhere else — not a file under the test's directory (state.db and its
// -wal/-shm, the release logs, serve's stdout/stderr), not a process's command line, not another
// process's environment, not /metrics, not an admin API answer — in its plain, hex and base64
// spellings. Then the rolling restart: a new version of the secret redeploys the live version
// (actor "secrets") under load with no failed request, and the new processes hold the new value.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "release_util.h"
#include "support/process.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kPath = "/coinestate/prod/database/url";

std::string randomValue() {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string v = "postgres://app:";
  for (int i = 0; i < 28; ++i) v += kAlphabet[rd() % (sizeof kAlphabet - 1)];
  return v + "@db.internal/coinestate";
}

std::string hexOf(const std::string& s, bool upper) {
  static const char* lower_digits = "0123456789abcdef";
  static const char* upper_digits = "0123456789ABCDEF";
  const char* d = upper ? upper_digits : lower_digits;
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string base64Of(const std::string& s) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t n = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
    out += t[n >> 18];
    out += t[(n >> 12) & 63];
    out += t[(n >> 6) & 63];
    out += t[n & 63];
  }
  if (i < s.size()) {
    uint32_t n = uint8_t(s[i]) << 16;
    if (i + 1 < s.size()) n |= uint8_t(s[i + 1]) << 8;
    out += t[n >> 18];
    out += t[(n >> 12) & 63];
    out += i + 1 < s.size() ? t[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The spellings searched for: plain, hex (both cases), base64 (without its padding, which
// depends on what follows), and the middle of the value (a leak of a fragment).
std::vector<std::string> spellingsOf(const std::string& v) {
  std::string b64 = base64Of(v);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return {v, hexOf(v, false), hexOf(v, true), b64, v.substr(15, 28)};
}

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Where any spelling of `value` occurs in `text` ("" when nowhere).
std::string findSpelling(const std::string& text, const std::string& value) {
  for (const auto& s : spellingsOf(value)) {
    if (text.find(s) != std::string::npos) return s == value ? "plain" : "spelling " + s;
  }
  return "";
}

// `shipgate secrets put PATH` with the value on its stdin (never in an argument).
int putSecret(Deployer& d, const std::string& value) {
  const std::string cmd = "\"" + testsupport::buildDir() + "/shipgate\" secrets --config \"" +
                          d.configPath() + "\" --actor ci-bot put " + kPath + " >/dev/null";
  FILE* p = ::popen(cmd.c_str(), "w");
  if (p == nullptr) return -1;
  ::fwrite(value.data(), 1, value.size(), p);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The pids of the start step of deployment `id`.
std::vector<int> startPids(Deployer& d, const std::string& id) {
  json dep = d.apiJson("GET", "/api/v1/deployments/" + id);
  std::vector<int> pids;
  for (const auto& s : dep.value("steps", json::array())) {
    if (s.value("name", "") == "start" && s.contains("evidence") &&
        s["evidence"].contains("pids")) {
      for (const auto& p : s["evidence"]["pids"]) pids.push_back(p.get<int>());
    }
  }
  return pids;
}

// The value of NAME in /proc/PID/environ ("<unreadable>" / "<unset>").
std::string environOf(int pid, const std::string& name) {
  std::string env = readAll("/proc/" + std::to_string(pid) + "/environ");
  if (env.empty()) return "<unreadable>";
  size_t start = 0;
  while (start < env.size()) {
    size_t end = env.find('\0', start);
    if (end == std::string::npos) end = env.size();
    std::string_view entry(env.data() + start, end - start);
    if (entry.substr(0, name.size() + 1) == name + "=") {
      return std::string(entry.substr(name.size() + 1));
    }
    start = end + 1;
  }
  return "<unset>";
}

Deployer::Settings leakSettings() {
  Deployer::Settings s;
  s.approval = "none";
  s.bake = "1s";
  s.scale_down_delay = "1s";
  s.replicas = 2;
  s.runtime_yaml =
      "        env: {DATABASE_URL: \"secret:/coinestate/prod/database/url\", "
      "DB_HOST: \"${SECRETS_LEAK_DB_HOST}\", NODE_ENV: production}\n";
  s.serve_env = {{"SECRETS_LEAK_DB_HOST", "db.internal"}};
  return s;
}

// Writes the key file and the secrets: section into the deployer's settings.
void addSecretsSection(Deployer& d) {
  const std::string key = d.dir().file("secrets.key");
  auto r = testsupport::runToEnd(
      {testsupport::buildDir() + "/shipgate", "secrets", "init-key", key}, 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  d.settings().sections = "secrets:\n  key_file: \"" + key +
                          "\"\n  access:\n    - {environment: production, prefix: "
                          "/coinestate/prod/}\n";
}

TEST(SecretsLeak, ADeployWithSecretsLeaksTheValueNowhere) {
  Deployer d(leakSettings());
  addSecretsSection(d);
  ASSERT_TRUE(d.startServe()) << d.serveLogs();
  const std::string value = randomValue();
  ASSERT_EQ(putSecret(d, value), 0);

  CliResult r = deploy(d, "v1");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d.serveLogs();
  const std::string id = acceptedId(r.out);
  ASSERT_FALSE(id.empty()) << r.out;
  json dep = d.waitForState(id, {"succeeded", "failed", "rolled_back"}, 60s);
  ASSERT_EQ(dep.value("state", ""), "succeeded") << dep.dump(2) << d.serveLogs();
  ASSERT_EQ(d.servedVersion(), "v1");

  // The release processes got it, and ${VAR} was filled from serve's environment.
  const std::vector<int> release_pids = startPids(d, id);
  ASSERT_EQ(release_pids.size(), 2u) << dep.dump(2);
  for (int pid : release_pids) {
    EXPECT_EQ(environOf(pid, "DATABASE_URL"), value) << "pid " << pid;
    EXPECT_EQ(environOf(pid, "DB_HOST"), "db.internal") << "pid " << pid;
  }

  // Every file under the test's directory: state.db (-wal, -shm), release logs, serve's output,
  // the config, the release directories.
  int files = 0;
  std::set<std::string> seen_names;
  for (const auto& e : fs::recursive_directory_iterator(d.dir().path())) {
    if (!e.is_regular_file()) continue;
    ++files;
    seen_names.insert(e.path().filename().string());
    const std::string hit = findSpelling(readAll(e.path().string()), value);
    EXPECT_EQ(hit, "") << e.path();
  }
  EXPECT_TRUE(seen_names.count("state.db")) << "the state database was not scanned";
  EXPECT_TRUE(seen_names.count("replica-0.log")) << "no release log was scanned";
  EXPECT_GE(files, 8);

  // Every process's command line; every process's environment but the release processes'.
  const std::set<int> release(release_pids.begin(), release_pids.end());
  int cmdlines = 0, environs = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    const std::string cmdline = readAll("/proc/" + name + "/cmdline");
    if (!cmdline.empty()) ++cmdlines;
    EXPECT_EQ(findSpelling(cmdline, value), "") << "/proc/" << name << "/cmdline";
    if (release.count(pid) != 0) continue;
    const std::string environ = readAll("/proc/" + name + "/environ");
    if (!environ.empty()) ++environs;
    EXPECT_EQ(findSpelling(environ, value), "") << "/proc/" << name << "/environ";
  }
  EXPECT_GE(cmdlines, 3);
  EXPECT_GE(environs, 2);  // at least this test and shipgate serve

  // /metrics and the admin API's answers.
  for (const std::string& path :
       {std::string("/metrics"), std::string("/api/v1/status"), std::string("/api/v1/deployments"),
        "/api/v1/deployments/" + id, "/api/v1/deployments/" + id + "/events",
        std::string("/api/v1/apps/api/releases"), std::string("/api/v1/incidents"),
        std::string("/api/v1/secrets/?recursive=1&deleted=1"),
        std::string("/api/v1/secrets/coinestate/prod/database/url:history"),
        std::string("/api/v1/secrets:audit")}) {
    auto a = d.api("GET", path);
    EXPECT_EQ(a.status, 200) << path << ": " << a.body;
    EXPECT_EQ(findSpelling(a.raw, value), "") << path;
  }
  // Without the bearer token, the secrets routes answer 401 like every admin call.
  auto anonymous = testsupport::httpRequest(d.adminPort(), "GET",
                                            std::string("/api/v1/secrets") + kPath, {}, "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(findSpelling(anonymous.raw, value), "");
  // The one answer that is the value: GET of the path.
  auto got = d.api("GET", std::string("/api/v1/secrets") + kPath);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, value);
  // And the CLI's deploy output.
  EXPECT_EQ(findSpelling(r.out + r.err, value), "");
  ASSERT_TRUE(d.stopServe().has_value());
  // After the stop, the files once more (serve's last lines, the checkpointed database).
  for (const auto& e : fs::recursive_directory_iterator(d.dir().path())) {
    if (!e.is_regular_file()) continue;
    EXPECT_EQ(findSpelling(readAll(e.path().string()), value), "") << e.path();
  }
}

TEST(SecretsLeak, AForbiddenOrMissingSecretFailsTheStartNamingThePath) {
  Deployer d(leakSettings());
  addSecretsSection(d);
  ASSERT_TRUE(d.startServe()) << d.serveLogs();
  // Missing: nothing was put yet.
  CliResult r = deploy(d, "v1");
  const std::string id = acceptedId(r.out);
  ASSERT_FALSE(id.empty()) << r.out << r.err;
  json dep = d.waitForState(id, {"succeeded", "failed", "rolled_back"}, 60s);
  EXPECT_EQ(dep.value("state", ""), "failed") << dep.dump(2);
  std::string start_result;
  for (const auto& s : dep.value("steps", json::array())) {
    if (s.value("name", "") == "start") start_result = s.value("result", "");
  }
  EXPECT_EQ(start_result,
            "env DATABASE_URL: secret /coinestate/prod/database/url: no secret at "
            "/coinestate/prod/database/url");
  ASSERT_TRUE(d.stopServe().has_value());

  // Forbidden: the app's environment may read only /coinestate/staging/.
  const std::string value = randomValue();
  ASSERT_EQ(putSecret(d, value), 0);
  auto& sections = d.settings().sections;
  sections.replace(sections.find("/coinestate/prod/}"), 18, "/coinestate/staging/}");
  ASSERT_TRUE(d.startServe()) << d.serveLogs();
  r = deploy(d, "v2");
  const std::string id2 = acceptedId(r.out);
  ASSERT_FALSE(id2.empty()) << r.out << r.err;
  dep = d.waitForState(id2, {"succeeded", "failed", "rolled_back"}, 60s);
  EXPECT_EQ(dep.value("state", ""), "failed") << dep.dump(2);
  for (const auto& s : dep.value("steps", json::array())) {
    if (s.value("name", "") == "start") start_result = s.value("result", "");
  }
  EXPECT_EQ(start_result,
            "env DATABASE_URL: secret /coinestate/prod/database/url: apps of environment "
            "production may not read it (no secrets.access rule allows it)");
  EXPECT_EQ(findSpelling(dep.dump() + d.serveLogs(), value), "");
}

TEST(SecretsLeak, ANewVersionRedeploysTheLiveReleaseWithNoFailedRequest) {
  Deployer::Settings s = leakSettings();
  s.release_yaml = "      restart_on_secret_change: true\n";
  Deployer d(s);
  addSecretsSection(d);
  ASSERT_TRUE(d.startServe()) << d.serveLogs();
  const std::string first = randomValue();
  ASSERT_EQ(putSecret(d, first), 0);
  CliResult r = deploy(d, "v1");
  const std::string id = acceptedId(r.out);
  ASSERT_FALSE(id.empty()) << r.out << r.err;
  json dep = d.waitForState(id, {"succeeded", "failed", "rolled_back"}, 60s);
  ASSERT_EQ(dep.value("state", ""), "succeeded") << dep.dump(2) << d.serveLogs();
  for (int pid : startPids(d, id)) EXPECT_EQ(environOf(pid, "DATABASE_URL"), first);
  // Let the watcher take its baseline.
  std::this_thread::sleep_for(2500ms);
  auto listed = d.apiJson("GET", "/api/v1/deployments?app=api");
  ASSERT_EQ(listed["deployments"].size(), 1u) << listed.dump(2);

  Load load(d.httpPort());
  waitForAnswers(load, 50);
  const std::string second = randomValue();
  ASSERT_EQ(putSecret(d, second), 0);

  // The watcher notices and redeploys v1 as actor "secrets".
  std::string redeploy_id;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (redeploy_id.empty() && std::chrono::steady_clock::now() < deadline) {
    listed = d.apiJson("GET", "/api/v1/deployments?app=api");
    for (const auto& x : listed.value("deployments", json::array())) {
      if (x.value("actor", "") == "secrets") redeploy_id = x.value("id", "");
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_FALSE(redeploy_id.empty()) << listed.dump(2) << d.serveLogs();
  dep = d.waitForState(redeploy_id, {"succeeded", "failed", "rolled_back"}, 90s);
  ASSERT_EQ(dep.value("state", ""), "succeeded") << dep.dump(2) << d.serveLogs();
  waitForAnswers(load, 50);
  load.stop();
  EXPECT_EQ(dep.value("version", ""), "v1");
  EXPECT_EQ(dep.value("reason", ""), "secret /coinestate/prod/database/url changed (version 2)");
  const auto statuses = load.statuses();
  EXPECT_EQ(statuses.size(), 1u) << load.describe();
  EXPECT_GT(statuses.count(200) ? statuses.at(200) : 0, 100) << load.describe();
  EXPECT_EQ(d.servedVersion(), "v1");

  // The new processes hold the new value.
  const std::vector<int> pids = startPids(d, redeploy_id);
  ASSERT_EQ(pids.size(), 2u);
  for (int pid : pids) EXPECT_EQ(environOf(pid, "DATABASE_URL"), second) << "pid " << pid;

  // Exactly one redeploy, and the audit log records it (actor, action, reason; no value).
  listed = d.apiJson("GET", "/api/v1/deployments?app=api");
  EXPECT_EQ(listed["deployments"].size(), 2u) << listed.dump(2);
  ASSERT_TRUE(d.stopServe().has_value());
  SQLite::Database db(d.stateDir() + "/state.db", SQLite::OPEN_READONLY);
  SQLite::Statement q(
      db, "SELECT actor, action, subject, reason FROM audit_log WHERE actor = 'secrets'");
  int rows = 0;
  while (q.executeStep()) {
    ++rows;
    EXPECT_EQ(q.getColumn(1).getString(), "redeploy");
    EXPECT_EQ(q.getColumn(2).getString(), redeploy_id);
    EXPECT_EQ(q.getColumn(3).getString(),
              "secret /coinestate/prod/database/url changed (version 2)");
  }
  EXPECT_EQ(rows, 1);
  for (const auto& e : fs::recursive_directory_iterator(d.dir().path())) {
    if (!e.is_regular_file()) continue;
    const std::string text = readAll(e.path().string());
    EXPECT_EQ(findSpelling(text, first), "") << e.path();
    EXPECT_EQ(findSpelling(text, second), "") << e.path();
  }
}

}  // namespace
}  // namespace releasetest
