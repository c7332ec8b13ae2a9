// ClientConnection: the server side of one HTTP/1.1 connection (plain or TLS). Reads and parses
// requests one at a time (pipelined requests wait in the input buffer, so responses leave in
// order), answers static sites, redirects and errors itself and hands app requests to its
// ProxyExchange; after a 101 it becomes a byte tunnel. Enforces the header (408), body (408),
// idle and write timeouts, and closes with a lingering half-close so error responses reach the
// client. Loop thread only; freed by the worker at the end of the iteration that closed it.
//
// WAF: every complete request (head and body read) goes through the snapshot's Firewall before
// routing when the WAF is on: a block / challenge / rate limit is answered here; a pass adds
// the firewall's headers (RateLimit-Policy / RateLimit) to whatever response follows, and the
// final status goes back to the firewall (onResponse) for rate-limit counting expressions.
#pragma once

#include <memory>
#include <string>

#include "shipgate/firewall/firewall.h"
#include "shipgate/http/request_parser.h"
#include "shipgate/net/buffer.h"
#include "shipgate/net/event_loop.h"
#include "shipgate/net/stream.h"
#include "shipgate/net/tls_context.h"
#include "shipgate/traffic/endpoint.h"
#include "worker.h"

namespace shipgate::server {

class ProxyExchange;

class ClientConnection final : public net::IoHandler, public Deferred {
 public:
  ClientConnection(Worker& worker, std::unique_ptr<net::Stream> stream, std::string client_ip,
                   std::shared_ptr<net::TlsServerContext> tls);
  ~ClientConnection() override;

  void start();
  void onIoEvent(uint32_t events) override;
  // Graceful shutdown: close now when idle, else after the current response.
  void drain();
  void closeNow();
  bool closed() const { return phase_ == Phase::kClosed; }

  // ---- for ProxyExchange ----
  const http::Request& request() const { return parser_.request(); }
  const std::string& requestId() const { return request_id_; }
  const std::string& clientIp() const { return client_ip_; }
  bool isTls() const { return tls_ != nullptr; }
  bool keepAlive() const { return keep_alive_; }
  void setKeepAlive(bool keep) { keep_alive_ = keep_alive_ && keep; }
  net::Buffer& out() {
    worker_.buffers().borrow(out_);
    return out_;
  }
  net::Buffer& in() { return in_; }
  net::Stream& stream() { return *stream_; }
  // Writes what it can; returns false when the connection closed.
  bool flush();
  static constexpr size_t kHighWater = 256 * 1024;
  bool congested() const { return out_.size() > kHighWater; }
  void addBytesSent(size_t n) { bytes_sent_ += n; }
  // Header lines ("Name: value\r\n") the firewall adds to the current response; may be empty.
  std::string_view wafHeaders() const { return waf_headers_; }
  // The exchange finished: the response (head + body) is in out_.
  void proxyFinished(int status, const traffic::Endpoint* endpoint);
  // Nothing was sent yet: answer with an error response.
  void proxyFailed(int status, std::string_view body, const traffic::Endpoint* endpoint);
  // Part of the response was sent: the only way out is to close.
  void proxyAborted(int status, const traffic::Endpoint* endpoint);
  // 101 forwarded: from now on bytes are tunnelled.
  void enterTunnel(const traffic::Endpoint* endpoint);
  // Tunnel: the upstream side ended; close once out_ is flushed.
  void closeAfterFlush();
  void touch() { last_activity_ = worker_.loop().now(); }
  Worker& worker() { return worker_; }

 private:
  enum class Phase { kReading, kProcessing, kTunnel, kLingering, kClosed };

  void onReadable();
  // Reads until EAGAIN, EOF or the buffer cap; returns false when the connection closed.
  bool readInput();
  void processInput();
  void handleRequest();
  // Runs the firewall on the current request; true when it answered (block, challenge, 429).
  bool inspectRequest(const firewall::Firewall& fw);
  void respondFirewall(const firewall::Decision& d);
  // Tells the firewall the status of a request it passed (rate-limit counting expressions).
  void firewallResponse(int status);
  void serveStatic(int site_index);
  void redirectHttps();
  void respondSimple(int status, std::string_view body, std::string_view extra_headers = {});
  void respondError(int status, std::string_view body);
  // Appends a response head; content_length < 0 = none.
  void writeHead(int status, int64_t content_length, std::string_view extra_headers);
  void finishResponse(int status, const traffic::Endpoint* endpoint);
  void beginClose();
  void lingerRead();
  void updateTimer();
  void onTimer();
  void sendContinueIfNeeded();
  size_t inputCap() const;

  Worker& worker_;
  std::unique_ptr<net::Stream> stream_;
  std::shared_ptr<net::TlsServerContext> tls_;
  std::string client_ip_;
  net::Buffer in_;
  net::Buffer out_;
  http::RequestParser parser_;
  net::Timer timer_;
  std::unique_ptr<ProxyExchange> proxy_;
  Phase phase_ = Phase::kReading;
  uint32_t last_events_ = 0;  // of the latest epoll event

  bool keep_alive_ = true;
  bool close_after_flush_ = false;
  bool peer_eof_ = false;
  bool read_paused_ = false;
  bool in_process_ = false;
  bool continue_sent_ = false;
  bool draining_ = false;
  bool got_request_bytes_ = false;
  uint64_t requests_ = 0;
  Clock::time_point message_start_;
  Clock::time_point last_activity_;
  Clock::time_point linger_until_;

  // The request being answered.
  std::shared_ptr<const Snapshot> snap_;
  const config::SiteConfig* site_ = nullptr;
  Clock::time_point request_start_;
  std::string request_id_;
  std::string scratch_;  // reused for building header blocks
  // The WAF: the firewall that passed the current request (kept alive by snap_), the view it
  // saw (valid until parser_.next()) and the headers it adds to the response.
  std::unique_ptr<firewall::Scratch> waf_scratch_;
  const firewall::Firewall* waf_ = nullptr;
  firewall::RequestView waf_view_;
  std::string waf_headers_;
  uint64_t bytes_sent_ = 0;
  std::shared_ptr<const staticsite::OpenFile> file_;
  off_t file_offset_ = 0;
  size_t file_left_ = 0;
};

}  // namespace shipgate::server
