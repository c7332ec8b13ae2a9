// RedisRateStore: hiredis async on the worker's EventLoop (see redis_rate_store.h).
#include "shipgate/ratestore/redis_rate_store.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <utility>

#include "shipgate/common/log.h"

namespace shipgate::ratestore {

struct RedisRateStore::Pending {
  enum class Kind { kSetup, kCheck };
  Kind kind = Kind::kCheck;
  BatchWaiter* waiter = nullptr;  // null once answered or cancelled
  Clock::time_point deadline{};
  std::vector<int64_t> limits;    // kCheck: one per key
  std::vector<std::string> args;  // kCheck: the EVALSHA arguments, for a retry as EVAL
  bool retried = false;           // already sent as EVAL
  bool script_load = false;       // kSetup: SCRIPT LOAD (its answer makes the store ready)
};

namespace {

constexpr std::string_view kUpMetric = "shipgate_rate_limit_store_up";
constexpr std::string_view kFallbackMetric = "shipgate_rate_limit_store_fallbacks_total";

std::string sha1Hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

RedisRateStore* storeOf(const redisAsyncContext* ac) {
  return static_cast<RedisRateStore*>(ac->data);
}

}  // namespace

RedisRateStore::RedisRateStore(net::EventLoop& loop, metrics::Registry& metrics,
                               StoreOptions options)
    : loop_(loop),
      options_(std::move(options)),
      sha_(sha1Hex(shield::sharedWindowScript())),
      script_(shield::sharedWindowScript()),
      timeout_timer_(loop, [this] { onTimeout(); }),
      reconnect_timer_(loop, [this] { connect(); }) {
  metrics.describe(kUpMetric,
                   "1 while the shared rate-limit store (waf.rate_limit.store) answers, else 0.",
                   metrics::Kind::kGauge);
  metrics.describe(kFallbackMetric,
                   "Requests whose shared rate limits were decided by the per-node counters "
                   "because the store was down, slow or answered an error.");
  up_ = metrics.counter(kUpMetric, {});
  fallbacks_ = metrics.counter(kFallbackMetric, {});
}

RedisRateStore::~RedisRateStore() {
  timeout_timer_.cancel();
  reconnect_timer_.cancel();
  // Waiters are not called from here: their requests are gone or answered before the worker
  // drops its store.
  for (auto& p : pending_) p->waiter = nullptr;
  if (ac_ != nullptr) {
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
}

// ---- connection ----

void RedisRateStore::connect() {
  if (ac_ != nullptr) return;
  state_ = State::kConnecting;
  const shield::RedisUrl& u = options_.url;
  redisAsyncContext* ac = u.isUnix() ? redisAsyncConnectUnix(u.unix_path.c_str())
                                     : redisAsyncConnect(u.host.c_str(), u.port);
  if (ac == nullptr) {
    markDown("cannot allocate a connection");
    scheduleReconnect();
    return;
  }
  if (ac->err != 0) {
    std::string why = ac->errstr != nullptr ? ac->errstr : "connect failed";
    redisAsyncFree(ac);
    markDown(why);
    scheduleReconnect();
    return;
  }
  ac_ = ac;
  ac->data = this;
  ac->ev.data = this;
  ac->ev.addRead = &RedisRateStore::addRead;
  ac->ev.delRead = &RedisRateStore::delRead;
  ac->ev.addWrite = &RedisRateStore::addWrite;
  ac->ev.delWrite = &RedisRateStore::delWrite;
  ac->ev.cleanup = &RedisRateStore::cleanup;
  redisAsyncSetConnectCallback(ac, &RedisRateStore::connectCallback);
  redisAsyncSetDisconnectCallback(ac, &RedisRateStore::disconnectCallback);
  // hiredis asked for write interest before the hooks were set: watch for it now.
  fd_ = ac->c.fd;
  want_write_ = true;
  if (!loop_.add(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this).isOk()) {
    fd_ = -1;
    drop("cannot watch the connection");
    return;
  }
  sendSetup();
}

void RedisRateStore::sendSetup() {
  const Clock::time_point deadline = loop_.clock().now() + options_.connect_timeout;
  const shield::RedisUrl& u = options_.url;
  auto setup = [&](std::vector<std::string> args, bool script_load) {
    auto p = std::make_unique<Pending>();
    p->kind = Pending::Kind::kSetup;
    p->deadline = deadline;
    p->script_load = script_load;
    p->args = std::move(args);
    issue(std::move(p));
  };
  if (!u.password.empty()) {
    if (u.user.empty()) {
      setup({"AUTH", u.password}, false);
    } else {
      setup({"AUTH", u.user, u.password}, false);
    }
  }
  if (u.db != 0) setup({"SELECT", std::to_string(u.db)}, false);
  setup({"SCRIPT", "LOAD", script_}, true);
  armTimeout();
}

bool RedisRateStore::issue(std::unique_ptr<Pending> p) {
  if (ac_ == nullptr) return false;
  argv_.clear();
  argvlen_.clear();
  for (const auto& a : p->args) {
    argv_.push_back(a.data());
    argvlen_.push_back(a.size());
  }
  Pending* raw = p.get();
  pending_.push_back(std::move(p));
  if (redisAsyncCommandArgv(ac_, &RedisRateStore::replyCallback, raw,
                            static_cast<int>(argv_.size()), argv_.data(),
                            argvlen_.data()) != REDIS_OK) {
    pending_.pop_back();
    return false;
  }
  return true;
}

void RedisRateStore::drop(const std::string& why) {
  markDown(why);
  if (ac_ != nullptr) {
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;       // disconnectCallback: we know
    redisAsyncFree(ac);  // answers every pending command with a null reply
  }
  scheduleReconnect();
}

void RedisRateStore::scheduleReconnect() {
  state_ = State::kBackoff;
  reconnect_timer_.armAfter(backoff_);
  backoff_ = std::min(kBackoffMax, backoff_ * 2);
}

void RedisRateStore::markUp() {
  state_ = State::kReady;
  backoff_ = kBackoffMin;
  error_logged_ = false;
  up_.cell().store(1, std::memory_order_relaxed);
  if (!was_up_) {
    was_up_ = true;
    logged_down_ = false;
    log::info("rate limit store: worker " + std::to_string(options_.worker) +
              " connected to redis " + options_.url.display() + "; rate limits are shared");
  }
}

void RedisRateStore::markDown(const std::string& why) {
  if (state_ == State::kReady || state_ == State::kConnecting) state_ = State::kBackoff;
  up_.cell().store(0, std::memory_order_relaxed);
  if (was_up_ || !logged_down_) {
    was_up_ = false;
    logged_down_ = true;
    log::warn("rate limit store: worker " + std::to_string(options_.worker) + " lost redis " +
              options_.url.display() + " (" + why +
              "); rate limits fall back to per-node counters until it answers again");
  }
}

// ---- requests ----

bool RedisRateStore::send(std::span<const shield::SharedWindowCheck> checks, BatchWaiter* waiter) {
  if (state_ == State::kIdle) connect();
  // While connecting, the batch is queued behind SCRIPT LOAD (the first requests of a worker
  // wait for the connection, within their timeout, instead of skipping the store).
  const bool usable = state_ == State::kReady || state_ == State::kConnecting;
  if (!usable || ac_ == nullptr || checks.empty()) {
    fallbacks_.add();
    return false;
  }
  auto p = std::make_unique<Pending>();
  p->waiter = waiter;
  p->deadline = loop_.clock().now() + options_.timeout;
  p->limits.reserve(checks.size());
  p->args.reserve(3 + 4 * checks.size());
  p->args.emplace_back("EVALSHA");
  p->args.push_back(sha_);
  p->args.push_back(std::to_string(checks.size()));
  for (const auto& c : checks) p->args.push_back(c.key);
  for (const auto& c : checks) {
    p->args.push_back(std::to_string(c.limit));
    p->args.push_back(std::to_string(c.period_ms));
    p->args.push_back(std::to_string(c.mitigation_ms));
    p->limits.push_back(c.limit);
  }
  if (!issue(std::move(p))) {
    fallbacks_.add();
    return false;
  }
  if (!timeout_timer_.armed()) armTimeout();
  return true;
}

void RedisRateStore::cancel(BatchWaiter* waiter) {
  for (auto& p : pending_) {
    if (p->waiter == waiter) p->waiter = nullptr;
  }
}

void RedisRateStore::answer(BatchWaiter* waiter, std::span<const shield::RateDecision> decisions) {
  if (waiter == nullptr) return;
  if (decisions.empty()) fallbacks_.add();
  waiter->onStoreAnswer(decisions);
}

void RedisRateStore::armTimeout() {
  for (const auto& p : pending_) {
    if (p->waiter != nullptr || p->kind == Pending::Kind::kSetup) {
      timeout_timer_.armAt(p->deadline);
      return;
    }
  }
  timeout_timer_.cancel();
}

void RedisRateStore::onTimeout() {
  const Clock::time_point now = loop_.clock().now();
  bool expired = false;
  for (const auto& p : pending_) {
    if ((p->waiter != nullptr || p->kind == Pending::Kind::kSetup) && p->deadline <= now) {
      expired = true;
      break;
    }
  }
  if (!expired) {
    armTimeout();
    return;
  }
  // A hung or overloaded Redis: fail every pending request now and reconnect.
  drop("no answer within " + std::to_string(options_.timeout.count()) + "ms");
}

void RedisRateStore::replyCallback(redisAsyncContext* ac, void* reply, void* privdata) {
  storeOf(ac)->onReply(static_cast<Pending*>(privdata), reply);
}

void RedisRateStore::onReply(Pending* raw, void* reply_ptr) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [raw](const auto& p) { return p.get() == raw; });
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> p = std::move(*it);
  pending_.erase(it);
  const auto* reply = static_cast<const redisReply*>(reply_ptr);
  if (p->kind == Pending::Kind::kSetup) {
    if (reply == nullptr) return;  // the connection went away: drop() or disconnectCallback
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string why =
          "redis answered " + std::string(reply->str, reply->len) + " to " + p->args[0];
      // Not from inside hiredis' callback: free the connection on the next loop turn.
      loop_.post([this, why] {
        if (ac_ != nullptr) drop(why);
      });
      return;
    }
    if (p->script_load && reply->type == REDIS_REPLY_STRING) {
      sha_.assign(reply->str, reply->len);  // the same SHA1 as ours
      markUp();
    }
    armTimeout();
    return;
  }
  BatchWaiter* waiter = p->waiter;
  if (reply == nullptr) {  // connection lost or freed
    // The disconnect callback comes after these answers: requests they resume must not send on
    // the dying connection.
    if (state_ == State::kReady || state_ == State::kConnecting) state_ = State::kBackoff;
    answer(waiter, {});
    return;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    std::string_view err(reply->str, reply->len);
    if (err.rfind("NOSCRIPT", 0) == 0 && !p->retried && ac_ != nullptr) {
      p->retried = true;
      p->args[0] = "EVAL";
      p->args[1] = script_;
      p->deadline = std::max(p->deadline, loop_.clock().now());
      if (issue(std::move(p))) return;
      answer(waiter, {});
      return;
    }
    if (!error_logged_) {
      error_logged_ = true;
      log::warn("rate limit store: redis " + options_.url.display() + " answered an error (" +
                std::string(err.substr(0, 200)) + "); those requests use per-node counters");
    }
    answer(waiter, {});
    armTimeout();
    return;
  }
  bool ok = reply->type == REDIS_REPLY_ARRAY && reply->elements == p->limits.size();
  decisions_.clear();
  for (size_t i = 0; ok && i < reply->elements; ++i) {
    const redisReply* e = reply->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 4) {
      ok = false;
      break;
    }
    int64_t v[4];
    for (size_t k = 0; k < 4; ++k) {
      if (e->element[k]->type != REDIS_REPLY_INTEGER) ok = false;
      v[k] = e->element[k]->integer;
    }
    decisions_.push_back(shield::sharedWindowDecision(p->limits[i], v[0], v[1], v[2], v[3]));
  }
  if (!ok) decisions_.clear();
  // The answer may start a new request on this store (a pipelined one): copy nothing it reuses.
  std::vector<shield::RateDecision> out;
  out.swap(decisions_);
  answer(waiter, out);
  decisions_.swap(out);
  armTimeout();
}

// ---- hiredis connection callbacks and the event adapter ----

void RedisRateStore::connectCallback(const redisAsyncContext* ac, int status) {
  RedisRateStore* self = storeOf(ac);
  if (status == REDIS_OK) return;  // ready once SCRIPT LOAD answers
  // hiredis frees the context after this callback (no disconnect callback).
  std::string why = ac->errstr != nullptr ? ac->errstr : "connect failed";
  self->ac_ = nullptr;
  self->markDown(why);
  self->scheduleReconnect();
}

void RedisRateStore::disconnectCallback(const redisAsyncContext* ac, int /*status*/) {
  RedisRateStore* self = storeOf(ac);
  if (self->ac_ == nullptr) return;  // drop() freed it and has scheduled the reconnect
  std::string why = ac->errstr != nullptr && ac->err != 0 ? ac->errstr : "connection closed";
  self->ac_ = nullptr;
  self->markDown(why);
  self->scheduleReconnect();
}

void RedisRateStore::watch(bool write) {
  if (fd_ < 0) return;
  uint32_t events = EPOLLIN | EPOLLRDHUP;
  if (write) events |= EPOLLOUT;
  // Re-arming (even with the same mask) makes epoll report a writable socket again.
  (void)loop_.modify(fd_, events, this);
}

void RedisRateStore::addRead(void*) {}
void RedisRateStore::delRead(void*) {}

void RedisRateStore::addWrite(void* data) {
  auto* self = static_cast<RedisRateStore*>(data);
  if (self->want_write_) return;
  self->want_write_ = true;
  self->watch(true);
}

void RedisRateStore::delWrite(void* data) {
  auto* self = static_cast<RedisRateStore*>(data);
  if (!self->want_write_) return;
  self->want_write_ = false;
  self->watch(false);
}

void RedisRateStore::cleanup(void* data) {
  auto* self = static_cast<RedisRateStore*>(data);
  if (self->fd_ >= 0) self->loop_.remove(self->fd_);
  self->fd_ = -1;
  self->want_write_ = false;
}

void RedisRateStore::onIoEvent(uint32_t events) {
  if (fd_ < 0) return;  // an event fetched before the connection went away
  if ((events & EPOLLOUT) != 0 && want_write_ && ac_ != nullptr) redisAsyncHandleWrite(ac_);
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    // Edge-triggered: hiredis reads one buffer per call, so read until the socket is empty.
    for (int i = 0; i < 64 && ac_ != nullptr && fd_ >= 0; ++i) {
      redisAsyncHandleRead(ac_);
      int avail = 0;
      if (ac_ == nullptr || fd_ < 0 || ioctl(fd_, FIONREAD, &avail) != 0 || avail <= 0) break;
    }
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 && ac_ != nullptr && fd_ >= 0) {
      redisAsyncHandleRead(ac_);  // reads the EOF: hiredis disconnects
    }
  }
}

}  // namespace shipgate::ratestore
