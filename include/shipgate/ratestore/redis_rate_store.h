// RedisRateStore: one worker's connection to the Redis that holds the shared rate-limit counters
// (waf.rate_limit.store), on hiredis' async API driven by the worker's EventLoop (an adapter from
// redisAsyncContext's ev hooks to the loop's fd watching).
//
// A request's rate-limit checks go out as ONE command: EVALSHA of the shared window script
// (shield/shared_window.h) with every key of the request; the script is loaded (SCRIPT LOAD)
// right after connecting, and a NOSCRIPT answer is retried once as EVAL. The caller suspends
// until its BatchWaiter is answered.
//
// Connection: lazy (the first send() starts connecting; batches sent while connecting queue
// behind the handshake), pipelined (AUTH and SELECT when the URL asks, then SCRIPT LOAD; the
// store is up once SCRIPT LOAD answered),
// reconnected after a loss with exponential backoff (kBackoffMin doubling to kBackoffMax).
//
// Fallback: while not ready, send() answers false at once; a waiter whose answer does not come
// within `timeout`, or whose answer is an error, is answered with no decisions. Either way the
// caller decides with its per-node counters, and shipgate_rate_limit_store_fallbacks_total
// counts the request. A request that times out also drops the connection (a hung Redis, e.g.
// SIGSTOPped, must not hold every later request for the timeout): later requests fall back at
// once until the reconnect's SCRIPT LOAD is answered. shipgate_rate_limit_store_up (a gauge
// shared by the workers: the last transition any of them saw) is 1 while ready; each change of
// this worker's state writes one log line.
//
// A host name in the URL is resolved by hiredis (getaddrinfo) on the loop's thread at each
// connect: give an address (or a unix socket) where a slow resolver could stall the worker.
//
// Thread: the loop's thread only. The EventLoop and the Registry must outlive the store.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shipgate/metrics/registry.h"
#include "shipgate/net/event_loop.h"
#include "shipgate/shield/rate_policy.h"
#include "shipgate/shield/redis_url.h"
#include "shipgate/shield/shared_window.h"

struct redisAsyncContext;

namespace shipgate::ratestore {

// Receives the store's answer to one batch, on the loop thread, never from inside send().
class BatchWaiter {
 public:
  // One decision per check, in order; empty: the store could not answer (decide per node).
  virtual void onStoreAnswer(std::span<const shield::RateDecision> decisions) = 0;

 protected:
  ~BatchWaiter() = default;
};

struct StoreOptions {
  shield::RedisUrl url;
  Millis timeout{50};            // per request
  Millis connect_timeout{1000};  // connect + AUTH/SELECT/SCRIPT LOAD answered
  int worker = 0;                // for log lines
};

class RedisRateStore final : private net::IoHandler {
 public:
  static constexpr Millis kBackoffMin{100};
  static constexpr Millis kBackoffMax{2000};

  RedisRateStore(net::EventLoop& loop, metrics::Registry& metrics, StoreOptions options);
  ~RedisRateStore();
  RedisRateStore(const RedisRateStore&) = delete;
  RedisRateStore& operator=(const RedisRateStore&) = delete;

  // Sends `checks` (non-empty) as one EVALSHA and returns true: `waiter` gets exactly one
  // onStoreAnswer() later unless cancel()ed first. False when the store is not ready (counted as
  // a fallback): decide per node now.
  bool send(std::span<const shield::SharedWindowCheck> checks, BatchWaiter* waiter);
  // The waiter will not be called (its request went away). Safe for a waiter never sent.
  void cancel(BatchWaiter* waiter);

  bool ready() const { return state_ == State::kReady; }
  const StoreOptions& options() const { return options_; }

 private:
  enum class State { kIdle, kConnecting, kReady, kBackoff };
  struct Pending;

  void onIoEvent(uint32_t events) override;
  void connect();
  // Frees the connection (pending commands are answered as failed) and schedules a reconnect.
  void drop(const std::string& why);
  void scheduleReconnect();
  void markUp();
  void markDown(const std::string& why);
  void onTimeout();
  void armTimeout();
  void sendSetup();
  void onReply(Pending* p, void* reply);
  void answer(BatchWaiter* waiter, std::span<const shield::RateDecision> decisions);
  bool issue(std::unique_ptr<Pending> p);
  void watch(bool write);

  static void replyCallback(redisAsyncContext* ac, void* reply, void* privdata);
  static void connectCallback(const redisAsyncContext* ac, int status);
  static void disconnectCallback(const redisAsyncContext* ac, int status);
  static void addRead(void* data);
  static void delRead(void* data);
  static void addWrite(void* data);
  static void delWrite(void* data);
  static void cleanup(void* data);

  net::EventLoop& loop_;
  StoreOptions options_;
  metrics::Counter up_;
  metrics::Counter fallbacks_;
  redisAsyncContext* ac_ = nullptr;
  int fd_ = -1;  // registered with the loop, or -1
  bool want_write_ = false;
  State state_ = State::kIdle;
  bool was_up_ = false;  // this worker's last logged state
  bool logged_down_ = false;
  bool error_logged_ = false;
  Millis backoff_ = kBackoffMin;
  std::string sha_;  // SHA1 of the script (hex), as SCRIPT LOAD answers it
  std::string script_;
  std::deque<std::unique_ptr<Pending>> pending_;  // in the order Redis answers
  std::vector<shield::RateDecision> decisions_;   // scratch for one answer
  std::vector<const char*> argv_;
  std::vector<size_t> argvlen_;
  net::Timer timeout_timer_;
  net::Timer reconnect_timer_;
};

}  // namespace shipgate::ratestore
