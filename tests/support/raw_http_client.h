// A blocking HTTP/1.1 client for tests over loopback TCP. It sends exactly the bytes it is given
// (so tests can write malformed, smuggling or pipelined requests) and parses responses with its own
// small parser, independent of the gateway's llhttp: status line, headers, and a body framed by
// Content-Length, chunked encoding, or connection close. Every call has a timeout.
//
// startTls() turns a connected client into a TLS client (any certificate is accepted; the test
// reads the one presented with peerCertificateSubject()).
//
// Failures never throw: a failed read returns an HttpResponse with status 0 and `error` set.
// Not thread-safe: one thread per client.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

namespace testsupport {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;        // 0 = no response; see error
  std::string version;   // "HTTP/1.1"
  std::string reason;
  Headers headers;       // in wire order, names as sent
  std::string body;      // decoded (chunked framing removed)
  Headers trailers;      // chunked trailers
  std::string raw;       // the exact bytes of the whole response
  bool chunked = false;
  bool close_delimited = false;
  std::string error;

  bool ok() const { return status != 0; }
  // First value of a header (case-insensitive name), "" when absent.
  std::string header(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
  size_t headerCount(std::string_view name) const;
};

struct ReadOptions {
  bool head_request = false;  // the response to HEAD has no body
  std::chrono::milliseconds timeout{10000};
};

class RawHttpClient {
 public:
  RawHttpClient() = default;
  ~RawHttpClient();
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  // Connects to host:port (IPv4 literal). False with error() set on failure.
  bool connect(uint16_t port, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
               const std::string& host = "127.0.0.1");
  bool connected() const { return fd_ >= 0; }
  // After connect(): the TLS handshake, with SNI `server_name` when it is not empty. Every later
  // send and read goes through TLS until close(). False with error() set on failure.
  bool startTls(const std::string& server_name = "",
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  bool tls() const { return ssl_ != nullptr; }
  // The subject (one-line form, e.g. "/O=first/CN=a.test") of the certificate the server
  // presented; "" without TLS.
  std::string peerCertificateSubject() const;
  // Writes all bytes (or fails after `timeout`).
  bool send(std::string_view bytes,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Writes `bytes` in pieces of `chunk` bytes with `gap` between them (slowloris-style clients).
  // Stops early (false) when the peer closes or a write fails.
  bool sendSlowly(std::string_view bytes, size_t chunk, std::chrono::milliseconds gap);
  // Reads one complete response. Bytes after it stay buffered for the next call (pipelining).
  // An interim 1xx response (e.g. 100 Continue) is returned as a response of its own.
  HttpResponse readResponse(const ReadOptions& options = {});
  // Sends `request` and reads its response.
  HttpResponse roundTrip(std::string_view request, const ReadOptions& options = {});
  // Whatever arrives within `wait` (buffered bytes first); stops early at EOF.
  std::string readAvailable(std::chrono::milliseconds wait);
  // Everything until the peer closes; "" and error() set on timeout.
  std::string readUntilClose(std::chrono::milliseconds timeout);
  // True if the peer closes (EOF or reset) within `timeout`; discards data read meanwhile.
  bool waitForClose(std::chrono::milliseconds timeout);
  void shutdownWrite();
  void close();
  int fd() const { return fd_; }
  bool peerClosed() const { return eof_; }
  const std::string& error() const { return error_; }

 private:
  // Ensures buffer_ holds at least `n` bytes. False on EOF/timeout/error.
  bool fill(size_t n, std::chrono::steady_clock::time_point deadline);
  // Reads more into buffer_; returns bytes read, 0 on EOF, -1 on error/timeout.
  long readMore(std::chrono::steady_clock::time_point deadline);
  bool findLine(size_t from, size_t* line_end, std::chrono::steady_clock::time_point deadline);
  // Waits until the socket is readable (`for_write` false) or writable; false on timeout.
  bool waitReady(bool for_write, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  ssl_ctx_st* ssl_ctx_ = nullptr;  // owned, with ssl_
  ssl_st* ssl_ = nullptr;
  bool eof_ = false;
  std::string buffer_;
  std::string error_;
};

// One request on a new connection with "Connection: close"; adds Host when `headers` lacks it.
HttpResponse httpRequest(uint16_t port, const std::string& method, const std::string& path,
                         const Headers& headers = {}, const std::string& body = "",
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
HttpResponse httpGet(uint16_t port, const std::string& path, const Headers& headers = {},
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

}  // namespace testsupport
