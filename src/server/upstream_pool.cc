#include "upstream_pool.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace shipgate::server {

UpstreamConnection::UpstreamConnection(UpstreamPool& pool, std::unique_ptr<net::Stream> stream,
                                       std::string key)
    : pool_(pool),
      stream_(std::move(stream)),
      key_(std::move(key)),
      idle_timer_(pool.loop(), [this] { pool_.onIdleEvent(this); }) {}

UpstreamConnection::~UpstreamConnection() {
  if (registered_ && stream_) pool_.loop().remove(stream_->fd());
}

void UpstreamConnection::onIoEvent(uint32_t events) {
  if (owner_ != nullptr) {
    owner_->onUpstreamEvent(events);
  } else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    pool_.onIdleEvent(this);
  }
}

UpstreamPool::~UpstreamPool() { closeAll(); }

bool UpstreamPool::attach(UpstreamConnection& conn) {
  if (!loop_.add(conn.fd(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, &conn).isOk()) return false;
  conn.registered_ = true;
  return true;
}

namespace {

// True when the peer has not closed, reset or written to the idle connection: a FIN, an RST or
// stray bytes may be waiting unseen (their epoll event not yet dispatched).
bool stillOpen(int fd) {
  char c;
  for (;;) {
    ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

UpstreamPool::IdleList* UpstreamPool::idleList(const std::string& key, bool create) {
  if (last_list_ != nullptr && key == last_key_) return last_list_;
  IdleList* list = nullptr;
  if (create) {
    list = &idle_[key];
  } else {
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    list = &it->second;
  }
  last_key_ = key;
  last_list_ = list;
  return list;
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take(const std::string& key, bool verify) {
  IdleList* found = idleList(key, false);
  if (found == nullptr) return nullptr;
  auto& list = *found;
  while (!list.empty()) {
    std::unique_ptr<UpstreamConnection> conn = std::move(list.back());
    list.pop_back();
    conn->idle_timer_.cancel();
    if (!verify || stillOpen(conn->fd())) return conn;
    discard(std::move(conn));
  }
  return nullptr;
}

void UpstreamPool::put(std::unique_ptr<UpstreamConnection> conn) {
  auto& list = *idleList(conn->key(), true);
  if (list.size() >= kMaxIdlePerKey) {
    discard(std::move(conn));
    return;
  }
  conn->setOwner(nullptr);
  conn->in().clear();
  conn->idle_timer_.armAfter(kIdleTimeout);
  list.push_back(std::move(conn));
}

void UpstreamPool::discard(std::unique_ptr<UpstreamConnection> conn) {
  if (!conn) return;
  conn->setOwner(nullptr);
  conn->idle_timer_.cancel();
  if (conn->registered_) {
    loop_.remove(conn->fd());
    conn->registered_ = false;
  }
  conn->stream_.reset();
  // Events for it may still be queued in this iteration: free it later.
  dead_.push_back(std::move(conn));
}

void UpstreamPool::removeIdle(UpstreamConnection* conn) {
  IdleList* found = idleList(conn->key(), false);
  if (found == nullptr) return;
  auto& list = *found;
  for (auto i = list.begin(); i != list.end(); ++i) {
    if (i->get() == conn) {
      std::unique_ptr<UpstreamConnection> owned = std::move(*i);
      list.erase(i);
      discard(std::move(owned));
      return;
    }
  }
}

void UpstreamPool::onIdleEvent(UpstreamConnection* conn) { removeIdle(conn); }

std::unique_ptr<http::ResponseParser> UpstreamPool::takeParser() {
  if (parsers_.empty()) return std::make_unique<http::ResponseParser>();
  std::unique_ptr<http::ResponseParser> parser = std::move(parsers_.back());
  parsers_.pop_back();
  return parser;
}

void UpstreamPool::giveBackParser(std::unique_ptr<http::ResponseParser> parser) {
  constexpr size_t kMaxPooledParsers = 256;
  if (parser && parsers_.size() < kMaxPooledParsers) parsers_.push_back(std::move(parser));
}

void UpstreamPool::closeAll() {
  for (auto& [key, list] : idle_) {
    for (auto& c : list) {
      c->idle_timer_.cancel();
      if (c->registered_) loop_.remove(c->fd());
      c->registered_ = false;
    }
    list.clear();
  }
  last_list_ = nullptr;
  last_key_.clear();
  idle_.clear();
  dead_.clear();
}

}  // namespace shipgate::server
