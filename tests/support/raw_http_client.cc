#include "support/raw_http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace testsupport {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxHead = 1 << 20;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<long>(0, left.count()));
}

HttpResponse failed(std::string error) {
  HttpResponse r;
  r.error = std::move(error);
  return r;
}

// Parses "name: value" lines of [begin, end) (each ending in CRLF) into `out`.
bool parseHeaderLines(std::string_view block, Headers* out, std::string* error) {
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = block.size();
    std::string_view line = block.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      *error = "obsolete header line folding: '" + std::string(line) + "'";
      return false;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = "malformed header line: '" + std::string(line) + "'";
      return false;
    }
    out->emplace_back(std::string(line.substr(0, colon)),
                      std::string(trim(line.substr(colon + 1))));
  }
  return true;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

bool HttpResponse::hasHeader(std::string_view name) const { return headerCount(name) > 0; }

size_t HttpResponse::headerCount(std::string_view name) const {
  return static_cast<size_t>(std::count_if(headers.begin(), headers.end(),
                                           [&](const auto& h) { return iequals(h.first, name); }));
}

RawHttpClient::~RawHttpClient() { close(); }

void RawHttpClient::close() {
  if (ssl_) SSL_free(ssl_);
  if (ssl_ctx_) SSL_CTX_free(ssl_ctx_);
  ssl_ = nullptr;
  ssl_ctx_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  eof_ = false;
  buffer_.clear();
}

bool RawHttpClient::connect(uint16_t port, std::chrono::milliseconds timeout,
                            const std::string& host) {
  close();
  error_.clear();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    error_ = "bad IPv4 address '" + host + "'";
    return false;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (r != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      errno = err;
      r = err == 0 ? 0 : -1;
    } else {
      errno = r == 0 ? ETIMEDOUT : errno;
      r = -1;
    }
  }
  if (r != 0) {
    error_ = "connect " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

bool RawHttpClient::waitReady(bool for_write, Clock::time_point deadline) {
  pollfd p{fd_, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  int ms = remainingMs(deadline);
  return ms > 0 && ::poll(&p, 1, ms) > 0;
}

bool RawHttpClient::startTls(const std::string& server_name, std::chrono::milliseconds timeout) {
  if (fd_ < 0 || ssl_) {
    error_ = fd_ < 0 ? "startTls: not connected" : "startTls: already TLS";
    return false;
  }
  ssl_ctx_ = SSL_CTX_new(TLS_client_method());
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
  SSL_CTX_set_options(ssl_ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);  // a peer's close is EOF
#endif
  ssl_ = SSL_new(ssl_ctx_);
  SSL_set_fd(ssl_, fd_);
  if (!server_name.empty()) SSL_set_tlsext_host_name(ssl_, server_name.c_str());
  auto deadline = Clock::now() + timeout;
  while (true) {
    int r = SSL_connect(ssl_);
    if (r == 1) return true;
    int err = SSL_get_error(ssl_, r);
    if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) &&
        waitReady(err == SSL_ERROR_WANT_WRITE, deadline)) {
      continue;
    }
    char buf[256] = "timed out";
    if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
    error_ = std::string("TLS handshake: ") + buf;
    ERR_clear_error();
    return false;
  }
}

std::string RawHttpClient::peerCertificateSubject() const {
  if (!ssl_) return "";
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert) return "";
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  X509_free(cert);
  return buf;
}

bool RawHttpClient::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  if (fd_ < 0) {
    error_ = "send: not connected";
    return false;
  }
  auto deadline = Clock::now() + timeout;
  size_t off = 0;
  while (ssl_ && off < bytes.size()) {
    int n = SSL_write(ssl_, bytes.data() + off, static_cast<int>(bytes.size() - off));
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) &&
        waitReady(err == SSL_ERROR_WANT_WRITE, deadline)) {
      continue;
    }
    ERR_clear_error();
    error_ = "send (TLS): " + std::string(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE
                                              ? "timed out"
                                              : "failed");
    return false;
  }
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      int ms = remainingMs(deadline);
      if (ms == 0 || ::poll(&p, 1, ms) == 0) {
        error_ = "send: timed out after " + std::to_string(off) + " bytes";
        return false;
      }
      continue;
    }
    error_ = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool RawHttpClient::sendSlowly(std::string_view bytes, size_t chunk,
                               std::chrono::milliseconds gap) {
  chunk = std::max<size_t>(chunk, 1);
  for (size_t off = 0; off < bytes.size(); off += chunk) {
    if (!send(bytes.substr(off, chunk))) return false;
    if (off + chunk < bytes.size()) std::this_thread::sleep_for(gap);
  }
  return true;
}

long RawHttpClient::readMore(Clock::time_point deadline) {
  if (fd_ < 0) {
    error_ = "read: not connected";
    return -1;
  }
  if (eof_) return 0;
  char buf[16384];
  while (ssl_) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return n;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (waitReady(err == SSL_ERROR_WANT_WRITE, deadline)) continue;
      error_ = "read timed out";
      return -1;
    }
    ERR_clear_error();
    eof_ = true;  // close_notify, EOF or reset
    if (err != SSL_ERROR_ZERO_RETURN) error_ = "TLS connection closed without close_notify";
    return 0;
  }
  while (true) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return n;
    }
    if (n == 0) {
      eof_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) {
      eof_ = true;
      error_ = "connection reset by peer";
      return 0;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = std::string("recv: ") + std::strerror(errno);
      return -1;
    }
    pollfd p{fd_, POLLIN, 0};
    int ms = remainingMs(deadline);
    if (ms == 0 || ::poll(&p, 1, ms) == 0) {
      error_ = "read timed out";
      return -1;
    }
  }
}

bool RawHttpClient::fill(size_t n, Clock::time_point deadline) {
  while (buffer_.size() < n) {
    long r = readMore(deadline);
    if (r <= 0) {
      if (r == 0) error_ = "connection closed after " + std::to_string(buffer_.size()) +
                           " of " + std::to_string(n) + " bytes";
      return false;
    }
  }
  return true;
}

bool RawHttpClient::findLine(size_t from, size_t* line_end, Clock::time_point deadline) {
  while (true) {
    size_t p = buffer_.find("\r\n", from);
    if (p != std::string::npos) {
      *line_end = p;
      return true;
    }
    if (buffer_.size() - from > kMaxHead) {
      error_ = "line longer than 1 MiB";
      return false;
    }
    long r = readMore(deadline);
    if (r <= 0) {
      if (r == 0) error_ = "connection closed in the middle of a line";
      return false;
    }
  }
}

HttpResponse RawHttpClient::readResponse(const ReadOptions& options) {
  auto deadline = Clock::now() + options.timeout;
  error_.clear();
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHead) return failed(error_ = "response head larger than 1 MiB");
    long r = readMore(deadline);
    if (r < 0) return failed(error_);
    if (r == 0) {
      std::string how = error_.empty() ? "connection closed" : error_;
      return failed(error_ = buffer_.empty() ? how + " before any response byte"
                                             : how + " inside the response head: '" + buffer_ +
                                                   "'");
    }
  }
  HttpResponse resp;
  std::string_view head(buffer_.data(), head_end + 2);
  size_t sl_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, sl_end);
  // "HTTP/1.1 200 OK"
  size_t sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos || status_line.substr(0, 5) != "HTTP/") {
    return failed(error_ = "malformed status line: '" + std::string(status_line) + "'");
  }
  resp.version = std::string(status_line.substr(0, sp1));
  std::string_view rest = status_line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  std::string_view code = rest.substr(0, sp2);
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), ::isdigit)) {
    return failed(error_ = "malformed status code: '" + std::string(status_line) + "'");
  }
  resp.status = std::stoi(std::string(code));
  resp.reason = sp2 == std::string_view::npos ? "" : std::string(rest.substr(sp2 + 1));
  std::string perr;
  if (!parseHeaderLines(head.substr(sl_end + 2), &resp.headers, &perr)) return failed(error_ = perr);

  size_t pos = head_end + 4;
  bool no_body = options.head_request || resp.status / 100 == 1 || resp.status == 204 ||
                 resp.status == 304;
  std::string te = resp.header("Transfer-Encoding");
  std::transform(te.begin(), te.end(), te.begin(), ::tolower);
  if (no_body) {
    // Nothing to read.
  } else if (te.size() >= 7 && te.compare(te.size() - 7, 7, "chunked") == 0) {
    resp.chunked = true;
    while (true) {
      size_t eol;
      if (!findLine(pos, &eol, deadline)) return failed(error_);
      std::string size_str = buffer_.substr(pos, eol - pos);
      size_t semi = size_str.find(';');
      if (semi != std::string::npos) size_str.resize(semi);
      size_str = std::string(trim(size_str));
      if (size_str.empty() || size_str.size() > 15 ||
          !std::all_of(size_str.begin(), size_str.end(), ::isxdigit)) {
        return failed(error_ = "bad chunk size line: '" + buffer_.substr(pos, eol - pos) + "'");
      }
      size_t size = std::stoul(size_str, nullptr, 16);
      pos = eol + 2;
      if (size == 0) {
        // Trailers until an empty line.
        while (true) {
          if (!findLine(pos, &eol, deadline)) return failed(error_);
          if (eol == pos) {
            pos += 2;
            break;
          }
          if (!parseHeaderLines(std::string_view(buffer_).substr(pos, eol - pos + 2),
                                &resp.trailers, &perr)) {
            return failed(error_ = perr);
          }
          pos = eol + 2;
        }
        break;
      }
      if (!fill(pos + size + 2, deadline)) return failed(error_);
      if (buffer_.compare(pos + size, 2, "\r\n") != 0) {
        return failed(error_ = "chunk data not followed by CRLF");
      }
      resp.body.append(buffer_, pos, size);
      pos += size + 2;
    }
  } else if (resp.hasHeader("Content-Length")) {
    std::string cl = resp.header("Content-Length");
    for (const auto& [k, v] : resp.headers) {
      if (iequals(k, "Content-Length") && v != cl) {
        return failed(error_ = "conflicting Content-Length headers");
      }
    }
    if (cl.empty() || cl.size() > 15 || !std::all_of(cl.begin(), cl.end(), ::isdigit)) {
      return failed(error_ = "bad Content-Length: '" + cl + "'");
    }
    size_t len = std::stoul(cl);
    if (!fill(pos + len, deadline)) return failed(error_);
    resp.body = buffer_.substr(pos, len);
    pos += len;
  } else {
    resp.close_delimited = true;
    while (!eof_) {
      long r = readMore(deadline);
      if (r < 0) return failed(error_ + " (reading a close-delimited body)");
    }
    resp.body = buffer_.substr(pos);
    pos = buffer_.size();
  }
  resp.raw = buffer_.substr(0, pos);
  buffer_.erase(0, pos);
  return resp;
}

HttpResponse RawHttpClient::roundTrip(std::string_view request, const ReadOptions& options) {
  if (!send(request, options.timeout)) return failed(error_);
  return readResponse(options);
}

std::string RawHttpClient::readAvailable(std::chrono::milliseconds wait) {
  auto deadline = Clock::now() + wait;
  while (!eof_ && readMore(deadline) > 0) {
  }
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

std::string RawHttpClient::readUntilClose(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!eof_) {
    if (readMore(deadline) < 0) return "";
  }
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

bool RawHttpClient::waitForClose(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!eof_) {
    if (readMore(deadline) < 0) return false;
    buffer_.clear();
  }
  buffer_.clear();
  return true;
}

void RawHttpClient::shutdownWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

HttpResponse httpRequest(uint16_t port, const std::string& method, const std::string& path,
                         const Headers& headers, const std::string& body,
                         std::chrono::milliseconds timeout) {
  std::string req = method + " " + path + " HTTP/1.1\r\n";
  bool has_host = false;
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    has_host |= iequals(k, "Host");
    has_length |= iequals(k, "Content-Length") || iequals(k, "Transfer-Encoding");
    req += k + ": " + v + "\r\n";
  }
  if (!has_host) req += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT")) {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "Connection: close\r\n\r\n" + body;
  RawHttpClient client;
  if (!client.connect(port, timeout)) return failed(client.error());
  ReadOptions options;
  options.head_request = method == "HEAD";
  options.timeout = timeout;
  return client.roundTrip(req, options);
}

HttpResponse httpGet(uint16_t port, const std::string& path, const Headers& headers,
                     std::chrono::milliseconds timeout) {
  return httpRequest(port, "GET", path, headers, "", timeout);
}

}  // namespace testsupport
