// ProxyExchange, tunnel part: after a 101 the exchange pumps bytes both ways between the client
// and the upstream (WebSocket and other Upgrade protocols), with backpressure on both sides.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "client_connection.h"
#include "proxy_exchange.h"
#include "worker.h"

namespace shipgate::server {
namespace {

constexpr size_t kTunnelChunk = 16 * 1024;

ssize_t sendNoSignal(int fd, const char* data, size_t len) {
  for (;;) {
    ssize_t w = ::send(fd, data, len, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    return w;
  }
}

}  // namespace

// ---- tunnel ----

void ProxyExchange::startTunnel() {
  timer_.cancel();
  status_ = 101;
  if (request_open_) {
    snap_->plan->onRequestEnd(*endpoint_, traffic::Outcome::kSuccess);
    request_open_ = false;
  }
  writeClientHead();
  state_ = State::kTunnel;
  head_.clear();
  net::Buffer& cin = client_.in();
  if (!cin.empty()) {
    head_.append(cin.view());
    cin.clear();
  }
  net::Buffer& uin = conn_->in();
  if (!uin.empty()) {
    client_.out().append(uin.view());
    uin.clear();
  }
  client_.enterTunnel(endpoint_);
  if (!client_.flush()) return;
  flushUpstreamOut();
  if (state_ != State::kTunnel) return;
  pumpUpstreamToClient();
  if (state_ != State::kTunnel) return;
  onClientReadableInTunnel();
}

void ProxyExchange::pumpUpstreamToClient() {
  if (reading_) return;
  reading_ = true;
  paused_ = false;
  bool eof = false;
  for (;;) {
    if (client_.congested()) {
      paused_ = true;
      break;
    }
    net::Buffer& out = client_.out();
    char* p = out.prepare(kTunnelChunk);
    ssize_t n = ::read(conn_->fd(), p, out.writable());
    if (n > 0) {
      out.commit(static_cast<size_t>(n));
      client_.touch();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    eof = true;
    break;
  }
  reading_ = false;
  if (eof) {
    client_.closeAfterFlush();
    return;
  }
  client_.flush();
}

void ProxyExchange::onClientReadableInTunnel() {
  if (state_ != State::kTunnel) return;
  for (;;) {
    if (head_.size() > ClientConnection::kHighWater) break;  // resumes from flushUpstreamOut
    char* p = head_.prepare(kTunnelChunk);
    ssize_t n = client_.stream().read(p, head_.writable());
    if (n > 0) {
      head_.commit(static_cast<size_t>(n));
      client_.touch();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    // The client closed or failed: pass on what we have, then close both sides.
    flushUpstreamOut();
    client_.closeNow();
    return;
  }
  flushUpstreamOut();
}

void ProxyExchange::flushUpstreamOut() {
  if (state_ != State::kTunnel) return;
  bool was_full = head_.size() > ClientConnection::kHighWater;
  while (!head_.empty()) {
    ssize_t w = sendNoSignal(conn_->fd(), head_.data(), head_.size());
    if (w > 0) {
      head_.consume(static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    client_.closeAfterFlush();
    return;
  }
  if (was_full) onClientReadableInTunnel();
}

}  // namespace shipgate::server
