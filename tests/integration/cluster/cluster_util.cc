#include "cluster/cluster_util.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "support/net.h"

namespace clustertest {

using namespace std::chrono_literals;
using nlohmann::json;

const std::vector<std::string> kTerminal = {"succeeded", "failed", "rejected", "rolled_back"};

Cluster::Cluster(Settings settings) : settings_(std::move(settings)) {
  ports_ = releasetest::freePortRange(16);
  std::random_device rd;
  for (int i = 0; i < 32; ++i) token_.push_back("0123456789abcdef"[rd() % 16]);
  dir_.writeFile("admin.token", token_ + "\n");
  ::chmod(dir_.file("admin.token").c_str(), 0600);
  for (int i = 0; i < settings_.nodes; ++i) {
    Node n;
    n.id = std::string("node-") + static_cast<char>('a' + i);
    n.http = testsupport::freePort();
    n.admin = testsupport::freePort();
    nodes_.push_back(std::move(n));
  }
}

Cluster::~Cluster() {
  for (auto& n : nodes_) {
    if (n.serve) n.serve->stop(SIGTERM, 15s);
  }
}

::testing::AssertionResult Cluster::startDatabase() { return pg_.start(); }

std::string Cluster::configPath(int i) const { return dir_.file(nodes_[i].id + ".yaml"); }

std::string Cluster::yaml(int i) const {
  const Node& n = nodes_[i];
  std::ostringstream y;
  y << "server: {workers: 1, allow_root: true}\n"
    << "listeners: [{name: http, address: \"127.0.0.1:" << n.http << "\"}]\n"
    << "admin: {address: \"127.0.0.1:" << n.admin << "\", token_file: \""
    << dir_.file("admin.token") << "\"}\n"
    << "state: {dir: \"" << dir_.file(n.id + "-state") << "\", url: \"" << pg_.url() << "\"}\n"
    << "environments:\n"
    << "  production: {approval: " << settings_.approval << ", bake: " << settings_.bake
    << ", triggers: true, scale_down_delay: " << settings_.scale_down_delay << "}\n"
    << "sites:\n"
    << "  - {name: api, hosts: [api.test], path_prefix: /api/, app: api}\n"
    << "apps:\n"
    << "  api:\n"
    << "    environment: production\n"
    << "    release:\n"
    << "      runtime:\n"
    << "        kind: process\n"
    << "        command: \"{release_dir}/run --listen 127.0.0.1:{port} --version {version}\"\n"
    << "        replicas: 2\n"
    << "        ports: \"" << ports_.first << "-" << ports_.second << "\"\n"
    << "        stop_grace: 2s\n"
    << "        restart: {initial_backoff: 50ms, max_backoff: 200ms, crash_loop_restarts: 3, "
       "crash_loop_window: 30s}\n"
    << "      smoke:\n"
    << "        - {path: /api/health, expect_status: 200, expect_body: ok}\n";
  return y.str();
}

::testing::AssertionResult Cluster::startNode(int i) {
  Node& n = nodes_[i];
  if (n.serve && n.serve->isRunning()) return ::testing::AssertionFailure() << n.id << " runs";
  dir_.writeFile(n.id + ".yaml", yaml(i));
  ++n.starts;
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/shipgate", "serve", "--config", configPath(i)};
  o.cwd = dir_.path();
  o.stdout_path = dir_.file(n.id + "-" + std::to_string(n.starts) + ".out");
  o.stderr_path = dir_.file(n.id + "-" + std::to_string(n.starts) + ".err");
  o.stop_timeout = 15000ms;
  o.env = {{"SHIPGATE_NODE_ID", n.id}};
  n.serve = std::make_unique<testsupport::Process>(o);
  auto started = n.serve->start();
  if (!started) return started;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!n.serve->isRunning()) {
      return ::testing::AssertionFailure() << n.id << " exited: " << n.serve->describe() << "\n"
                                           << logs(i);
    }
    if (testsupport::portAccepts(n.admin) && testsupport::portAccepts(n.http)) {
      auto r = api(i, "GET", "/api/v1/status");
      if (r.status == 200) return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(50ms);
  }
  return ::testing::AssertionFailure() << n.id << " did not answer within 60 s: " << logs(i);
}

::testing::AssertionResult Cluster::startAll() {
  for (int i = 0; i < size(); ++i) {
    auto r = startNode(i);
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

void Cluster::killNode(int i) {
  Node& n = nodes_[i];
  if (!n.serve) return;
  ::kill(n.serve->pid(), SIGKILL);
  n.serve->wait(10s);
}

bool Cluster::running(int i) { return nodes_[i].serve && nodes_[i].serve->isRunning(); }

std::string Cluster::logs(int i) const {
  const Node& n = nodes_[i];
  std::string out;
  for (int s = 1; s <= n.starts; ++s) {
    const std::string base = dir_.file(n.id + "-" + std::to_string(s));
    out += "--- " + n.id + " run " + std::to_string(s) + " ---\n" +
           testsupport::readFile(base + ".out") + testsupport::readFile(base + ".err");
  }
  return out;
}

std::string Cluster::allLogs() const {
  std::string out;
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) out += logs(i);
  return out;
}

int Cluster::leader() {
  std::string out;
  if (!pg_.psql("SELECT id FROM cluster_nodes WHERE leader AND heartbeat_at > "
                "(extract(epoch from clock_timestamp()) * 1000)::bigint - 5000",
                &out)) {
    return -1;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.empty() || out.find('\n') != std::string::npos) return -1;
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i].id == out) return i;
  }
  return -1;
}

int Cluster::waitForLeader(std::chrono::milliseconds timeout, int not_this) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int l = leader();
    if (l >= 0 && l != not_this && running(l)) return l;
    std::this_thread::sleep_for(100ms);
  }
  return -1;
}

std::string Cluster::releaseDir(const std::string& version) {
  const std::string dir = dir_.file("releases/" + version);
  dir_.writeFile("releases/" + version + "/run",
                 "#!/bin/sh\nexec \"" + testsupport::buildDir() + "/coinestate-api\" \"$@\"\n");
  ::chmod((dir + "/run").c_str(), 0755);
  return dir;
}

testsupport::HttpResponse Cluster::api(int i, const std::string& method, const std::string& path,
                                       const std::string& body) {
  testsupport::Headers h = {{"Authorization", "Bearer " + token_},
                            {"X-Shipgate-Actor", "cluster-test"}};
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  return testsupport::httpRequest(nodes_[i].admin, method, path, h, body);
}

json Cluster::apiJson(int i, const std::string& method, const std::string& path,
                      const std::string& body) {
  auto r = api(i, method, path, body);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return json{{"http_status", r.status}, {"raw", r.raw}};
  if (j.is_object()) j["http_status"] = r.status;
  return j;
}

std::string Cluster::deploy(int i, const std::string& version) {
  auto r = api(i, "POST", "/api/v1/deployments",
               R"({"app":"api","version":")" + version + R"(","artifact":")" + releaseDir(version) +
                   R"("})");
  EXPECT_EQ(r.status, 202) << r.raw;
  return json::parse(r.body, nullptr, false).value("id", "");
}

json Cluster::waitForState(int i, const std::string& id, const std::vector<std::string>& states,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = apiJson(i, "GET", "/api/v1/deployments/" + id);
    const std::string state = last.value("state", std::string());
    for (const auto& s : states) {
      if (state == s) return last;
    }
    std::this_thread::sleep_for(100ms);
  }
  return last;
}

std::string Cluster::servedVersion(int i) {
  auto r = testsupport::httpGet(nodes_[i].http, "/api/properties", {{"Host", "api.test"}});
  if (r.status != 200) return "";
  for (const auto& [name, value] : r.headers) {
    if (strcasecmp(name.c_str(), "X-App-Version") == 0) return value;
  }
  return "";
}

bool Cluster::waitForVersion(int i, const std::string& version, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (servedVersion(i) == version) return true;
    std::this_thread::sleep_for(50ms);
  }
  return servedVersion(i) == version;
}

namespace {

releasetest::CliResult runToEnd(testsupport::ProcessOptions o) {
  testsupport::Process p(std::move(o));
  releasetest::CliResult r;
  if (!p.start()) return r;
  auto code = p.wait(120s);
  r.exit_code = code ? *code : -1;
  r.out = p.stdoutText();
  r.err = p.stderrText();
  return r;
}

}  // namespace

releasetest::CliResult Cluster::deployCli(int i, const std::string& version) {
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/shipgate",
            "deploy",
            "--app",
            "api",
            "--version",
            version,
            "--artifact",
            releaseDir(version),
            "--lines",
            "--admin",
            "http://127.0.0.1:" + std::to_string(nodes_[i].admin),
            "--token-file",
            dir_.file("admin.token")};
  o.env = {{"SHIPGATE_ACTOR", "ci-bot"}};
  o.cwd = dir_.path();
  return runToEnd(std::move(o));
}

releasetest::CliResult Cluster::cli(int i, std::vector<std::string> args) {
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/shipgate"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.argv.insert(o.argv.end(), {"--config", configPath(i)});
  o.cwd = dir_.path();
  return runToEnd(std::move(o));
}

std::vector<int> Cluster::strayProcesses() const {
  std::vector<int> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find("coinestate-api") == std::string::npos) continue;
    for (int port = ports_.first; port <= ports_.second; ++port) {
      if (cmd.find(std::string("127.0.0.1:") + std::to_string(port) + '\0') != std::string::npos) {
        out.push_back(pid);
        break;
      }
    }
  }
  closedir(d);
  return out;
}

}  // namespace clustertest
