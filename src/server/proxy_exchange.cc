#include "proxy_exchange.h"

#include <cerrno>
#include <cstring>

#include "error_mask.h"
#include "shipgate/common/log.h"
#include "shipgate/http/cookies.h"
#include "response_head.h"
#include "worker.h"

namespace shipgate::server {
namespace {

using http::equalsIgnoreCase;
constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

ProxyExchange::ProxyExchange(DownstreamCallbacks& down, Worker& worker)
    : down_(down),
      worker_(worker),
      timer_(worker.loop(), [this] { onTimer(); }),
      send_(worker.loop(),
            [this] {
              if (state_ == State::kSending) writeRequest();
            }),
      pooled_parser_(worker.pool().takeParser()),
      parser_(*pooled_parser_) {}

ProxyExchange::~ProxyExchange() {
  abort();
  worker_.pool().giveBackParser(std::move(pooled_parser_));
}

void ProxyExchange::start(const Snapshot& snap, int app_index) {
  const http::Request& req = down_.request();
  down_.setWatcher(this);
  snap_ = &snap;
  app_index_ = app_index;
  app_ = &snap.plan->trafficConfig().apps[static_cast<size_t>(app_index)];
  head_request_ = req.isMethod("HEAD");
  upgrade_ = req.upgrade();
  retries_left_ = (app_->retry_idempotent && req.idempotent()) ? 1 : 0;
  idempotent_ = req.idempotent();
  stale_retry_left_ = true;
  // Forwarded as HTTP/1.0 without "Connection: keep-alive", the upstream may close after its
  // answer even when the answer does not say so.
  request_keep_alive_ = !(req.versionMajor() == 1 && req.versionMinor() == 0);
  endpoint_ = nullptr;
  set_cookie_.clear();
  status_ = 0;
  head_written_ = interim_ = paused_ = tunnel_eof_ = false;
  holding_ = masked_cut_ = false;
  held_.clear();
  buildHead();
  attempt(nullptr, false);
}

void ProxyExchange::attempt(const traffic::Endpoint* exclude, bool same_endpoint) {
  if (!same_endpoint) {
    traffic::PickRequest pr;
    if (app_->sticky.enabled) {
      pr.sticky_cookie =
          http::findCookie(down_.request(), app_->sticky.cookie).value_or(std::string_view());
    }
    pr.random = worker_.random();
    pr.exclude = exclude;
    traffic::Pick pick = snap_->plan->pick(app_index_, pr);
    if (pick.endpoint == nullptr) {
      state_ = State::kIdle;
      head_.clear();
      worker_.buffers().giveBack(head_);
      std::string body = traffic::unavailableMessage(pick, app_->name);
      down_.failBeforeHead(503, body, nullptr);
      return;
    }
    endpoint_ = pick.endpoint;
    if (!pick.set_cookie.empty()) set_cookie_ = std::move(pick.set_cookie);
  }
  connectTo(*endpoint_, same_endpoint);
}

void ProxyExchange::connectTo(const traffic::Endpoint& ep, bool fresh) {
  snap_->plan->onRequestStart(ep);
  request_open_ = true;
  got_bytes_ = false;
  write_failed_ = false;
  peer_closed_ = false;
  // An idempotent request that meets a connection the upstream closed is sent again on a fresh
  // one (stale retry); any other request first checks the pooled connection is still open.
  if (!fresh) conn_ = worker_.pool().take(ep.key, !idempotent_);
  if (conn_) {
    conn_->setOwner(this);
    sendRequest();
    return;
  }
  net::SockAddr addr;
  std::memcpy(&addr.storage, &ep.sockaddr, sizeof(addr.storage));
  addr.len = ep.sockaddr_len;
  bool in_progress = false;
  auto fd = net::connectNonBlocking(addr, &in_progress);
  if (!fd.isOk()) {
    state_ = State::kConnecting;
    fail(Failure::kConnect, "connect failed");
    return;
  }
  conn_ = std::make_unique<UpstreamConnection>(
      worker_.pool(), std::make_unique<net::PlainStream>(std::move(fd).value()), ep.key);
  conn_->setOwner(this);
  if (!worker_.pool().attach(*conn_)) {
    state_ = State::kConnecting;
    fail(Failure::kConnect, "cannot register upstream socket");
    return;
  }
  if (in_progress) {
    state_ = State::kConnecting;
    timer_.armAfter(app_->connect_timeout);
    return;
  }
  sendRequest();
}

void ProxyExchange::sendRequest() {
  state_ = State::kSending;
  head_sent_ = 0;
  body_sent_ = 0;
  readable_pending_ = false;
  timer_.armAfter(app_->read_timeout);
  // Not now: with the other requests of this iteration (an upstream event that comes first
  // writes it then, and the deferred call finds it sent).
  send_.schedule();
}

void ProxyExchange::writeRequest() {
  const std::string& body = down_.request().body();
  while (head_sent_ < head_.size() || body_sent_ < body.size()) {
    iovec iov[2];
    int n = 0;
    if (head_sent_ < head_.size()) {
      iov[n++] = {const_cast<char*>(head_.data()) + head_sent_, head_.size() - head_sent_};
    }
    if (body_sent_ < body.size()) {
      iov[n++] = {const_cast<char*>(body.data()) + body_sent_, body.size() - body_sent_};
    }
    ssize_t w = conn_->stream().writev(iov, n);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      write_failed_ = true;
      fail(Failure::kReset, "upstream write failed");
      return;
    }
    size_t left = static_cast<size_t>(w);
    size_t h = std::min(left, head_.size() - head_sent_);
    head_sent_ += h;
    body_sent_ += left - h;
  }
  state_ = State::kReading;
  parser_.start(head_request_);
  interim_ = false;
  if (readable_pending_) {
    last_events_ |= EPOLLRDHUP;  // read to EAGAIN/EOF: the edge was consumed while sending
    readUpstream();
  }
}

void ProxyExchange::onUpstreamEvent(uint32_t events) {
  last_events_ = events;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peer_closed_ = true;
  switch (state_) {
    case State::kConnecting: {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = net::connectError(conn_->fd());
      if (err != 0) {
        fail(Failure::kConnect, strerror(err));
        return;
      }
      sendRequest();
      return;
    }
    case State::kSending:
      if (events & (EPOLLIN | EPOLLRDHUP)) readable_pending_ = true;
      writeRequest();
      return;
    case State::kReading:
      readUpstream();
      return;
    case State::kTunnel:
      if (events & EPOLLOUT) flushUpstreamOut();
      if (state_ == State::kTunnel && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        pumpUpstreamToClient();
      }
      return;
    case State::kIdle:
      return;
  }
}

void ProxyExchange::readUpstream() {
  if (reading_) return;
  reading_ = true;
  // The read timeout counts only time the upstream is silent while we want its bytes: it was
  // stopped while the client held us back, and runs again from now.
  if (paused_) timer_.armAfter(app_->read_timeout);
  paused_ = false;
  for (;;) {
    if (down_.codec().congested()) {
      // Send what the client takes now; if that is not enough, hold the upstream unread (its
      // bytes wait in the kernel's buffers) until the client drains below the ceiling.
      if (!down_.codec().flush()) {
        reading_ = false;
        return;
      }
      if (down_.codec().congested()) {
        pauseForClient();
        break;
      }
    }
    net::Buffer& in = conn_->in();
    worker_.buffers().borrow(in);
    char* p = in.prepare(kReadChunk);
    size_t want = in.writable();
    ssize_t n = conn_->stream().read(p, want);
    if (n > 0) {
      in.commit(static_cast<size_t>(n));
      got_bytes_ = true;
      timer_.armAfter(app_->read_timeout);
      processUpstream();
      if (state_ != State::kReading) break;
      // Short read: the socket is drained; the next arrival (or FIN) raises a new edge.
      if (static_cast<size_t>(n) < want && !(last_events_ & (EPOLLRDHUP | EPOLLHUP))) {
        if (!down_.codec().flush()) {
          reading_ = false;
          return;
        }
        break;
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!down_.codec().flush()) {
        reading_ = false;
        return;
      }
      break;
    }
    if (n == 0 && parser_.finishOnEof() == http::ResponseParser::State::kComplete &&
        (head_written_ || holding_)) {
      reading_ = false;
      if (holding_) releaseHeld(true);
      finish();
      return;
    }
    reading_ = false;
    fail(got_bytes_ ? Failure::kBadResponse : Failure::kReset,
         n == 0 ? "upstream closed the connection" : "upstream read failed");
    return;
  }
  reading_ = false;
}

void ProxyExchange::processUpstream() {
  net::Buffer& in = conn_->in();
  for (;;) {
    size_t n = 0;
    auto st = parser_.execute(in.data(), in.size(), &n);
    switch (st) {
      case http::ResponseParser::State::kHeadComplete: {
        int status = parser_.response().status();
        in.consume(n);
        if (status == 101) {
          if (upgrade_) {
            startTunnel();
          } else {
            fail(Failure::kBadResponse, "unexpected 101 from upstream");
          }
          return;
        }
        if (status / 100 == 1) {
          interim_ = true;
          continue;
        }
        status_ = status;
        if (shouldHold(status)) {
          holding_ = true;
          held_.clear();
          continue;
        }
        writeClientHead();
        continue;
      }
      case http::ResponseParser::State::kNeedMore:
        if (holding_ && n > 0) {
          hold(in.data(), n);
          in.consume(n);
          if (holding_ || !masked_cut_) return;
          finish();  // masked on the first kErrorHoldLimit bytes: the rest is not read
          return;
        }
        if (!interim_ && head_written_ && n > 0) forwardBody(in.data(), n);
        in.consume(n);
        return;
      case http::ResponseParser::State::kComplete:
        if (interim_) {
          in.consume(n);
          interim_ = false;
          parser_.start(head_request_);
          continue;
        }
        if (holding_) {
          held_.append(in.data(), n);
          in.consume(n);
          releaseHeld(true);
          finish();
          return;
        }
        if (n > 0) forwardBody(in.data(), n);
        in.consume(n);
        finish();
        return;
      case http::ResponseParser::State::kError:
        fail(Failure::kBadResponse, "invalid response from upstream");
        return;
    }
  }
}

void ProxyExchange::forwardBody(const char* data, size_t len) {
  down_.encodeData(std::string_view(data, len));
}

bool ProxyExchange::shouldHold(int status) const {
  return status >= 500 && !head_request_ && snap_->config &&
         snap_->config->waf.mask_upstream_errors && errorLeakDetector() != nullptr;
}

void ProxyExchange::hold(const char* data, size_t len) {
  held_.append(data, len);
  if (held_.size() >= kErrorHoldLimit) releaseHeld(false);
}

bool ProxyExchange::releaseHeld(bool complete) {
  holding_ = false;
  const http::Response& r = parser_.response();
  std::string decoded;
  std::string_view body = held_;
  if (r.chunked()) {
    decoded = decodeChunkedPrefix(held_);
    body = decoded;
  }
  // A compressed answer is inspected as the client will read it; one in a coding shipgate does
  // not read is passed on uninspected, and counted.
  std::optional<std::string> text;
  std::string_view codings = r.header("content-encoding");
  if (!codings.empty()) {
    text = decodeContentCodings(codings, body);
    if (text) {
      body = *text;
    } else {
      worker_.metrics().addCounter("shipgate_upstream_errors_uninspected_total", "app",
                                   app_->name);
    }
  }
  std::optional<std::string> leak =
      codings.empty() || text ? errorLeakDetector()->find(body) : std::nullopt;
  if (!leak) {
    writeClientHead();
    if (!held_.empty()) forwardBody(held_.data(), held_.size());
    std::string().swap(held_);  // not kept across requests
    return false;
  }
  writeMaskedAnswer(*leak, body, body.size());
  std::string().swap(held_);
  masked_cut_ = !complete;
  return true;
}

void ProxyExchange::writeMaskedAnswer(const std::string& matched, std::string_view body,
                                      size_t body_size) {
  DownstreamCallbacks::Identity id = down_.identity();
  std::string page = maskedErrorBody(prefersJson(down_.request().header("accept")), status_,
                                     id.request_id);
  std::string line = "upstream error masked: request_id=";
  line += id.request_id;
  line += " app=";
  line += app_->name;
  line += " upstream=";
  line += endpoint_ ? endpoint_->address.toString() : std::string("-");
  line += " status=";
  line += std::to_string(status_);
  line += " matched=";
  line += matched;
  line += " body=";
  line += bodyForLog(body, body_size);
  log::warn(line);
  worker_.metrics().addCounter("shipgate_upstream_errors_masked_total", "app", app_->name);
  std::vector<HeaderField>& fields = down_.responseFields();
  fields.emplace_back("Content-Type",
                      page[0] == '{' ? "application/json" : "text/html; charset=utf-8");
  fields.emplace_back("Cache-Control", "no-store");
  if (!set_cookie_.empty()) fields.emplace_back("Set-Cookie", set_cookie_);
  ResponseHeaders head;
  head.status = status_;
  head.content_length = static_cast<int64_t>(page.size());
  head.local = true;
  head.fields = &fields;
  head.endpoint = endpoint_;
  down_.encodeHeaders(head);
  head_written_ = true;
  down_.encodeData(page);
}

void ProxyExchange::finish() {
  timer_.cancel();
  const http::Response& r = parser_.response();
  bool reusable = r.keepAlive() && request_keep_alive_ && conn_ && conn_->in().empty() &&
                  !peer_closed_ && !worker_.draining() && !masked_cut_ &&
                  !upgrade_;
  if (request_open_) {
    snap_->plan->onRequestEnd(*endpoint_, status_ >= 500 ? traffic::Outcome::kHttp5xx
                                                         : traffic::Outcome::kSuccess);
    request_open_ = false;
  }
  releaseUpstream(reusable);
  state_ = State::kIdle;
  head_.clear();
  worker_.buffers().giveBack(head_);
  down_.complete(status_, endpoint_);
}

void ProxyExchange::releaseUpstream(bool reusable) {
  if (!conn_) return;
  if (reusable || conn_->in().empty()) {
    conn_->in().clear();
    worker_.buffers().giveBack(conn_->in());
  }
  if (reusable) {
    conn_->markUsed();
    worker_.pool().put(std::move(conn_));
  } else {
    worker_.pool().discard(std::move(conn_));
  }
}

void ProxyExchange::pauseForClient() {
  paused_ = true;
  // The client's slowness is not the upstream's: no read timeout while it lasts (the client's
  // send_timeout bounds it), and no input buffer held.
  timer_.cancel();
  if (conn_ && conn_->in().empty()) worker_.buffers().giveBack(conn_->in());
}

void ProxyExchange::onDownstreamDrained() {
  if (!paused_) return;
  if (state_ == State::kReading) {
    readUpstream();
  } else if (state_ == State::kTunnel) {
    pumpUpstreamToClient();
  }
}

}  // namespace shipgate::server
