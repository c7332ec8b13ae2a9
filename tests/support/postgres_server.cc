#include "support/postgres_server.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "support/net.h"

namespace testsupport {

namespace {

constexpr char kDefaultBinDir[] = "/usr/lib/postgresql/15/bin";

std::string findBinDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (::access((std::string(kDefaultBinDir) + "/postgres").c_str(), X_OK) == 0) {
    return kDefaultBinDir;
  }
  std::error_code ec;
  std::string best;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string bin = e.path().string() + "/bin";
    if (::access((bin + "/postgres").c_str(), X_OK) == 0 && bin > best) best = bin;
  }
  return best.empty() ? kDefaultBinDir : best;
}

bool chownTree(const std::string& path, const std::string& user, std::string* error) {
  struct passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    *error = "no such user '" + user + "' (is the postgresql package installed?)";
    return false;
  }
  std::error_code ec;
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    *error = "chown " + path + " failed";
    return false;
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(path, ec)) {
    if (::lchown(e.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      *error = "chown " + e.path().string() + " failed";
      return false;
    }
  }
  return true;
}

}  // namespace

PostgresServer::~PostgresServer() { stop(); }

std::string PostgresServer::dataDir() const { return dir_ ? dir_->file("data") : ""; }
std::string PostgresServer::socketDir() const { return dir_ ? dir_->file("sock") : ""; }
std::string PostgresServer::log() const { return server_ ? server_->stderrText() : ""; }

std::string PostgresServer::connectionString(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname +
         " connect_timeout=10";
}

std::string PostgresServer::url(const std::string& dbname) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
}

bool PostgresServer::running() { return server_ && server_->isRunning(); }

::testing::AssertionResult PostgresServer::start() {
  if (server_) return ::testing::AssertionFailure() << "PostgresServer::start called twice";
  bin_dir_ = findBinDir(options_.bin_dir);
  for (const char* tool : {"initdb", "postgres", "pg_isready", "psql"}) {
    std::string path = bin_dir_ + "/" + tool;
    if (::access(path.c_str(), X_OK) != 0) {
      return ::testing::AssertionFailure()
             << "PostgresServer: " << path
             << " not found; install the postgresql package (scripts/install-deps.sh test)";
    }
  }
  dir_ = std::make_unique<TempDir>("shipgate-pg");
  if (!dir_->ok()) return ::testing::AssertionFailure() << "PostgresServer: " << dir_->error();
  std::filesystem::create_directories(socketDir());
  bool as_root = ::geteuid() == 0;
  if (as_root) {
    std::string error;
    if (!chownTree(dir_->path(), "postgres", &error)) {
      return ::testing::AssertionFailure() << "PostgresServer: " << error;
    }
  }

  ProcessOptions init;
  init.argv = {bin_dir_ + "/initdb", "-D", dataDir(), "-U", "postgres", "-A", "trust",
               "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"};
  init.cwd = dir_->path();
  init.user = as_root ? "postgres" : "";
  init.env = {{"LC_ALL", "C"}, {"LANG", "C"}};
  Process initdb(init);
  auto started = initdb.start();
  if (!started) return started;
  auto code = initdb.wait(options_.start_timeout);
  if (code != 0) {
    return ::testing::AssertionFailure() << "PostgresServer: initdb failed: " << initdb.describe();
  }

  // The port is free when chosen but another test could take it first: retry a few times.
  ::testing::AssertionResult result = ::testing::AssertionFailure();
  for (int attempt = 0; attempt < 3; ++attempt) {
    result = startOnce();
    if (result) return result;
    if (log().find("already in use") == std::string::npos) break;
  }
  return result;
}

::testing::AssertionResult PostgresServer::startOnce() {
  server_.reset();
  port_ = freePort();
  if (port_ == 0) return ::testing::AssertionFailure() << "PostgresServer: no free port";
  ProcessOptions opts;
  opts.argv = {bin_dir_ + "/postgres", "-D", dataDir(), "-h", "127.0.0.1",
               "-p", std::to_string(port_), "-k", socketDir(),
               "-c", "fsync=off", "-c", "synchronous_commit=off",
               "-c", "full_page_writes=off", "-c", "logging_collector=off",
               "-c", "max_connections=100", "-c", "shared_buffers=16MB"};
  for (const auto& s : options_.settings) {
    opts.argv.push_back("-c");
    opts.argv.push_back(s);
  }
  opts.cwd = dir_->path();
  opts.user = ::geteuid() == 0 ? "postgres" : "";
  opts.env = {{"LC_ALL", "C"}, {"LANG", "C"}};
  opts.stdout_path = dir_->file("postgres.stdout.log");
  opts.stderr_path = dir_->file("postgres.log");
  server_ = std::make_unique<Process>(opts);
  auto started = server_->start();
  if (!started) return started;

  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (true) {
    if (!server_->isRunning()) {
      return ::testing::AssertionFailure()
             << "PostgresServer: postgres exited during startup: " << server_->describe();
    }
    if (ready()) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() >= deadline) {
      auto log_text = log();
      stop();
      return ::testing::AssertionFailure() << "PostgresServer: not ready on 127.0.0.1:" << port_
                                           << " after " << options_.start_timeout.count()
                                           << " ms; log:\n" << log_text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool PostgresServer::ready() {
  ProcessOptions opts;
  opts.argv = {bin_dir_ + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", std::to_string(port_),
               "-U", "postgres", "-t", "2"};
  opts.stdout_capture = Capture::kNull;
  opts.stderr_capture = Capture::kNull;
  Process probe(opts);
  if (!probe.start()) return false;
  return probe.wait(std::chrono::milliseconds(5000)) == 0;
}

void PostgresServer::stop() {
  if (!server_ || !server_->isRunning()) return;
  // SIGINT = fast shutdown. Signal the postmaster only; it stops its own backends.
  ::kill(server_->pid(), SIGINT);
  if (!server_->wait(std::chrono::milliseconds(15000))) {
    ::kill(server_->pid(), SIGQUIT);
    server_->wait(std::chrono::milliseconds(5000));
  }
  server_->stop(SIGKILL, std::chrono::milliseconds(5000));
}

::testing::AssertionResult PostgresServer::psql(const std::string& sql, std::string* output,
                                                const std::string& dbname) {
  if (!running()) return ::testing::AssertionFailure() << "PostgresServer: not running";
  ProcessOptions opts;
  opts.argv = {bin_dir_ + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
               "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres",
               "-d", dbname, "-c", sql};
  opts.stdout_capture = Capture::kPipe;
  opts.stderr_capture = Capture::kPipe;
  Process p(opts);
  auto started = p.start();
  if (!started) return started;
  auto code = p.wait(std::chrono::milliseconds(30000));
  if (code != 0) {
    p.stop();
    return ::testing::AssertionFailure() << "psql failed for \"" << sql << "\": " << p.describe();
  }
  p.stop();
  if (output != nullptr) *output = p.stdoutText();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PostgresServer::createDatabase(const std::string& name) {
  return psql("CREATE DATABASE \"" + name + "\"");
}

}  // namespace testsupport
