#include "client_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "proxy_exchange.h"
#include "response_head.h"

namespace shipgate::server {
namespace {

constexpr Millis kLingerTime{2000};
constexpr size_t kReadChunk = 16 * 1024;

const config::Limits& limitsOf(const Snapshot& s) { return s.config->server.limits; }

bool validRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}


}  // namespace

ClientConnection::ClientConnection(Worker& worker, std::unique_ptr<net::Stream> stream,
                                   std::string client_ip, std::shared_ptr<net::TlsServerContext> tls)
    : worker_(worker),
      stream_(std::move(stream)),
      tls_(std::move(tls)),
      client_ip_(std::move(client_ip)),
      parser_(limitsOf(*worker.snapshot()).max_header_bytes,
              limitsOf(*worker.snapshot()).max_body_bytes),
      timer_(worker.loop(), [this] { onTimer(); }) {}

ClientConnection::~ClientConnection() = default;

void ClientConnection::start() {
  message_start_ = last_activity_ = worker_.loop().now();
  if (!worker_.loop().add(stream_->fd(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, this).isOk()) {
    closeNow();
    return;
  }
  updateTimer();
}

size_t ClientConnection::inputCap() const {
  return limitsOf(*worker_.snapshot()).max_header_bytes + 64 * 1024;
}

void ClientConnection::onIoEvent(uint32_t events) {
  if (phase_ == Phase::kClosed) return;
  last_events_ = events;
  if (phase_ == Phase::kLingering) {
    lingerRead();
    return;
  }
  if ((events & EPOLLERR) && !(events & EPOLLIN)) {
    closeNow();
    return;
  }
  if (!out_.empty() || file_) {
    if (!flush()) return;
  }
  if (phase_ == Phase::kTunnel) {
    proxy_->onClientReadableInTunnel();
    return;
  }
  onReadable();
}

void ClientConnection::onReadable() {
  for (;;) {
    if (!readInput()) return;
    processInput();
    if (phase_ == Phase::kClosed || phase_ == Phase::kLingering) return;
    if (!(read_paused_ && in_.size() < inputCap() && phase_ == Phase::kReading)) break;
  }
  if (peer_eof_ && phase_ == Phase::kReading && out_.empty() && !file_) {
    // The client is gone (or half-closed with nothing to answer).
    closeNow();
    return;
  }
  if (in_.empty()) worker_.buffers().giveBack(in_);
}

bool ClientConnection::readInput() {
  read_paused_ = false;
  if (peer_eof_) return true;
  worker_.buffers().borrow(in_);
  size_t cap = inputCap();
  for (;;) {
    if (in_.size() >= cap) {
      read_paused_ = true;
      return true;
    }
    char* p = in_.prepare(kReadChunk);
    size_t want = in_.writable();
    ssize_t n = stream_->read(p, want);
    if (n > 0) {
      in_.commit(static_cast<size_t>(n));
      last_activity_ = worker_.loop().now();
      got_request_bytes_ = true;
      // A short read on plain TCP drained the socket: data arriving later raises a new edge,
      // so skip the read that would only return EAGAIN (unless the peer already sent FIN).
      if (static_cast<size_t>(n) < want && !isTls() && !(last_events_ & (EPOLLRDHUP | EPOLLHUP))) {
        return true;
      }
      continue;
    }
    if (n == 0) {
      peer_eof_ = true;
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    closeNow();
    return false;
  }
}

void ClientConnection::processInput() {
  if (in_process_) return;
  in_process_ = true;
  while (phase_ == Phase::kReading && !close_after_flush_ && !in_.empty()) {
    if (file_ || out_.size() > kHighWater) break;  // answer the previous request first
    bool was_in_message = parser_.inMessage();
    size_t consumed = 0;
    auto st = parser_.execute(in_.data(), in_.size(), &consumed);
    in_.consume(consumed);
    if (!was_in_message && parser_.inMessage()) message_start_ = worker_.loop().now();
    if (st == http::RequestParser::State::kNeedMore) {
      sendContinueIfNeeded();
      break;
    }
    if (st == http::RequestParser::State::kError) {
      request_start_ = worker_.loop().now();
      snap_ = worker_.snapshot();
      request_id_.clear();
      worker_.newRequestId(request_id_);
      respondError(parser_.errorStatus(), parser_.errorReason());
      break;
    }
    handleRequest();
  }
  in_process_ = false;
  if (phase_ == Phase::kReading || phase_ == Phase::kProcessing) updateTimer();
}

void ClientConnection::sendContinueIfNeeded() {
  if (continue_sent_ || !parser_.headersComplete()) return;
  const http::Request& req = parser_.request();
  if (!req.expectContinue()) return;
  continue_sent_ = true;
  worker_.buffers().borrow(out_);
  out_.append("HTTP/1.1 100 Continue\r\n\r\n");
  flush();
}

void ClientConnection::handleRequest() {
  const http::Request& req = parser_.request();
  phase_ = Phase::kProcessing;
  ++requests_;
  request_start_ = worker_.loop().now();
  bytes_sent_ = 0;
  site_ = nullptr;
  keep_alive_ = req.keepAlive() && !draining_ && !worker_.draining();
  snap_ = worker_.snapshot();
  parser_.setLimits(limitsOf(*snap_).max_header_bytes, limitsOf(*snap_).max_body_bytes);
  std::string_view rid = req.header("x-request-id");
  if (validRequestId(rid)) {
    request_id_.assign(rid);
  } else {
    worker_.newRequestId(request_id_);
  }
  waf_ = nullptr;
  const firewall::Firewall* fw = snap_->firewall.get();
  if (fw != nullptr && fw->enabled() && inspectRequest(*fw)) return;
  auto match = snap_->plan->route(http::hostWithoutPort(req.header("host")), req.path());
  if (!match) {
    if (req.upgrade()) keep_alive_ = false;
    respondSimple(404, "no site is configured for this host and path\n");
    return;
  }
  site_ = match->site;
  if (site_->redirect_https && !isTls()) {
    if (req.upgrade()) keep_alive_ = false;
    redirectHttps();
    return;
  }
  if (site_->kind == config::SiteKind::kStatic) {
    if (req.upgrade()) keep_alive_ = false;
    serveStatic(match->site_index);
    return;
  }
  if (req.isMethod("CONNECT")) {
    keep_alive_ = false;
    respondSimple(405, "CONNECT is not supported\n", "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n");
    return;
  }
  // Created on the first proxied request: static-only and idle connections stay small.
  if (!proxy_) proxy_ = std::make_unique<ProxyExchange>(*this, worker_);
  proxy_->start(*snap_, match->app_index);
}

void ClientConnection::finishResponse(int status, const traffic::Endpoint* endpoint) {
  const http::Request& req = parser_.request();
  auto now = worker_.loop().now();
  double seconds = std::chrono::duration<double>(now - request_start_).count();
  std::string_view site = site_ ? std::string_view(site_->name) : std::string_view();
  std::string_view app = endpoint ? std::string_view(endpoint->app) : std::string_view();
  std::string_view slot = endpoint ? std::string_view(config::slotName(endpoint->slot)) : "";
  std::string_view region = endpoint ? std::string_view(endpoint->region) : std::string_view();
  if (site_ && site_->kind == config::SiteKind::kApp && !endpoint) app = site_->app;
  worker_.metrics().recordRequest({site, app, slot, region}, status, seconds);
  if (waf_ != nullptr) firewallResponse(status);
  waf_headers_.clear();
  AccessLogBuffer& log = worker_.accessLog();
  if (log.enabled()) {
    AccessLogEntry e;
    e.wall_ms = worker_.loop().clock().wallMillis();
    e.request_id = request_id_;
    e.client_ip = client_ip_;
    e.method = req.method();
    e.path = req.path();
    e.status = status;
    e.bytes = bytes_sent_;
    e.duration_s = seconds;
    e.site = site;
    e.app = app;
    e.slot = slot;
    std::string upstream;
    if (endpoint) upstream = endpoint->address.toString();
    e.upstream = upstream;
    log.append(e);
  }
  snap_.reset();
  site_ = nullptr;
  // The exchange is done; it may still be on the stack (this runs from its callback), so it goes
  // at the end of the loop iteration. An idle keep-alive connection then holds no proxy state.
  if (proxy_ && !parser_.request().upgrade()) worker_.deferDelete(std::move(proxy_));
  if (!keep_alive_ || parser_.request().upgrade()) close_after_flush_ = true;
  parser_.next();
  continue_sent_ = false;
  phase_ = Phase::kReading;
  message_start_ = last_activity_ = now;
  if (!flush()) return;
  if (!in_process_ && phase_ == Phase::kReading) onReadable();
}

void ClientConnection::proxyFinished(int status, const traffic::Endpoint* endpoint) {
  finishResponse(status, endpoint);
}

void ClientConnection::proxyFailed(int status, std::string_view body,
                                   const traffic::Endpoint* endpoint) {
  std::string text(body);
  text += "\n";
  size_t before = out_.size();
  if (parser_.request().upgrade()) keep_alive_ = false;
  writeHead(status, static_cast<int64_t>(text.size()),
            "Content-Type: text/plain; charset=utf-8\r\n");
  if (!parser_.request().isMethod("HEAD")) out_.append(text);
  bytes_sent_ += out_.size() - before;
  finishResponse(status, endpoint);
}

void ClientConnection::proxyAborted(int status, const traffic::Endpoint* endpoint) {
  keep_alive_ = false;
  finishResponse(status, endpoint);
  if (phase_ != Phase::kClosed) {
    // The response is truncated: the client must see the connection end.
    out_.clear();
    file_.reset();
    closeNow();
  }
}

void ClientConnection::enterTunnel(const traffic::Endpoint* endpoint) {
  auto now = worker_.loop().now();
  double seconds = std::chrono::duration<double>(now - request_start_).count();
  std::string_view site = site_ ? std::string_view(site_->name) : std::string_view();
  worker_.metrics().recordRequest(
      {site, endpoint ? std::string_view(endpoint->app) : "",
       endpoint ? std::string_view(config::slotName(endpoint->slot)) : "",
       endpoint ? std::string_view(endpoint->region) : ""},
      101, seconds);
  if (waf_ != nullptr) firewallResponse(101);
  phase_ = Phase::kTunnel;
  last_activity_ = now;
  updateTimer();
}

void ClientConnection::closeAfterFlush() {
  close_after_flush_ = true;
  if (out_.empty()) {
    closeNow();
  } else {
    flush();
  }
}

bool ClientConnection::flush() {
  if (phase_ == Phase::kClosed) return false;
  bool progressed = false;
  while (!out_.empty() || file_) {
    ssize_t n;
    if (!out_.empty()) {
      iovec iov{out_.data(), out_.size()};
      n = stream_->writev(&iov, 1);
      if (n > 0) out_.consume(static_cast<size_t>(n));
    } else {
      n = stream_->sendFile(file_->fd, &file_offset_, file_left_);
      if (n > 0) {
        file_left_ -= static_cast<size_t>(n);
        if (file_left_ == 0) file_.reset();
      } else if (n == 0) {
        errno = EIO;  // file shrank: cannot complete the promised length
        n = -1;
      }
    }
    if (n > 0) {
      progressed = true;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    closeNow();
    return false;
  }
  if (progressed) last_activity_ = worker_.loop().now();
  if (out_.empty()) worker_.buffers().giveBack(out_);
  if (out_.empty() && !file_) {
    if (close_after_flush_ && phase_ == Phase::kReading) {
      beginClose();
      return phase_ != Phase::kClosed;
    }
    if (phase_ == Phase::kTunnel && close_after_flush_) {
      closeNow();
      return false;
    }
  }
  if (!congested() && proxy_ && proxy_->active()) proxy_->onClientDrained();
  if (phase_ == Phase::kClosed) return false;
  if (out_.empty() && !file_ && phase_ == Phase::kReading && !in_process_ && !in_.empty() &&
      progressed) {
    processInput();  // pipelined requests were waiting for this response to leave
  }
  if (phase_ == Phase::kProcessing || phase_ == Phase::kReading) updateTimer();
  return phase_ != Phase::kClosed;
}

void ClientConnection::drain() {
  draining_ = true;
  if (phase_ == Phase::kReading && !parser_.inMessage() && in_.empty() && out_.empty() &&
      !file_) {
    closeNow();
    return;
  }
  if (phase_ == Phase::kTunnel) {
    closeNow();
    return;
  }
  keep_alive_ = false;
}

void ClientConnection::beginClose() {
  if (phase_ == Phase::kClosed || phase_ == Phase::kLingering) return;
  if (proxy_) proxy_->abort();
  // Half-close and read what the client still sends for a moment, so the last response is
  // not destroyed by a reset (unread input at close() makes the kernel send RST).
  stream_->shutdownWrite();
  ::shutdown(stream_->fd(), SHUT_WR);
  phase_ = Phase::kLingering;
  linger_until_ = worker_.loop().now() + kLingerTime;
  timer_.armAt(linger_until_);
  lingerRead();
}

void ClientConnection::lingerRead() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(stream_->fd(), buf, sizeof(buf));
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    closeNow();
    return;
  }
}

void ClientConnection::closeNow() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  if (proxy_) proxy_->abort();
  timer_.cancel();
  worker_.loop().remove(stream_->fd());
  stream_.reset();
  in_.clear();
  out_.clear();
  worker_.buffers().giveBack(in_);
  worker_.buffers().giveBack(out_);
  file_.reset();
  waf_ = nullptr;
  if (waf_scratch_) worker_.giveBackWafScratch(std::move(waf_scratch_));
  snap_.reset();
  worker_.release(this);
}

void ClientConnection::updateTimer() {
  const config::Limits& limits = limitsOf(*worker_.snapshot());
  switch (phase_) {
    case Phase::kReading:
      if (parser_.inMessage() || (requests_ == 0 && !close_after_flush_)) {
        if (!parser_.headersComplete()) {
          timer_.armAt(message_start_ + limits.header_timeout);
        } else {
          timer_.armAt(last_activity_ + limits.body_timeout);
        }
      } else {
        timer_.armAt(last_activity_ + limits.idle_timeout);
      }
      break;
    case Phase::kProcessing:
      if (!out_.empty() || file_) {
        timer_.armAt(last_activity_ + limits.idle_timeout);
      } else {
        timer_.cancel();
      }
      break;
    case Phase::kTunnel:
      timer_.armAt(last_activity_ + limits.idle_timeout);
      break;
    default:
      break;
  }
}

void ClientConnection::onTimer() {
  auto now = worker_.loop().now();
  switch (phase_) {
    case Phase::kReading:
      if (parser_.inMessage() || (requests_ == 0 && got_request_bytes_)) {
        bool headers_done = parser_.headersComplete();
        auto deadline = headers_done ? last_activity_ + limitsOf(*worker_.snapshot()).body_timeout
                                     : message_start_ + limitsOf(*worker_.snapshot()).header_timeout;
        if (deadline > now) {
          timer_.armAt(deadline);
          return;
        }
        in_.clear();
        peer_eof_ = true;  // stop reading: the request is abandoned
        request_start_ = now;
        snap_ = worker_.snapshot();
        worker_.newRequestId(request_id_);
        respondError(408, headers_done ? "request body timeout" : "request header timeout");
        return;
      }
      if (last_activity_ + limitsOf(*worker_.snapshot()).idle_timeout > now && requests_ > 0) {
        updateTimer();
        return;
      }
      closeNow();
      return;
    case Phase::kProcessing:
    case Phase::kTunnel:
      if (last_activity_ + limitsOf(*worker_.snapshot()).idle_timeout > now) {
        updateTimer();
        return;
      }
      closeNow();
      return;
    case Phase::kLingering:
    default:
      closeNow();
      return;
  }
}

}  // namespace shipgate::server
