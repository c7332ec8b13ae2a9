// ProxyExchange, the unhappy paths: a failed attempt is retried (a fresh connection after a
// stale pooled one, another endpoint for idempotent requests) or answered (502/504 before the
// head, a cut connection after it); timeouts; aborts when the downstream goes away (counted as
// the client's, reported to passive health as no failure of the endpoint).
#include <cstring>

#include "proxy_exchange.h"
#include "shipgate/metrics/names.h"
#include "worker.h"

namespace shipgate::server {

void ProxyExchange::fail(Failure failure, const char* what) {
  timer_.cancel();
  bool stale = conn_ && conn_->reused() && !got_bytes_ && failure == Failure::kReset;
  traffic::Outcome outcome = traffic::Outcome::kReset;
  if (failure == Failure::kConnect || failure == Failure::kConnectTimeout) {
    outcome = traffic::Outcome::kConnectFailure;
  } else if (failure == Failure::kTimeout) {
    outcome = traffic::Outcome::kTimeout;
  }
  if (request_open_) {
    // A pooled connection the upstream had already closed says nothing about its health.
    snap_->plan->onRequestEnd(*endpoint_, stale ? traffic::Outcome::kSuccess : outcome);
    request_open_ = false;
  }
  releaseUpstream(false);
  if (!got_bytes_ && !head_written_) {
    // A failed write means the upstream had closed before the request reached it: safe to
    // send again whatever the method.
    if (stale && stale_retry_left_ && (idempotent_ || write_failed_)) {
      stale_retry_left_ = false;
      connectTo(*endpoint_, true);
      return;
    }
    bool retryable = failure == Failure::kConnect || failure == Failure::kConnectTimeout ||
                     failure == Failure::kReset;
    if (retryable && retries_left_ > 0) {
      --retries_left_;
      worker_.metrics().addCounter("shipgate_upstream_retries_total", "app", app_->name);
      attempt(endpoint_, false);
      return;
    }
  }
  state_ = State::kIdle;
  head_.clear();
  worker_.buffers().giveBack(head_);
  if (head_written_) {
    down_.abortAfterHead(502, endpoint_);
    return;
  }
  int status = (failure == Failure::kTimeout || failure == Failure::kConnectTimeout) ? 504 : 502;
  std::string body = status == 504 ? "upstream timed out" : "upstream failed";
  body += " (app ";
  body += app_->name;
  if (endpoint_) {
    body += ", ";
    body += endpoint_->address.toString();
  }
  body += "): ";
  body += what;
  down_.failBeforeHead(status, body, endpoint_);
}

void ProxyExchange::onTimer() {
  switch (state_) {
    case State::kConnecting:
      fail(Failure::kConnectTimeout, "connect timeout");
      return;
    case State::kSending:
    case State::kReading:
      fail(Failure::kTimeout, "no response within the read timeout");
      return;
    default:
      return;
  }
}

void ProxyExchange::abort() {
  if (state_ == State::kIdle) return;
  timer_.cancel();
  send_.cancel();
  // The client went away (closed, reset, or its send timeout): never the upstream's failure.
  worker_.metrics().addCounter(metrics::names::kProxyClientAborts, "app", app_->name);
  if (request_open_ && endpoint_ != nullptr) {
    snap_->plan->onRequestEnd(*endpoint_, traffic::Outcome::kSuccess);
    request_open_ = false;
  }
  releaseUpstream(false);
  state_ = State::kIdle;
  head_.clear();
  worker_.buffers().giveBack(head_);
}

}  // namespace shipgate::server
