// JSON access log: one line per request with time, request id, client ip, method, path,
// status, bytes, duration, site, app, slot and upstream. Each worker appends to its own
// AccessLogBuffer (no locks on the request path) and flushes it to the shared AccessLogSink
// when it grows past a threshold and periodically (the worker's timer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::server {

// The destination file (appended to) or stdout. write() is thread-safe: one write(2) per call
// on an O_APPEND descriptor.
class AccessLogSink {
 public:
  // Empty path = stdout.
  static Result<std::unique_ptr<AccessLogSink>> open(const std::string& path);
  ~AccessLogSink();
  void write(std::string_view data);

 private:
  AccessLogSink(int fd, bool owned) : fd_(fd), owned_(owned) {}
  int fd_;
  bool owned_;
};

struct AccessLogEntry {
  int64_t wall_ms = 0;
  std::string_view request_id;
  std::string_view client_ip;
  std::string_view method;
  std::string_view path;
  int status = 0;
  uint64_t bytes = 0;  // response bytes sent (head + body)
  double duration_s = 0;
  std::string_view site;
  std::string_view app;
  std::string_view slot;
  std::string_view upstream;  // "host:port" or ""
};

// Per-worker buffer. Not thread-safe.
class AccessLogBuffer {
 public:
  explicit AccessLogBuffer(AccessLogSink* sink) : sink_(sink) {}
  ~AccessLogBuffer() { flush(); }
  bool enabled() const { return sink_ != nullptr; }
  void append(const AccessLogEntry& e);
  void flush();
  size_t pending() const { return buf_.size(); }
  static constexpr size_t kFlushBytes = 32 * 1024;

 private:
  AccessLogSink* sink_;
  std::string buf_;
};

}  // namespace shipgate::server
