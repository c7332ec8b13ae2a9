// Http1Connection: the HTTP/1.x server codec of one client connection (plain or TLS). Reads and
// parses requests one at a time with http::RequestParser (pipelined requests wait in the input
// buffer, so responses leave in order) and hands each complete request to its RequestContext,
// which runs the phases and answers through this codec's DownstreamCodec side: response heads
// are framed here (status line, Content-Length, Connection, Server/Date for local answers).
// Sends 100 Continue, enforces the header (408), body (408), idle and send timeouts (send: no
// successful write for server.limits.send_timeout while output waits; closed, counted in
// shipgate_client_send_timeouts_total{app}, never charged to an upstream), keeps the
// connection alive or closes it with a lingering half-close so the last response reaches the
// client; after a 101 it becomes a byte tunnel driven by the context's watcher. Tells its worker
// whether it may be closed to make room at the connection cap (idle keep-alive, silent, or part
// of a first request head: ReclaimLists), and closes a connection that sends nothing within
// first_byte_timeout.
// The parser and the RequestContext live in a RequestSlot taken from the worker's free list when
// a request's first byte arrives and given back when the connection is idle again, so an idle
// keep-alive connection holds only this object, its stream and no buffers (about 0.4 KiB).
// Loop thread only; freed by the worker at the end of the iteration that closed it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "connection_limits.h"
#include "downstream.h"
#include "request_context.h"
#include "request_slot.h"
#include "shipgate/http/request_parser.h"
#include "shipgate/net/buffer.h"
#include "shipgate/net/event_loop.h"
#include "shipgate/net/stream.h"
#include "shipgate/net/tls_context.h"
#include "worker.h"

namespace shipgate::server {

class Http1Connection final : public net::IoHandler, public DownstreamCodec, public Deferred {
 public:
  Http1Connection(Worker& worker, std::unique_ptr<net::Stream> stream, std::string client_ip,
                  std::shared_ptr<net::TlsServerContext> tls);
  ~Http1Connection() override;

  void start();
  void onIoEvent(uint32_t events) override;
  // Graceful shutdown: close now when idle, else after the current response.
  void drain();
  bool closed() const { return phase_ == Phase::kClosed; }
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kProducerChunk = 16 * 1024;

  // ---- DownstreamCodec ----
  size_t encodeHeaders(const ResponseHeaders& head) override;
  void encodeData(std::string_view data) override;
  void encodeFile(std::shared_ptr<const staticsite::OpenFile> file, off_t offset,
                  size_t length) override;
  bool flush() override;
  // Another read chunk of a producer (16 KiB, what the proxy reads from its upstream at a time)
  // would take the queue past server.limits.response_buffer_bytes.
  bool congested() const override {
    return !out_.empty() && out_.size() + kProducerChunk > response_buffer_;
  }
  bool keepAlive() const override { return keep_alive_; }
  void disableKeepAlive() override { keep_alive_ = false; }
  void requestComplete() override;
  void resetStream() override;
  void beginTunnel() override;
  void takeBufferedInput(net::Buffer& out) override;
  ssize_t readTunnel(char* buf, size_t len) override;
  void closeAfterFlush() override;
  void closeNow() override;
  void touch() override { last_activity_ = worker_.loop().now(); }

  // ---- the connection cap (worker.h) ----
  ReclaimHook& reclaimHook() { return reclaim_hook_; }
  // The client address this connection is counted under for max_connections_per_ip.
  void holdClientSlot(const ClientKey& key) { client_slot_ = key; }
  const std::optional<ClientKey>& clientSlot() const { return client_slot_; }
  // Bytes from the client wait in the socket, not read yet (its read event is still queued).
  bool hasUnreadInput() const;
  // For tests: the connection holds a request parser and context (request_slot.h); an idle
  // keep-alive connection holds none.
  bool holdsRequestSlot() const { return slot_ != nullptr; }

 private:
  enum class Phase { kReading, kProcessing, kTunnel, kLingering, kClosed };

  void onReadable();
  // Reads until EAGAIN, EOF or the buffer cap; returns false when the connection closed.
  bool readInput();
  void processInput();
  void handleRequest();
  void handleError(int status, std::string_view reason);
  void beginClose();
  void lingerRead();
  void updateTimer();
  void onTimer();
  void sendContinueIfNeeded();
  // Files this connection in its worker's ReclaimLists by its current state.
  void updateReclaimable();
  bool outputPending() const { return !out_.empty() || file_ != nullptr; }
  // No successful write for send_timeout with output pending: counted and closed.
  void sendTimedOut();
  size_t inputCap() const;
  // The request slot, taken from the worker's free list when the connection has none.
  RequestSlot& slot();
  // Gives the slot back to the worker once the connection is idle (between requests, nothing
  // buffered or queued), so an idle keep-alive connection holds no request-scoped storage.
  void releaseSlotIfIdle();
  // Gives the slot back whatever its state (the connection closed); resets its parser.
  void releaseSlot();
  bool inMessage() const { return slot_ && slot_->parser.inMessage(); }
  bool headersComplete() const { return slot_ && slot_->parser.headersComplete(); }
  bool isTls() const { return tls_ != nullptr; }

  Worker& worker_;
  std::unique_ptr<net::Stream> stream_;
  std::shared_ptr<net::TlsServerContext> tls_;
  net::Buffer in_;
  net::Buffer out_;
  net::Timer timer_;
  std::string client_ip_;
  std::unique_ptr<RequestSlot> slot_;  // while a request is read, answered or tunnelled
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
  bool send_blocked_ = false;  // the last flush left output pending
  size_t response_buffer_;     // server.limits.response_buffer_bytes
  uint64_t requests_ = 0;
  Clock::time_point message_start_;
  Clock::time_point last_activity_;
  Clock::time_point last_write_;  // since then output has been waiting for the client
  Clock::time_point linger_until_;
  std::shared_ptr<const staticsite::OpenFile> file_;
  off_t file_offset_ = 0;
  size_t file_left_ = 0;
  ReclaimHook reclaim_hook_;
  std::optional<ClientKey> client_slot_;
};

}  // namespace shipgate::server
