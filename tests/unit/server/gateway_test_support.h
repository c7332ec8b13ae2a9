// Test helpers for the gateway: config builders, a raw-socket HTTP client that parses responses
// with the project's ResponseParser, httplib-based upstreams, and a raw TCP upstream for
// protocols httplib does not speak (WebSocket, garbage, silence).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/http/response_parser.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/server/gateway.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::server::testing {

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Resp {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // decoded
  std::string raw_body;
  bool chunked = false;
  std::string header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? "" : it->second;
  }
};

inline std::string decodeChunked(const std::string& raw) {
  std::string out;
  size_t i = 0;
  while (i < raw.size()) {
    size_t eol = raw.find("\r\n", i);
    if (eol == std::string::npos) break;
    size_t len = std::stoul(raw.substr(i, eol - i), nullptr, 16);
    if (len == 0) break;
    out += raw.substr(eol + 2, len);
    i = eol + 2 + len + 2;
  }
  return out;
}

class RawClient {
 public:
  explicit RawClient(uint16_t port, int timeout_ms = 10000) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (a 1xx counts as one). nullopt on EOF, timeout or garbage.
  std::optional<Resp> read(bool head_request = false) {
    http::ResponseParser p;
    p.start(head_request);
    Resp r;
    bool in_body = false;
    for (;;) {
      for (;;) {
        size_t n = 0;
        auto st = p.execute(buf_.data(), buf_.size(), &n);
        if (in_body) r.raw_body += buf_.substr(0, n);
        buf_.erase(0, n);
        if (st == http::ResponseParser::State::kHeadComplete) {
          in_body = true;
          continue;
        }
        if (st == http::ResponseParser::State::kComplete) return finish(p, r);
        if (st == http::ResponseParser::State::kError) return std::nullopt;
        break;
      }
      char tmp[65536];
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) {
        if (n == 0 && p.finishOnEof() == http::ResponseParser::State::kComplete) {
          return finish(p, r);
        }
        return std::nullopt;
      }
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  // Reads raw bytes until `n` bytes arrived (or EOF/timeout).
  std::string readBytes(size_t n) {
    while (buf_.size() < n) {
      char tmp[4096];
      ssize_t got = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (got <= 0) break;
      buf_.append(tmp, static_cast<size_t>(got));
    }
    std::string out = buf_.substr(0, n);
    buf_.erase(0, out.size());
    return out;
  }

  // True when the server closed the connection (EOF, or reset) with nothing more to read.
  bool closedByPeer() {
    if (!buf_.empty()) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  static Resp finish(http::ResponseParser& p, Resp& r) {
    const auto& m = p.response();
    r.status = m.status();
    for (size_t i = 0; i < m.headerCount(); ++i) {
      r.headers[lower(std::string(m.headerName(i)))] = std::string(m.headerValue(i));
    }
    r.chunked = m.chunked();
    r.body = r.chunked ? decodeChunked(r.raw_body) : r.raw_body;
    return r;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// Parses the echo upstream's "key=value" lines.
inline std::map<std::string, std::string> parseEcho(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < body.size()) {
    size_t eol = body.find('\n', i);
    if (eol == std::string::npos) eol = body.size();
    std::string line = body.substr(i, eol - i);
    size_t eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    i = eol + 1;
  }
  return out;
}

// An httplib upstream that answers every request with its name, the request line, the body
// length and every request header ("h:<lower-case name>=<value>"); /chunked answers chunked.
class EchoUpstream {
 public:
  explicit EchoUpstream(std::string name) : name_(std::move(name)) {
    auto echo = [this](const httplib::Request& req, httplib::Response& res) {
      hits_.fetch_add(1);
      std::string body = "name=" + name_ + "\nmethod=" + req.method + "\npath=" + req.path +
                         "\nbody=" + req.body + "\nbody_len=" + std::to_string(req.body.size()) +
                         "\n";
      for (const auto& [k, v] : req.headers) body += "h:" + lower(k) + "=" + v + "\n";
      res.set_header("X-Upstream", name_);
      res.set_header("Keep-Alive", "timeout=5");
      if (req.path == "/chunked") {
        auto shared = std::make_shared<std::string>(body);
        res.set_chunked_content_provider("text/plain", [shared](size_t off, httplib::DataSink& sink) {
          if (off < shared->size()) {
            size_t n = std::min<size_t>(7, shared->size() - off);
            sink.write(shared->data() + off, n);
          } else {
            sink.done();
          }
          return true;
        });
        return;
      }
      if (req.path == "/status/500") res.status = 500;
      res.set_content(body, "text/plain");
    };
    server_.Get(".*", echo);
    server_.Post(".*", echo);
    server_.Put(".*", echo);
    server_.Delete(".*", echo);
    port_ = static_cast<uint16_t>(server_.bind_to_any_port("127.0.0.1"));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost (httplib), so wait for it.
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~EchoUpstream() {
    server_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int hits() const { return hits_.load(); }

 private:
  std::string name_;
  httplib::Server server_;
  uint16_t port_ = 0;
  std::atomic<int> hits_{0};
  std::thread thread_;
};

// A raw TCP upstream: each accepted connection runs handler(fd) on its own thread.
class RawUpstream {
 public:
  explicit RawUpstream(std::function<void(int)> handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 64);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        if (stopping_.load()) {
          close(c);
          return;
        }
        workers_.emplace_back([this, c] {
          handler_(c);
          close(c);
        });
      }
    });
  }
  ~RawUpstream() {
    stopping_.store(true);
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (auto& t : workers_) t.join();
  }
  uint16_t port() const { return port_; }

  // Reads a request head (up to "\r\n\r\n") from fd; "" on EOF.
  static std::string readHead(int fd) {
    std::string head;
    char c;
    while (head.size() < 65536 && ::recv(fd, &c, 1, 0) == 1) {
      head.push_back(c);
      if (head.size() >= 4 && head.compare(head.size() - 4, 4, "\r\n\r\n") == 0) return head;
    }
    return "";
  }

 private:
  std::function<void(int)> handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::thread> workers_;
};

// A port on loopback where nothing listens (bound, then closed).
inline uint16_t deadPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

inline config::Config baseConfig(int workers = 2) {
  config::Config c;
  c.source_file = "test";
  c.server.workers = workers;
  config::ListenerConfig l;
  l.name = "http";
  l.address = {"127.0.0.1", 0};
  c.listeners.push_back(l);
  c.admin.enabled = false;
  return c;
}

inline void addApp(config::Config& c, const std::string& name, std::vector<uint16_t> blue,
                   std::vector<uint16_t> green = {}, const std::string& path_prefix = "/") {
  traffic::AppConfig a;
  a.name = name;
  for (uint16_t p : blue) {
    traffic::EndpointConfig e;
    e.address = {"127.0.0.1", p};
    a.slots[0].endpoints.push_back(e);
  }
  for (uint16_t p : green) {
    traffic::EndpointConfig e;
    e.address = {"127.0.0.1", p};
    a.slots[1].endpoints.push_back(e);
  }
  a.outlier.enabled = false;
  traffic::trafficConfigForTest(c).apps.push_back(a);
  traffic::SiteConfig s;
  s.name = name + "-site";
  s.kind = traffic::SiteKind::kApp;
  s.app = name;
  s.path_prefix = path_prefix;
  traffic::trafficConfigForTest(c).sites.push_back(s);
}

// A running gateway with its dependencies.
struct GatewayHarness {
  explicit GatewayHarness(config::Config c, Clock& clock = RealClock::instance())
      : clock_(clock), health(clock) {
    auto gw = Gateway::create(std::make_shared<const config::Config>(std::move(c)),
                              GatewayDeps{metrics, health, clock});
    if (!gw.isOk()) {
      error = gw.status().toString();
      return;
    }
    gateway = std::move(gw).value();
    Status st = gateway->start();
    if (!st.isOk()) error = st.toString();
  }
  ~GatewayHarness() {
    if (gateway) gateway->shutdown(Millis(0));
  }
  uint16_t port(const std::string& listener = "http") const {
    for (auto& [n, p] : gateway->listenerPorts()) {
      if (n == listener) return p;
    }
    return 0;
  }
  Clock& clock_;
  metrics::Registry metrics;
  traffic::HealthRegistry health;
  std::unique_ptr<Gateway> gateway;
  std::string error;
};

}  // namespace shipgate::server::testing
