// ProxyExchange: one proxied request at a time for its request context: pick an endpoint, take
// a pooled upstream connection or connect (connect timeout), send the rewritten head (request
// line, hop-by-hop headers stripped incl. those named in Connection, X-Forwarded-*/X-Request-Id
// added) and the buffered body, then stream the response back (body bytes forwarded verbatim,
// with backpressure and a read timeout). Backpressure: once the client's queue is at
// server.limits.response_buffer_bytes the upstream is held unread, with its read timeout stopped
// (a slow client is never charged to the upstream; its own send_timeout ends it), and read again
// when the client drains. A client that goes away mid-answer is counted in
// shipgate_proxy_client_aborts_total{app}, and the upstream connection is closed. A connect
// failure or a reset before any response byte is retried once on another endpoint for idempotent
// requests. Non-idempotent requests take a pooled connection only after checking it is still
// open. A pooled connection that fails before any response byte is retried once on a fresh connection: always when the upstream could
// not have processed the request (the write failed: the peer had closed), and for idempotent
// requests also when it reset or closed after the request was sent. A connection is pooled only
// when its exchange leaves it open: the response keeps alive, the forwarded request asked for
// keep-alive (HTTP/1.1, or not HTTP/1.0) and no FIN/RST was seen. After a 101 it pumps bytes both
// ways (WebSocket tunnels).
// Error masking (waf.mask_upstream_errors on): a final answer with status >= 500 (not to HEAD) is
// held, head and body, until its end or kErrorHoldLimit body bytes (error_mask.h), with nothing
// sent to the client meanwhile; when its (dechunked) body carries database or stack-trace text
// (managed::ErrorLeakDetector) the client gets the same status with a generic page (JSON when
// the request's Accept prefers it) carrying the request id and a Content-Length, and one warn
// line logs the request id, the endpoint, what matched and the original body (8 KiB at most);
// the rest of a longer answer is not read (the upstream connection is closed). Otherwise the
// held head and bytes go out unchanged and the answer streams on as above. Answers below 500
// are never held.
// Loop thread only.
#pragma once

#include <string>

#include "downstream.h"
#include "request_phase.h"
#include "shipgate/http/response_parser.h"
#include "shipgate/net/event_loop.h"
#include "shipgate/traffic/plan.h"
#include "snapshot.h"
#include "upstream_pool.h"
#include "worker.h"

namespace shipgate::server {

// Upstream I/O goes through the UpstreamConnection's net::Stream; the downstream is reached only
// through DownstreamCallbacks (the request's context), which this exchange watches for drain and
// tunnel input. Held by the request context while the request is in flight.
class ProxyExchange final : public UpstreamOwner, public SuspendedWork, public DownstreamWatcher {
 public:
  ProxyExchange(DownstreamCallbacks& down, Worker& worker);
  ~ProxyExchange() override;

  // Proxies the downstream's request to app app_index of snap. REQUIRES: idle.
  void start(const Snapshot& snap, int app_index);
  void onUpstreamEvent(uint32_t events) override;
  // The downstream's output drained: continue reading the upstream.
  void onDownstreamDrained() override;
  // Tunnel: bytes from the client are ready to read.
  void onDownstreamReadable() override;
  // The downstream is closing: drop the upstream side.
  void abort() override;
  bool active() const { return state_ != State::kIdle; }

 private:
  enum class State { kIdle, kConnecting, kSending, kReading, kTunnel };
  enum class Failure { kConnect, kConnectTimeout, kReset, kTimeout, kBadResponse };

  void attempt(const traffic::Endpoint* exclude, bool same_endpoint);
  void connectTo(const traffic::Endpoint& endpoint, bool fresh);
  void buildHead();
  void sendRequest();
  void writeRequest();
  void readUpstream();
  void processUpstream();
  void writeClientHead();
  void forwardBody(const char* data, size_t len);
  // Error masking: hold(upstream body bytes), then decide; releaseHeld() returns true when it
  // answered a masked page (the caller then finishes the exchange).
  bool shouldHold(int status) const;
  void hold(const char* data, size_t len);
  bool releaseHeld(bool complete);
  void writeMaskedAnswer(const std::string& matched, std::string_view body, size_t body_size);
  // The client's queue is at its ceiling: stop reading the upstream and its read timeout.
  void pauseForClient();
  void finish();
  void fail(Failure failure, const char* what);
  void releaseUpstream(bool reusable);
  void onTimer();
  // Tunnel helpers.
  void startTunnel();
  void pumpUpstreamToClient();
  void flushUpstreamOut();

  DownstreamCallbacks& down_;
  Worker& worker_;
  net::Timer timer_;
  // The request's first write, at the end of the loop's iteration (net::DeferredCall).
  net::DeferredCall send_;
  std::unique_ptr<http::ResponseParser> pooled_parser_;  // lent by the worker's upstream pool
  http::ResponseParser& parser_;
  std::unique_ptr<UpstreamConnection> conn_;
  net::Buffer head_;      // upstream request head; in tunnels, bytes for the upstream
  size_t head_sent_ = 0;
  size_t body_sent_ = 0;

  State state_ = State::kIdle;
  const Snapshot* snap_ = nullptr;
  const traffic::AppConfig* app_ = nullptr;
  int app_index_ = -1;
  const traffic::Endpoint* endpoint_ = nullptr;
  std::string set_cookie_;
  bool head_request_ = false;
  bool upgrade_ = false;
  bool readable_pending_ = false;
  bool request_open_ = false;    // onRequestStart called, onRequestEnd pending
  bool reading_ = false;         // guards re-entry from client flushes
  uint32_t last_events_ = 0;     // of the latest upstream epoll event
  bool got_bytes_ = false;       // any response byte from this attempt
  bool head_written_ = false;    // response head sent to the client
  bool interim_ = false;         // current response is 1xx
  bool paused_ = false;          // upstream reads paused (client congested)
  bool tunnel_eof_ = false;
  int retries_left_ = 0;
  bool stale_retry_left_ = false;
  bool idempotent_ = false;
  bool request_keep_alive_ = false;  // the forwarded request lets the upstream keep the connection
  bool write_failed_ = false;        // this attempt's request write failed
  bool peer_closed_ = false;         // this attempt saw the upstream's FIN, RST or an error
  int status_ = 0;
  bool holding_ = false;          // a 5xx answer's head and body are held (error masking)
  bool masked_cut_ = false;       // masked before the upstream's answer ended: do not pool
  std::string held_;              // the held body bytes as received
};

}  // namespace shipgate::server
