// Upstream connections and the per-worker keep-alive pool. An UpstreamConnection owns the
// net::Stream its exchanges read and write (plain TCP today) and is registered with the loop once (edge-triggered, in+out) and forwards its events to its current owner (the
// proxy exchange using it); while idle in the pool, any readability (EOF or stray bytes) or error
// closes it, and it is closed after kIdleTimeout unused. take(verify) checks that a connection is
// still open (no FIN, RST or stray bytes waiting unseen) before handing it out. Loop thread only.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "shipgate/http/response_parser.h"
#include "shipgate/net/buffer.h"
#include "shipgate/net/event_loop.h"
#include "shipgate/net/socket.h"
#include "shipgate/net/stream.h"

namespace shipgate::server {

class Worker;
class UpstreamPool;

class UpstreamOwner {
 public:
  virtual void onUpstreamEvent(uint32_t events) = 0;

 protected:
  ~UpstreamOwner() = default;
};

class UpstreamConnection final : public net::IoHandler {
 public:
  UpstreamConnection(UpstreamPool& pool, std::unique_ptr<net::Stream> stream, std::string key);
  ~UpstreamConnection();
  void onIoEvent(uint32_t events) override;

  int fd() const { return stream_ ? stream_->fd() : -1; }
  net::Stream& stream() { return *stream_; }
  const std::string& key() const { return key_; }
  net::Buffer& in() { return in_; }
  void setOwner(UpstreamOwner* owner) { owner_ = owner; }
  bool reused() const { return uses_ > 0; }
  void markUsed() { ++uses_; }

 private:
  friend class UpstreamPool;
  UpstreamPool& pool_;
  std::unique_ptr<net::Stream> stream_;
  std::string key_;
  net::Buffer in_;
  UpstreamOwner* owner_ = nullptr;
  uint64_t uses_ = 0;
  bool registered_ = false;
  net::Timer idle_timer_;
};

class UpstreamPool {
 public:
  static constexpr Millis kIdleTimeout{4000};  // below common upstream keep-alive timeouts
  static constexpr size_t kMaxIdlePerKey = 256;

  explicit UpstreamPool(net::EventLoop& loop) : loop_(loop) {}
  ~UpstreamPool();
  // A connected idle connection for key, or nullptr. verify: first check (one recv(MSG_PEEK))
  // that the peer has not closed it, for requests that cannot be retried after a failure.
  std::unique_ptr<UpstreamConnection> take(const std::string& key, bool verify);
  // Registers a new connection with the loop. Returns false on failure (connection dropped).
  bool attach(UpstreamConnection& conn);
  void put(std::unique_ptr<UpstreamConnection> conn);
  // Closes conn (idle or not) at the end of the loop iteration.
  void discard(std::unique_ptr<UpstreamConnection> conn);
  void closeAll();
  // Response parsers lent to proxy exchanges (one exchange per request), so a parser's llhttp
  // state and its head buffers are reused instead of allocated and grown for every response.
  std::unique_ptr<http::ResponseParser> takeParser();
  void giveBackParser(std::unique_ptr<http::ResponseParser> parser);
  // Frees connections discarded during this loop iteration (called at its end).
  void endOfIteration() { dead_.clear(); }
  net::EventLoop& loop() { return loop_; }

 private:
  friend class UpstreamConnection;
  using IdleList = std::vector<std::unique_ptr<UpstreamConnection>>;
  void onIdleEvent(UpstreamConnection* conn);
  void removeIdle(UpstreamConnection* conn);
  // The idle list of key (created when create is set, else nullptr when there is none). The
  // list met last is remembered: a worker proxying to one endpoint takes and puts back a
  // connection of the same key on every request, and a string comparison is cheaper than hashing
  // the key twice per request. Lists are never erased before closeAll() (which forgets it), and
  // unordered_map elements do not move when it rehashes, so the pointer stays valid.
  IdleList* idleList(const std::string& key, bool create);

  net::EventLoop& loop_;
  std::unordered_map<std::string, IdleList> idle_;
  std::string last_key_;
  IdleList* last_list_ = nullptr;
  std::vector<std::unique_ptr<UpstreamConnection>> dead_;
  std::vector<std::unique_ptr<http::ResponseParser>> parsers_;
};

}  // namespace shipgate::server
