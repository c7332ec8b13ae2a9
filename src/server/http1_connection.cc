#include "http1_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "shipgate/metrics/names.h"

namespace shipgate::server {
namespace {

constexpr Millis kLingerTime{2000};
constexpr size_t kReadChunk = 16 * 1024;

const config::Limits& limitsOf(const Snapshot& s) { return s.config->server.limits; }

}  // namespace

Http1Connection::Http1Connection(Worker& worker, std::unique_ptr<net::Stream> stream,
                                 std::string client_ip, std::shared_ptr<net::TlsServerContext> tls)
    : worker_(worker),
      stream_(std::move(stream)),
      tls_(std::move(tls)),
      timer_(worker.loop(), [this] { onTimer(); }),
      client_ip_(std::move(client_ip)),
      response_buffer_(limitsOf(*worker.snapshot()).response_buffer_bytes) {}

Http1Connection::~Http1Connection() = default;

void Http1Connection::start() {
  message_start_ = last_activity_ = worker_.loop().now();
  if (!worker_.loop().add(stream_->fd(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, this).isOk()) {
    closeNow();
    return;
  }
  updateTimer();
}

RequestSlot& Http1Connection::slot() {
  if (!slot_) {
    slot_ = worker_.takeRequestSlot();
    const config::Limits& limits = limitsOf(*worker_.snapshot());
    slot_->parser.setLimits(limits.max_header_bytes, limits.max_body_bytes);
    slot_->ctx.attach(*this, client_ip_, isTls());
  }
  return *slot_;
}

void Http1Connection::releaseSlotIfIdle() {
  if (!slot_ || phase_ != Phase::kReading || in_process_ || !in_.empty() || outputPending() ||
      slot_->parser.inMessage() || slot_->parser.errorStatus() != 0 || !slot_->ctx.idle()) {
    return;
  }
  worker_.giveBackRequestSlot(std::move(slot_));
}

void Http1Connection::releaseSlot() {
  if (!slot_) return;
  const http::RequestParser& p = slot_->parser;
  // Between requests (next() called, no error): as good as new. Otherwise (mid-request, errored,
  // tunnelled) it is not reused; freed at the end of the iteration, as a caller up the stack may
  // still read its request.
  bool clean = slot_->ctx.idle() && !p.inMessage() && !p.headersComplete() && p.errorStatus() == 0;
  slot_->ctx.abort();
  if (clean) {
    worker_.giveBackRequestSlot(std::move(slot_));
  } else {
    worker_.deferDelete(std::move(slot_));
  }
}

size_t Http1Connection::inputCap() const {
  return limitsOf(*worker_.snapshot()).max_header_bytes + 64 * 1024;
}

void Http1Connection::onIoEvent(uint32_t events) {
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
    if (slot_) slot_->ctx.downstreamReadable();
    return;
  }
  onReadable();
}

void Http1Connection::onReadable() {
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
  releaseSlotIfIdle();
}

bool Http1Connection::readInput() {
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

void Http1Connection::processInput() {
  if (in_process_) return;
  in_process_ = true;
  while (phase_ == Phase::kReading && !close_after_flush_ && !in_.empty()) {
    if (file_ || out_.size() > kHighWater) break;  // answer the previous request first
    http::RequestParser& parser = slot().parser;
    bool was_in_message = parser.inMessage();
    size_t consumed = 0;
    auto st = parser.execute(in_.data(), in_.size(), &consumed);
    in_.consume(consumed);
    if (!was_in_message && parser.inMessage()) message_start_ = worker_.loop().now();
    if (st == http::RequestParser::State::kNeedMore) {
      sendContinueIfNeeded();
      break;
    }
    if (st == http::RequestParser::State::kError) {
      handleError(parser.errorStatus(), parser.errorReason());
      break;
    }
    handleRequest();
  }
  in_process_ = false;
  if (phase_ == Phase::kReading || phase_ == Phase::kProcessing) updateTimer();
}

void Http1Connection::sendContinueIfNeeded() {
  if (continue_sent_ || !headersComplete()) return;
  const http::Request& req = slot_->parser.request();
  if (!req.expectContinue()) return;
  continue_sent_ = true;
  worker_.buffers().borrow(out_);
  out_.append("HTTP/1.1 100 Continue\r\n\r\n");
  flush();
}

void Http1Connection::handleRequest() {
  RequestSlot& s = slot();
  const http::Request& req = s.parser.request();
  phase_ = Phase::kProcessing;
  ++requests_;
  updateReclaimable();
  keep_alive_ = req.keepAlive() && !draining_ && !worker_.draining();
  const config::Limits& limits = limitsOf(*worker_.snapshot());
  s.parser.setLimits(limits.max_header_bytes, limits.max_body_bytes);
  response_buffer_ = limits.response_buffer_bytes;
  s.ctx.start(req);
}

void Http1Connection::handleError(int status, std::string_view reason) {
  RequestSlot& s = slot();
  phase_ = Phase::kProcessing;
  updateReclaimable();
  s.ctx.startError(s.parser.request(), status, reason);
}

void Http1Connection::requestComplete() {
  // An upgrade that was not switched leaves the connection in an unknown protocol state.
  if (!keep_alive_ || slot().parser.request().upgrade()) close_after_flush_ = true;
  slot_->parser.next();
  continue_sent_ = false;
  phase_ = Phase::kReading;
  message_start_ = last_activity_ = worker_.loop().now();
  if (!flush()) return;
  if (in_process_ || phase_ != Phase::kReading) return;
  // What the client sent meanwhile was read by its own events (each reads to a short read or
  // EAGAIN): only a paused read, buffered input or an EOF needs attention now, not a read(2)
  // that would return EAGAIN.
  if (read_paused_ || !in_.empty() || peer_eof_) {
    onReadable();
  } else {
    worker_.buffers().giveBack(in_);  // an idle keep-alive connection holds no input buffer
    releaseSlotIfIdle();              // nor a request parser and context
  }
}

void Http1Connection::resetStream() {
  keep_alive_ = false;
  if (phase_ == Phase::kClosed) return;
  out_.clear();
  file_.reset();
  closeNow();
}

void Http1Connection::beginTunnel() {
  phase_ = Phase::kTunnel;
  last_activity_ = worker_.loop().now();
  updateTimer();
}

void Http1Connection::takeBufferedInput(net::Buffer& out) {
  if (in_.empty()) return;
  out.append(in_.view());
  in_.clear();
}

ssize_t Http1Connection::readTunnel(char* buf, size_t len) { return stream_->read(buf, len); }

void Http1Connection::closeAfterFlush() {
  close_after_flush_ = true;
  if (out_.empty()) {
    closeNow();
  } else {
    flush();
  }
}

bool Http1Connection::flush() {
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
  // The send timeout runs from the last successful write, or from when output started waiting.
  if (progressed || !send_blocked_) last_write_ = worker_.loop().now();
  send_blocked_ = outputPending();
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
  if (slot_ && !congested()) slot_->ctx.downstreamDrained();
  if (phase_ == Phase::kClosed) return false;
  if (out_.empty() && !file_ && phase_ == Phase::kReading && !in_process_ && !in_.empty() &&
      progressed) {
    processInput();  // pipelined requests were waiting for this response to leave
  }
  if (phase_ == Phase::kReading) releaseSlotIfIdle();
  if (phase_ == Phase::kProcessing || phase_ == Phase::kReading) updateTimer();
  return phase_ != Phase::kClosed;
}

void Http1Connection::drain() {
  draining_ = true;
  if (phase_ == Phase::kReading && !inMessage() && in_.empty() && out_.empty() && !file_) {
    closeNow();
    return;
  }
  if (phase_ == Phase::kTunnel) {
    closeNow();
    return;
  }
  keep_alive_ = false;
}

void Http1Connection::beginClose() {
  if (phase_ == Phase::kClosed || phase_ == Phase::kLingering) return;
  releaseSlot();
  // Half-close and read what the client still sends for a moment, so the last response is
  // not destroyed by a reset (unread input at close() makes the kernel send RST).
  stream_->shutdownWrite();
  phase_ = Phase::kLingering;
  updateReclaimable();
  linger_until_ = worker_.loop().now() + kLingerTime;
  timer_.armAt(linger_until_);
  lingerRead();
}

void Http1Connection::lingerRead() {
  char buf[4096];
  for (;;) {
    ssize_t n = stream_->read(buf, sizeof(buf));
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    closeNow();
    return;
  }
}

void Http1Connection::closeNow() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  updateReclaimable();
  releaseSlot();
  timer_.cancel();
  worker_.loop().remove(stream_->fd());
  stream_.reset();
  in_.clear();
  out_.clear();
  worker_.buffers().giveBack(in_);
  worker_.buffers().giveBack(out_);
  file_.reset();
  worker_.release(this);
}

void Http1Connection::updateReclaimable() {
  Reclaimable kind = Reclaimable::kNo;
  if (phase_ == Phase::kReading && !close_after_flush_ && out_.empty() && !file_) {
    if (requests_ == 0) {
      if (!got_request_bytes_) {
        kind = Reclaimable::kSilent;
      } else if (!headersComplete()) {
        kind = Reclaimable::kPartial;
      }
    } else if (!inMessage() && in_.empty()) {
      kind = Reclaimable::kIdle;
    }
  }
  if (kind != reclaim_hook_.kind) worker_.setReclaimable(this, kind);
}

bool Http1Connection::hasUnreadInput() const {
  if (!stream_) return false;
  char c;
  return ::recv(stream_->fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void Http1Connection::updateTimer() {
  updateReclaimable();
  const config::Limits& limits = limitsOf(*worker_.snapshot());
  switch (phase_) {
    case Phase::kReading:
      if (inMessage() || (requests_ == 0 && !close_after_flush_)) {
        auto deadline = headersComplete() ? last_activity_ + limits.body_timeout
                                          : message_start_ + limits.header_timeout;
        if (requests_ == 0 && !got_request_bytes_) {
          deadline = message_start_ + limits.first_byte_timeout;
        }
        if (outputPending()) deadline = std::min(deadline, last_write_ + limits.send_timeout);
        timer_.armAt(deadline);
      } else if (outputPending()) {
        timer_.armAt(last_write_ + limits.send_timeout);
      } else {
        timer_.armAt(last_activity_ + limits.idle_timeout);
      }
      break;
    case Phase::kProcessing:
      if (outputPending()) {
        timer_.armAt(last_write_ + limits.send_timeout);
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

void Http1Connection::sendTimedOut() {
  // The request's app when it was proxied (the answer may be complete and still queued).
  // (Output waits, so the connection still holds its slot.)
  worker_.metrics().addCounter(metrics::names::kClientSendTimeouts, "app",
                               slot_ ? slot_->ctx.labels().app : std::string_view());
  closeNow();
}

void Http1Connection::onTimer() {
  auto now = worker_.loop().now();
  if ((phase_ == Phase::kReading || phase_ == Phase::kProcessing) && outputPending() &&
      last_write_ + limitsOf(*worker_.snapshot()).send_timeout <= now) {
    sendTimedOut();
    return;
  }
  switch (phase_) {
    case Phase::kReading:
      if (inMessage() || (requests_ == 0 && got_request_bytes_)) {
        bool headers_done = headersComplete();
        auto deadline = headers_done ? last_activity_ + limitsOf(*worker_.snapshot()).body_timeout
                                     : message_start_ + limitsOf(*worker_.snapshot()).header_timeout;
        if (deadline > now) {
          updateTimer();
          return;
        }
        in_.clear();
        peer_eof_ = true;  // stop reading: the request is abandoned
        handleError(408, headers_done ? "request body timeout" : "request header timeout");
        return;
      }
      if (requests_ == 0 && !got_request_bytes_ &&
          message_start_ + limitsOf(*worker_.snapshot()).first_byte_timeout > now) {
        updateTimer();
        return;
      }
      if (outputPending() ||
          (last_activity_ + limitsOf(*worker_.snapshot()).idle_timeout > now && requests_ > 0)) {
        updateTimer();
        return;
      }
      closeNow();  // silent since accept (first_byte_timeout), or idle (idle_timeout)
      return;
    case Phase::kProcessing:
      updateTimer();  // output pending: the send timeout above; else the phase's own timers
      return;
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
