#include "worker.h"

#include <time.h>

#include <cstring>
#include <optional>
#include <random>

#include "http1_connection.h"
#include "request_phase.h"
#include "request_slot.h"
#include "shipgate/common/log.h"
#include "shipgate/metrics/names.h"
#include "shipgate/net/stream.h"

namespace shipgate::server {

// Accepts connections on this worker's socket of one listener, within the connection cap
// (server.limits.max_connections, per process: at the cap a reclaimable connection of this worker
// makes room, else the new one is closed at once) and max_connections_per_ip.
class Worker::Acceptor final : public net::IoHandler {
 public:
  Acceptor(Worker& worker, int listener_index, int fd)
      : worker_(worker),
        listener_index_(listener_index),
        fd_(fd),
        retry_timer_(worker.loop(), [this] { acceptAll(); }) {}
  int fd() const { return fd_; }
  void onIoEvent(uint32_t) override { acceptAll(); }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    retry_timer_.cancel();
    worker_.loop().remove(fd_);
  }

  void acceptAll() {
    if (stopped_) return;
    Gateway& gw = worker_.gateway();
    bool reclaimed_for_fd = false;
    for (int i = 0; i < 256; ++i) {
      net::SockAddr peer;
      int fd = net::acceptNonBlocking(fd_, &peer);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EMFILE || errno == ENFILE) {
          // Make room as at the cap; if that did not help, others hold the descriptors.
          if (!reclaimed_for_fd && worker_.reclaimOne(/*keep_slot=*/false)) {
            reclaimed_for_fd = true;
            continue;
          }
          // Clients wait in the kernel's queue, which raises no new edge: look again shortly.
          if (!retry_timer_.armed()) {
            log::warn("accept: out of file descriptors (raise the open-file limit or lower "
                      "server.limits.max_connections)");
            retry_timer_.armAfter(kFdRetry);
          }
        }
        return;
      }
      reclaimed_for_fd = false;
      net::Fd owned(fd);
      const auto& snap = worker_.snapshot();
      const config::Limits& limits = snap->config->server.limits;
      std::optional<ClientKey> slot;
      if (limits.max_connections_per_ip > 0) {
        ClientKey key = clientKey(peer);
        if (!gw.clientConnectionCounts().tryAdd(key, limits.max_connections_per_ip)) {
          worker_.refused_per_ip_.add();
          continue;  // closed right away
        }
        slot = key;
      }
      // A place under the cap, taken atomically so that workers together never exceed it; at
      // the cap, the place of a connection this worker closes to make room.
      std::atomic<int64_t>& count = gw.connectionCount();
      const auto max = static_cast<int64_t>(limits.max_connections);
      int64_t n = count.load(std::memory_order_relaxed);
      while (n < max && !count.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) {
      }
      if (n >= max && !worker_.reclaimOne(/*keep_slot=*/true)) {
        worker_.refused_at_cap_.add();
        if (slot) gw.clientConnectionCounts().remove(*slot);
        continue;  // closed right away
      }
      std::unique_ptr<net::Stream> stream;
      std::shared_ptr<net::TlsServerContext> tls;
      if (static_cast<size_t>(listener_index_) < snap->tls.size() && snap->tls[listener_index_]) {
        tls = snap->tls[listener_index_];
        auto s = net::TlsStream::accept(std::move(owned), tls->defaultContext());
        if (!s.isOk()) {
          count.fetch_sub(1, std::memory_order_relaxed);
          if (slot) gw.clientConnectionCounts().remove(*slot);
          continue;
        }
        stream = std::move(s).value();
      } else {
        stream = std::make_unique<net::PlainStream>(std::move(owned));
      }
      auto conn = std::make_unique<Http1Connection>(worker_, std::move(stream),
                                                    net::ipString(peer), std::move(tls));
      if (slot) conn->holdClientSlot(*slot);
      worker_.adopt(std::move(conn));
    }
    // More may be pending: edge-triggered, so come back on the next iteration.
    worker_.loop().post([this] { acceptAll(); });
  }

 private:
  static constexpr Millis kFdRetry{100};

  Worker& worker_;
  int listener_index_;
  int fd_;
  net::Timer retry_timer_;
  bool stopped_ = false;
};

Worker::Worker(Gateway& gateway, int index, std::unique_ptr<net::EventLoop> loop)
    : gateway_(gateway),
      index_(index),
      loop_(std::move(loop)),
      phases_(std::make_unique<PhaseList>(defaultPhases())),
      pool_(*loop_),
      access_log_(gateway.accessLogSink()),
      flush_timer_(*loop_,
                   [this] {
                     access_log_.flush();
                     flush_timer_.armAfter(Millis(1000));
                   }),
      drain_timer_(*loop_, [this] {
        // Drain deadline: close whatever is left.
        std::vector<Http1Connection*> all;
        for (auto& [p, c] : connections_) all.push_back(p);
        for (auto* c : all) c->closeNow();
        checkDrained();
      }) {
  metrics::Registry& m = metrics();
  m.describe(metrics::names::kConnectionsRefused,
             "New client connections closed at once, by the limit that refused them.");
  m.describe(metrics::names::kConnectionsReclaimed,
             "Client connections closed to make room for a new one at the connection cap, by "
             "the state they were in.");
  refused_at_cap_ = m.counter(metrics::names::kConnectionsRefused,
                              {{"reason", "max_connections"}});
  refused_per_ip_ = m.counter(metrics::names::kConnectionsRefused,
                              {{"reason", "max_connections_per_ip"}});
  for (auto [kind, reason] : {std::pair{Reclaimable::kIdle, "idle"},
                              std::pair{Reclaimable::kSilent, "silent"},
                              std::pair{Reclaimable::kPartial, "partial"}}) {
    reclaimed_[static_cast<size_t>(kind)] =
        m.counter(metrics::names::kConnectionsReclaimed, {{"reason", reason}});
  }
  std::random_device rd;
  rng_ = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ (static_cast<uint64_t>(index) << 56);
  loop_->setIterationEndHook([this] {
    graveyard_.clear();
    pool_.endOfIteration();
  });
}

Worker::~Worker() {
  std::vector<Http1Connection*> all;
  for (auto& [p, c] : connections_) all.push_back(p);
  for (auto* c : all) c->closeNow();
  graveyard_.clear();
  pool_.closeAll();
  access_log_.flush();
}

void Worker::run() {
  const auto& listeners = gateway_.listenerGroups();
  for (size_t i = 0; i < listeners.size(); ++i) {
    int fd = listeners[i].fds[index_].get();
    auto a = std::make_unique<Acceptor>(*this, static_cast<int>(i), fd);
    Status st = loop_->add(fd, EPOLLIN, a.get());
    if (!st.isOk()) log::error("worker: cannot watch listener: " + st.toString());
    acceptors_.push_back(std::move(a));
  }
  if (access_log_.enabled()) flush_timer_.armAfter(Millis(1000));
  loop_->run();
  access_log_.flush();
}

const std::shared_ptr<ratestore::RedisRateStore>& Worker::rateStore(
    const firewall::Firewall& fw) {
  const shield::RedisUrl& url = *fw.storeUrl();
  std::string identity = url.display() + "\n" + url.user + "\n" + url.password + "\n" +
                         std::to_string(fw.storeTimeout().count());
  if (rate_store_ == nullptr || identity != rate_store_identity_) {
    if (rate_store_ != nullptr) {
      // Not from inside a request: the old connection closes on the next loop turn.
      loop_->post([old = rate_store_] {});
    }
    ratestore::StoreOptions options;
    options.url = url;
    options.timeout = fw.storeTimeout();
    options.worker = index_;
    rate_store_ = std::make_shared<ratestore::RedisRateStore>(*loop_, metrics(), options);
    rate_store_identity_ = std::move(identity);
  }
  return rate_store_;
}

void Worker::refreshSnapshot() {
  snapshot_ = gateway_.snapshot();
  snapshot_version_ = snapshot_->version;
}

uint64_t Worker::random() {
  // splitmix64
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {
// The two hex digits of every byte value, so an id takes 16 table loads (two digits each) rather
// than 32 shifts and loads.
struct HexPairs {
  char pair[256][2];
  constexpr HexPairs() : pair() {
    constexpr char kHex[] = "0123456789abcdef";
    for (int v = 0; v < 256; ++v) {
      pair[v][0] = kHex[v & 0xf];  // low nibble first, as the ids always were
      pair[v][1] = kHex[v >> 4];
    }
  }
};
constexpr HexPairs kHexPairs;
}  // namespace

void Worker::newRequestId(std::string& out) {
  const uint64_t words[2] = {random(), random()};
  char id[32];
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < 8; ++i) {
      std::memcpy(id + 16 * w + 2 * i, kHexPairs.pair[(words[w] >> (i * 8)) & 0xff], 2);
    }
  }
  out.assign(id, sizeof id);
}

std::string_view Worker::dateHeader() {
  int64_t ms = loop_->clock().wallMillis();
  int64_t sec = ms / 1000;
  if (sec != date_second_) {
    date_second_ = sec;
    time_t t = static_cast<time_t>(sec);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof(buf), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    date_header_.assign(buf, n);
  }
  return date_header_;
}

std::unique_ptr<firewall::Scratch> Worker::takeWafScratch() {
  if (waf_scratch_pool_.empty()) return std::make_unique<firewall::Scratch>();
  auto s = std::move(waf_scratch_pool_.back());
  waf_scratch_pool_.pop_back();
  return s;
}

void Worker::giveBackWafScratch(std::unique_ptr<firewall::Scratch> scratch) {
  constexpr size_t kMaxPooled = 256;
  if (scratch && waf_scratch_pool_.size() < kMaxPooled) {
    waf_scratch_pool_.push_back(std::move(scratch));
  }
}

std::unique_ptr<RequestSlot> Worker::takeRequestSlot() {
  if (request_slots_.empty()) {
    ++request_slots_made_;
    const config::Limits& limits = snapshot()->config->server.limits;
    return std::make_unique<RequestSlot>(*this, limits.max_header_bytes, limits.max_body_bytes);
  }
  auto s = std::move(request_slots_.back());
  request_slots_.pop_back();
  return s;
}

void Worker::giveBackRequestSlot(std::unique_ptr<RequestSlot> slot) {
  constexpr size_t kMaxPooled = 1024;
  if (!slot) return;
  if (request_slots_.size() < kMaxPooled) {
    request_slots_.push_back(std::move(slot));
  } else {
    deferDelete(std::move(slot));
  }
}

void Worker::adopt(std::unique_ptr<Http1Connection> conn) {
  Http1Connection* raw = conn.get();
  connections_.emplace(raw, std::move(conn));
  metrics().connectionOpened();
  raw->start();
  if (draining_ && !raw->closed()) raw->drain();
}

void Worker::release(Http1Connection* conn) {
  auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  reclaim_.set(conn, Reclaimable::kNo);
  if (conn->clientSlot()) gateway_.clientConnectionCounts().remove(*conn->clientSlot());
  graveyard_.push_back(std::move(it->second));
  connections_.erase(it);
  if (!keep_slot_) gateway_.connectionCount().fetch_sub(1, std::memory_order_relaxed);
  metrics().connectionClosed();
  if (draining_) checkDrained();
}

bool Worker::reclaimOne(bool keep_slot) {
  for (Reclaimable kind : {Reclaimable::kIdle, Reclaimable::kSilent, Reclaimable::kPartial}) {
    while (Http1Connection* oldest = reclaim_.oldest(kind)) {
      if (kind != Reclaimable::kPartial && oldest->hasUnreadInput()) {
        // Its (next) request has arrived and waits for its read event: not idle or silent
        // after all. That event files it again.
        reclaim_.set(oldest, Reclaimable::kNo);
        continue;
      }
      reclaimed_[static_cast<size_t>(kind)].add();
      keep_slot_ = keep_slot;
      oldest->closeNow();  // release(): its place under the cap is given up, or kept
      keep_slot_ = false;
      return true;
    }
  }
  return false;
}

void Worker::beginDrain(Millis drain) {
  loop_->post([this, drain] {
    if (draining_) return;
    draining_ = true;
    for (auto& a : acceptors_) a->stop();
    pool_.closeAll();
    std::vector<Http1Connection*> all;
    for (auto& [p, c] : connections_) all.push_back(p);
    for (auto* c : all) c->drain();
    drain_timer_.armAfter(drain);
    checkDrained();
  });
}

void Worker::checkDrained() {
  if (draining_ && connections_.empty()) {
    drain_timer_.cancel();
    flush_timer_.cancel();
    loop_->stop();
  }
}

}  // namespace shipgate::server
