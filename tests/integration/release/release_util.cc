#include "release_util.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include <httplib.h>

namespace releasetest {

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

bool canBind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string randomToken() {
  std::random_device rd;
  std::string t;
  for (int i = 0; i < 32; ++i) t.push_back("0123456789abcdef"[rd() % 16]);
  return t;
}

}  // namespace

std::pair<int, int> freePortRange(int n) {
  std::random_device rd;
  for (int attempt = 0; attempt < 200; ++attempt) {
    // Below the kernel's ephemeral range (32768..), so outgoing connections do not take them.
    int first = 20000 + static_cast<int>(rd() % 10000);
    bool ok = true;
    for (int p = first; p < first + n && ok; ++p) ok = canBind(p);
    if (ok) return {first, first + n - 1};
  }
  return {0, -1};
}

Deployer::Deployer(Settings settings) : settings_(std::move(settings)) {
  ports_ = freePortRange(16);
  token_ = randomToken();
  dir_.writeFile("admin.token", token_ + "\n");
  ::chmod(dir_.file("admin.token").c_str(), 0600);
}

Deployer::~Deployer() {
  if (serve_) serve_->stop(SIGTERM, 15s);
}

std::string Deployer::yaml() const {
  std::ostringstream y;
  y << "server: {workers: 1, allow_root: true}\n"
    << "listeners: [{name: http, address: \"127.0.0.1:" << http_ << "\"}]\n"
    << "admin: {address: \"127.0.0.1:" << admin_ << "\", token_file: \""
    << dir_.file("admin.token") << "\"}\n"
    << "state: {dir: \"" << dir_.file("state") << "\""
    << (settings_.state_url.empty() ? "" : ", url: \"" + settings_.state_url + "\"") << "}\n"
    << "environments:\n"
    << "  production: {approval: " << settings_.approval << ", bake: " << settings_.bake
    << ", triggers: true, scale_down_delay: " << settings_.scale_down_delay
    << settings_.production_extra << "}\n"
    << settings_.environments_extra << settings_.sections << "sites:\n"
    << "  - {name: api, hosts: [api.test], path_prefix: /api/, app: api}\n"
    << settings_.extra_sites << "apps:\n"
    << "  api:\n"
    << "    environment: " << settings_.app_environment << "\n"
    << "    release:\n"
    << "      runtime:\n"
    << "        kind: process\n"
    << "        command: \"{release_dir}/run --listen 127.0.0.1:{port} --version {version}\"\n"
    << "        replicas: " << settings_.replicas << "\n"
    << "        ports: \"" << ports_.first << "-" << ports_.second << "\"\n"
    << "        stop_grace: 2s\n"
    << "        restart: {initial_backoff: 50ms, max_backoff: 200ms, crash_loop_restarts: 3, "
       "crash_loop_window: 30s}\n"
    << settings_.runtime_yaml;
  if (!settings_.smoke.empty()) {
    y << "      smoke:\n";
    for (const auto& s : settings_.smoke) y << "        - " << s << "\n";
  }
  if (!settings_.switch_block.empty()) y << "      switch: " << settings_.switch_block << "\n";
  if (!settings_.health_timeout.empty()) {
    y << "      health_timeout: " << settings_.health_timeout << "\n";
  }
  y << settings_.release_yaml << settings_.app_yaml << settings_.extra_yaml;
  if (!settings_.triggers.empty()) {
    y << "rollback_triggers:\n";
    for (const auto& t : settings_.triggers) y << "  - " << t << "\n";
  }
  return y.str();
}

std::string Deployer::releaseDir(const std::string& version, Behaviour behaviour) {
  const std::string dir = dir_.file("releases/" + version);
  std::string script = "#!/bin/sh\n";
  switch (behaviour) {
    case Behaviour::kHealthy:
      script += "exec \"" + testsupport::buildDir() + "/coinestate-api\" \"$@\"\n";
      break;
    case Behaviour::kErrors:
      script += "exec \"" + testsupport::buildDir() + "/coinestate-api\" \"$@\" --error-rate 1.0\n";
      break;
    case Behaviour::kSlow:
      script += "sleep 1\nexec \"" + testsupport::buildDir() +
                "/coinestate-api\" \"$@\" --latency-ms 1000\n";
      break;
    case Behaviour::kLagging:
      script += "exec \"" + testsupport::buildDir() + "/coinestate-api\" \"$@\" --latency-ms 100\n";
      break;
    case Behaviour::kCrash:
      script += "echo \"release " + version + " cannot start: missing DATABASE_URL\" >&2\nexit 3\n";
      break;
  }
  dir_.writeFile("releases/" + version + "/run", script);
  ::chmod((dir + "/run").c_str(), 0755);
  return dir;
}

::testing::AssertionResult Deployer::startServe() {
  if (serve_ && serve_->isRunning()) return ::testing::AssertionFailure() << "serve is running";
  dir_.writeFile("shipgate.yaml", yaml());
  ++starts_;
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/shipgate", "serve", "--config", configPath()};
  o.cwd = dir_.path();
  o.stdout_path = dir_.file("serve-" + std::to_string(starts_) + ".out");
  o.stderr_path = dir_.file("serve-" + std::to_string(starts_) + ".err");
  o.stop_timeout = 15000ms;
  o.env = settings_.serve_env;
  serve_ = std::make_unique<testsupport::Process>(o);
  auto started = serve_->start();
  if (!started) return started;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!serve_->isRunning()) {
      return ::testing::AssertionFailure() << "shipgate serve exited: " << serve_->describe()
                                           << "\n--- config ---\n" << yaml();
    }
    if (testsupport::portAccepts(admin_) && testsupport::portAccepts(http_)) {
      auto r = api("GET", "/api/v1/deployments");
      if (r.status == 200) return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(50ms);
  }
  return ::testing::AssertionFailure() << "the release routes did not answer within 60 s: "
                                       << serve_->describe();
}

CliResult Deployer::reloadConfig() {
  dir_.writeFile("shipgate.yaml", yaml());
  return cli({"reload"});
}

void Deployer::killServe() {
  if (!serve_) return;
  ::kill(serve_->pid(), SIGKILL);
  serve_->wait(10s);
}

std::optional<int> Deployer::stopServe() {
  if (!serve_) return std::nullopt;
  return serve_->stop(SIGTERM, 15s);
}

bool Deployer::serveRunning() { return serve_ && serve_->isRunning(); }

std::string Deployer::serveLogs() const {
  std::string out;
  for (int i = 1; i <= starts_; ++i) {
    out += "--- serve run " + std::to_string(i) + " ---\n" +
           testsupport::readFile(dir_.file("serve-" + std::to_string(i) + ".out")) +
           testsupport::readFile(dir_.file("serve-" + std::to_string(i) + ".err"));
  }
  return out;
}

CliResult Deployer::cli(std::vector<std::string> args, std::chrono::seconds timeout) {
  auto p = cliAsync(std::move(args));
  CliResult r;
  auto code = p->wait(timeout);
  if (!code) {
    p->stop(SIGKILL, 1s);
    r.exit_code = -1;
  } else {
    r.exit_code = *code;
  }
  r.out = p->stdoutText();
  r.err = p->stderrText();
  return r;
}

std::unique_ptr<testsupport::Process> Deployer::cliAsync(std::vector<std::string> args) {
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/shipgate"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.argv.insert(o.argv.end(), {"--admin", "http://127.0.0.1:" + std::to_string(admin_),
                               "--token-file", dir_.file("admin.token")});
  o.env = {{"SHIPGATE_ACTOR", "ci-bot"}};
  o.cwd = dir_.path();
  auto p = std::make_unique<testsupport::Process>(o);
  EXPECT_TRUE(p->start());
  return p;
}

testsupport::HttpResponse Deployer::api(const std::string& method, const std::string& path,
                                        const std::string& body, testsupport::Headers extra) {
  testsupport::Headers h = {{"Authorization", "Bearer " + token_}};
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  for (auto& e : extra) h.push_back(e);
  return testsupport::httpRequest(admin_, method, path, h, body);
}

json Deployer::apiJson(const std::string& method, const std::string& path,
                       const std::string& body) {
  auto r = api(method, path, body);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return json{{"http_status", r.status}, {"raw", r.raw}};
  if (j.is_object()) j["http_status"] = r.status;
  return j;
}

json Deployer::waitForState(const std::string& id, const std::vector<std::string>& states,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = apiJson("GET", "/api/v1/deployments/" + id);
    const std::string state = last.value("state", std::string());
    for (const auto& s : states) {
      if (state == s) return last;
    }
    std::this_thread::sleep_for(100ms);
  }
  return last;
}

std::string Deployer::servedVersion() {
  auto r = testsupport::httpGet(http_, "/api/properties", {{"Host", "api.test"}});
  if (r.status != 200) return "";
  for (const auto& [name, value] : r.headers) {
    if (strcasecmp(name.c_str(), "X-App-Version") == 0) return value;
  }
  return "";
}

nlohmann::json stepOf(const nlohmann::json& dep, const std::string& name) {
  for (const auto& s : dep.value("steps", nlohmann::json::array())) {
    if (s.value("name", "") == name) return s;
  }
  return nlohmann::json();
}

std::string acceptedId(const std::string& out) {
  static const std::regex kAccepted(R"(deployment (\S+) accepted)");
  std::smatch m;
  if (std::regex_search(out, m, kAccepted)) return m[1];
  return "";
}

Load::Load(uint16_t port, int threads) : port_(port) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

Load::~Load() { stop(); }

void Load::stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void Load::run() {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_keep_alive(true);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(10, 0);
  const httplib::Headers headers = {{"Host", "api.test"}};
  while (!stop_.load()) {
    auto r = cli.Get("/api/properties", headers);
    int status = r ? r->status : 0;
    std::string version = r && r->status == 200 ? r->get_header_value("X-App-Version") : "";
    shipgate::MutexLock lock(mu_);
    ++statuses_[status];
    if (!version.empty()) ++versions_[version];
  }
}

std::map<int, int64_t> Load::statuses() const {
  shipgate::MutexLock lock(mu_);
  return statuses_;
}

std::map<std::string, int64_t> Load::versions() const {
  shipgate::MutexLock lock(mu_);
  return versions_;
}

int64_t Load::total() const {
  shipgate::MutexLock lock(mu_);
  int64_t n = 0;
  for (const auto& [s, c] : statuses_) n += c;
  return n;
}

std::string Load::describe() const {
  shipgate::MutexLock lock(mu_);
  std::string out = "statuses:";
  for (const auto& [s, c] : statuses_) out += " " + std::to_string(s) + "=" + std::to_string(c);
  out += " versions:";
  for (const auto& [v, c] : versions_) out += " " + v + "=" + std::to_string(c);
  return out;
}

CliResult deploy(Deployer& d, const std::string& version, Behaviour b) {
  return d.cli({"deploy", "--app", "api", "--version", version, "--artifact",
                d.releaseDir(version, b), "--lines"});
}

std::string metricLine(Deployer& d, const std::string& series) {
  auto r = d.api("GET", "/metrics");
  EXPECT_EQ(r.status, 200) << r.raw;
  size_t at = r.body.find("\n" + series + " ");
  if (at == std::string::npos) return "";
  size_t end = r.body.find('\n', at + 1);
  return r.body.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
}

void waitForAnswers(const Load& load, int64_t n) {
  const int64_t target = load.total() + n;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (load.total() < target && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace releasetest
