// The seams between a connection codec, the request context it feeds and the proxy under it.
//
//   codec (Http1Connection; later an HTTP/2 stream) ──DownstreamCodec──▶ serialises responses
//   RequestContext (phases) ──DownstreamCallbacks──▶ ProxyExchange and other answering phases
//   ProxyExchange ◀──DownstreamWatcher── readiness of the downstream (drained, tunnel input)
//
// Response heads are described, not written, above the codec: a ResponseHeaders lists the
// status and the fields, RequestContext::encodeHeaders() adds the request's own fields
// (X-Request-Id, the firewall's headers) and the codec frames it (status line, Server/Date for
// local answers, Content-Length, Connection). All of it runs on the worker's loop thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/http/request_parser.h"
#include "shipgate/net/buffer.h"
#include "shipgate/staticsite/static_site.h"
#include "shipgate/traffic/endpoint.h"

namespace shipgate::server {

using HeaderField = std::pair<std::string_view, std::string_view>;

// One response head. The views must stay valid until encodeHeaders() returns.
struct ResponseHeaders {
  int status = 200;
  std::string_view reason;       // "" = the standard phrase
  int64_t content_length = -1;   // >= 0: a Content-Length field is added
  bool local = false;            // answered by the gateway: Server and Date are added
  bool switching = false;        // 101: "Connection: Upgrade" instead of keep-alive fields
  std::vector<HeaderField>* fields = nullptr;  // may be null; may be appended to
  const traffic::Endpoint* endpoint = nullptr;  // proxied: the endpoint that answered
};

// What a request context needs from the connection that carries its request (implemented by
// the codec). encode*() queue bytes; flush() sends what the socket takes.
class DownstreamCodec {
 public:
  // Frames head; returns the bytes it queued.
  virtual size_t encodeHeaders(const ResponseHeaders& head) = 0;
  virtual void encodeData(std::string_view data) = 0;
  // Queues [offset, offset + length) of file after the queued bytes.
  virtual void encodeFile(std::shared_ptr<const staticsite::OpenFile> file, off_t offset,
                          size_t length) = 0;
  // False when the connection closed (the context was aborted).
  virtual bool flush() = 0;
  virtual bool congested() const = 0;
  virtual bool keepAlive() const = 0;
  virtual void disableKeepAlive() = 0;
  // The current request is answered and logged; the codec moves to the next one. May start the
  // next request on the same context before it returns.
  virtual void requestComplete() = 0;
  // A response was cut short: the client must see the connection end.
  virtual void resetStream() = 0;
  // ---- after a 101 ----
  virtual void beginTunnel() = 0;
  // Bytes the client sent after the request (already read); moved into out.
  virtual void takeBufferedInput(net::Buffer& out) = 0;
  // Stream::read() convention (> 0, 0 = EOF, -1 + errno).
  virtual ssize_t readTunnel(char* buf, size_t len) = 0;
  virtual void closeAfterFlush() = 0;
  virtual void closeNow() = 0;
  virtual void touch() = 0;

 protected:
  ~DownstreamCodec() = default;
};

// Readiness of the downstream, for the phase that is streaming to it.
class DownstreamWatcher {
 public:
  // The downstream's queue went below its high-water mark.
  virtual void onDownstreamDrained() = 0;
  // Tunnel: the client sent bytes.
  virtual void onDownstreamReadable() = 0;

 protected:
  ~DownstreamWatcher() = default;
};

// What an answering phase (the proxy) sees of its request and the downstream: the request, its
// identity, the response path and the three ways a proxied request ends.
class DownstreamCallbacks {
 public:
  struct Identity {
    std::string_view request_id;
    std::string_view client_ip;
    bool tls = false;
  };
  virtual const http::Request& request() const = 0;
  virtual Identity identity() const = 0;
  // An empty field list to describe a response head in (storage reused across requests).
  virtual std::vector<HeaderField>& responseFields() = 0;
  // Finalises and queues a response head (see the file comment).
  virtual void encodeHeaders(ResponseHeaders& head) = 0;
  virtual void encodeData(std::string_view data) = 0;
  virtual DownstreamCodec& codec() = 0;
  void setWatcher(DownstreamWatcher* w) { watcher_ = w; }
  // The response (head and body) is queued.
  virtual void complete(int status, const traffic::Endpoint* endpoint) = 0;
  // Nothing was queued yet: answer status with a plain-text body.
  virtual void failBeforeHead(int status, std::string_view body,
                              const traffic::Endpoint* endpoint) = 0;
  // Part of the response was queued: the connection ends.
  virtual void abortAfterHead(int status, const traffic::Endpoint* endpoint) = 0;
  // A 101 head was queued: the request is accounted and the codec turns into a tunnel whose
  // events go to the watcher.
  virtual void tunnelEstablished(const traffic::Endpoint* endpoint) = 0;

 protected:
  ~DownstreamCallbacks() = default;
  DownstreamWatcher* watcher_ = nullptr;
};

}  // namespace shipgate::server
