// ProxyExchange, tunnel part: after a 101 the exchange pumps bytes both ways between the client
// and the upstream (WebSocket and other Upgrade protocols), with backpressure on both sides.
#include <cerrno>

#include "proxy_exchange.h"
#include "worker.h"

namespace shipgate::server {
namespace {

constexpr size_t kTunnelChunk = 16 * 1024;
constexpr size_t kHighWater = 256 * 1024;

}  // namespace

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
  DownstreamCodec& codec = down_.codec();
  codec.takeBufferedInput(head_);
  net::Buffer& uin = conn_->in();
  if (!uin.empty()) {
    down_.encodeData(uin.view());
    uin.clear();
  }
  down_.tunnelEstablished(endpoint_);
  if (!codec.flush()) return;
  flushUpstreamOut();
  if (state_ != State::kTunnel) return;
  pumpUpstreamToClient();
  if (state_ != State::kTunnel) return;
  onDownstreamReadable();
}

void ProxyExchange::pumpUpstreamToClient() {
  if (reading_) return;
  reading_ = true;
  paused_ = false;
  bool eof = false;
  DownstreamCodec& codec = down_.codec();
  char buf[kTunnelChunk];
  for (;;) {
    if (codec.congested()) {
      paused_ = true;
      break;
    }
    ssize_t n = conn_->stream().read(buf, sizeof(buf));
    if (n > 0) {
      codec.encodeData(std::string_view(buf, static_cast<size_t>(n)));
      codec.touch();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    eof = true;
    break;
  }
  reading_ = false;
  if (eof) {
    codec.closeAfterFlush();
    return;
  }
  codec.flush();
}

void ProxyExchange::onDownstreamReadable() {
  if (state_ != State::kTunnel) return;
  DownstreamCodec& codec = down_.codec();
  for (;;) {
    if (head_.size() > kHighWater) break;  // resumes from flushUpstreamOut
    char* p = head_.prepare(kTunnelChunk);
    ssize_t n = codec.readTunnel(p, head_.writable());
    if (n > 0) {
      head_.commit(static_cast<size_t>(n));
      codec.touch();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    // The client closed or failed: pass on what we have, then close both sides.
    flushUpstreamOut();
    codec.closeNow();
    return;
  }
  flushUpstreamOut();
}

void ProxyExchange::flushUpstreamOut() {
  if (state_ != State::kTunnel) return;
  bool was_full = head_.size() > kHighWater;
  while (!head_.empty()) {
    iovec iov{head_.data(), head_.size()};
    ssize_t w = conn_->stream().writev(&iov, 1);
    if (w > 0) {
      head_.consume(static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    down_.codec().closeAfterFlush();
    return;
  }
  if (was_full) onDownstreamReadable();
}

}  // namespace shipgate::server
