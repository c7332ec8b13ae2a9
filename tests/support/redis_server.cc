#include "support/redis_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "support/net.h"

namespace testsupport {
namespace {

std::string render(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "ERR: " + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out += '\n';
        out += render(r->element[i]);
      }
      return out;
    }
    default:
      return "?";
  }
}

std::string findBinary(const std::string& configured) {
  if (configured.find('/') != std::string::npos) return configured;
  for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/usr/sbin/"}) {
    std::string p = dir + configured;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return configured;
}

}  // namespace

RedisServer::~RedisServer() { stop(); }

std::string RedisServer::log() const { return server_ ? server_->describe() : ""; }

bool RedisServer::running() { return server_ && server_->isRunning(); }

::testing::AssertionResult RedisServer::start() {
  if (running()) return ::testing::AssertionSuccess();
  const std::string binary = findBinary(options_.binary);
  if (::access(binary.c_str(), X_OK) != 0) {
    return ::testing::AssertionFailure()
           << "redis-server not found (" << binary
           << "): install Debian's redis-server (scripts/install-deps.sh test)";
  }
  if (!dir_) {
    dir_ = std::make_unique<TempDir>("shipgate-redis");
    if (!dir_->ok()) return ::testing::AssertionFailure() << "temp dir: " << dir_->error();
  }
  if (port_ == 0) port_ = freePort();
  ProcessOptions o = testsupport::command({binary, "--port", std::to_string(port_), "--bind",
                                           "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                           dir_->path(), "--daemonize", "no", "--protected-mode",
                                           "no", "--logfile", "", "--databases", "16"});
  server_ = std::make_unique<Process>(std::move(o));
  if (auto started = server_->start(); !started) return started;
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!server_->isRunning()) {
      return ::testing::AssertionFailure() << "redis-server exited at start\n" << log();
    }
    if (command({"PING"}) == "PONG") return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ::testing::AssertionFailure()
         << "redis-server did not answer PING on port " << port_ << " in time\n"
         << log();
}

void RedisServer::stop() {
  if (!server_) return;
  server_->signal(SIGCONT);
  server_->stop(SIGTERM, std::chrono::milliseconds(5000));
}

void RedisServer::kill() {
  if (!server_) return;
  server_->kill();
  server_->wait(std::chrono::milliseconds(5000));
}

void RedisServer::pause() {
  if (server_) server_->signal(SIGSTOP);
}

void RedisServer::resume() {
  if (server_) server_->signal(SIGCONT);
}

std::string RedisServer::command(const std::vector<std::string>& argv) const {
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr || c->err != 0) {
    std::string why = c != nullptr ? c->errstr : "out of memory";
    if (c != nullptr) redisFree(c);
    return "CONNECT: " + why;
  }
  redisSetTimeout(c, tv);
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
  std::string out = reply != nullptr ? render(reply) : "CONNECT: " + std::string(c->errstr);
  if (reply != nullptr) freeReplyObject(reply);
  redisFree(c);
  return out;
}

}  // namespace testsupport
