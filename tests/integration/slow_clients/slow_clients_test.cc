// Clients that request a large proxied answer and never read it, through the real binary, with a
// real upstream (a blocking thread-per-connection HTTP server in this process) on loopback:
//  - three of them never get the only endpoint ejected: the upstream's read timeout does not run
//    while the client holds the proxy back, and every probe meanwhile gets 200;
//  - one of them is closed after server.limits.send_timeout and counted as a client send timeout
//    and a client abort, not as an upstream failure;
//  - after a burst of 300 of them ends, the gateway's RSS comes back within 1.5x its idle RSS
//    within 60 s.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "shipgate/common/mutex.h"
#include "support/gateway_process.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/raw_http_client.h"

namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;

// GET /big answers kBigBytes, anything else "ok"; keep-alive; one thread per connection, blocking
// writes (a proxy that stops reading blocks its thread, as a real application's would).
class BigUpstream {
 public:
  explicit BigUpstream(size_t big_bytes) : big_(big_bytes, 'x') {}
  ~BigUpstream() { stop(); }

  bool start() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    if (::listen(listen_fd_, 1024) != 0) return false;
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
    return true;
  }
  void stop() {
    if (listen_fd_ < 0) return;
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listen_fd_);
    listen_fd_ = -1;
    std::vector<std::thread> threads;
    {
      shipgate::MutexLock lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void acceptLoop() {
    while (!stopping_) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      shipgate::MutexLock lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
      size_t end = in.find("\r\n\r\n");
      if (end == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        continue;
      }
      bool big = in.compare(0, 9, "GET /big ") == 0;
      in.erase(0, end + 4);
      const std::string& body = big ? big_ : small_;
      std::string out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nContent-Type: text/plain\r\n\r\n";
      if (!sendAll(fd, out) || !sendAll(fd, body)) break;
    }
    shipgate::MutexLock lock(mu_);
    std::erase(fds_, fd);
    ::close(fd);
  }
  static bool sendAll(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  std::string big_;
  std::string small_ = "ok";
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  shipgate::Mutex mu_;
  std::vector<int> fds_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  std::thread acceptor_;
};

// A client that sends GET path and never reads: a small receive buffer, so the answer backs up
// into the gateway at once.
class NonReadingClient {
 public:
  ~NonReadingClient() { close(); }
  bool start(uint16_t port, const std::string& path) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rcvbuf = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: app.test\r\n\r\n";
    return ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  }
  // Reads everything the gateway sent until it closed (true) or `timeout` passed (false).
  bool readUntilClosed(std::chrono::milliseconds timeout) {
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (std::chrono::steady_clock::now() < deadline) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
    }
    return false;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string adminToken(const testsupport::TempDir& dir) {
  std::string path = dir.file("admin.token");
  std::ofstream(path) << "slow-clients-token\n";
  return path;
}

std::string config(uint16_t http, uint16_t admin, const std::string& token_file,
                   const std::string& upstream, const std::string& limits,
                   const std::string& read_timeout) {
  return "server: {workers: 2, allow_root: true, limits: {" + limits + "}}\n"
         "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
         "admin: {address: \"127.0.0.1:" + std::to_string(admin) + "\", token_file: \"" +
         token_file + "\"}\n"
         "sites: [{name: api, hosts: [app.test], app: api}]\n"
         "apps:\n  api:\n    read_timeout: " + read_timeout + "\n"
         "    outlier: {consecutive_gateway_failures: 3, base_ejection: 30s}\n"
         "    slots: {blue: [{address: \"" + upstream + "\"}]}\n";
}

// The value of the series `series` (name{labels} as rendered) in /metrics; 0 when absent.
double metric(uint16_t admin, const std::string& series) {
  auto r = testsupport::httpGet(admin, "/metrics", {{"Authorization", "Bearer slow-clients-token"}});
  EXPECT_EQ(r.status, 200) << r.error;
  size_t pos = 0;
  while ((pos = r.body.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || r.body[pos - 1] == '\n') return std::stod(r.body.substr(pos + series.size()));
    pos += series.size();
  }
  return 0;
}

// 5xx answers counted for app api, all slots and regions.
double api5xx(uint16_t admin) {
  auto r = testsupport::httpGet(admin, "/metrics", {{"Authorization", "Bearer slow-clients-token"}});
  double total = 0;
  size_t pos = 0;
  const std::string name = "shipgate_http_requests_total{";
  while ((pos = r.body.find(name, pos)) != std::string::npos) {
    size_t eol = r.body.find('\n', pos);
    std::string line = r.body.substr(pos, eol - pos);
    if (line.find("app=\"api\"") != std::string::npos &&
        line.find("code=\"5xx\"") != std::string::npos) {
      total += std::stod(line.substr(line.rfind(' ') + 1));
    }
    pos = eol;
  }
  return total;
}

bool endpointEjected(uint16_t admin, const std::string& address) {
  auto r = testsupport::httpGet(admin, "/api/v1/status",
                                {{"Authorization", "Bearer slow-clients-token"}});
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.body;
  if (!j.is_object()) return true;
  for (const auto& app : j.value("apps", nlohmann::json::array())) {
    for (const auto& e : app.value("slots", nlohmann::json::object())
                             .value("blue", nlohmann::json::array())) {
      if (e.value("address", "") == address) return e.value("ejected", true);
    }
  }
  ADD_FAILURE() << "endpoint " << address << " not in the status: " << r.body;
  return true;
}

int64_t rssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

testsupport::HttpResponse probe(uint16_t http) {
  return testsupport::httpGet(http, "/small", {{"Host", "app.test"}});
}

TEST(SlowClients, ThreeNonReadingClientsNeverEjectTheOnlyEndpoint) {
  testsupport::TempDir dir("sg-slow");
  BigUpstream up(4 * 1024 * 1024);
  ASSERT_TRUE(up.start());
  uint16_t http = testsupport::freePort(), admin = testsupport::freePort();
  GatewayProcess gw;
  // The upstream read timeout (1 s) would expire four times over while the clients hold the
  // answers (send_timeout is 60 s by default).
  ASSERT_TRUE(gw.start(config(http, admin, adminToken(dir), up.address(), "", "1s"),
                       {http, admin}));
  std::vector<std::unique_ptr<NonReadingClient>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::make_unique<NonReadingClient>());
    ASSERT_TRUE(slow.back()->start(http, "/big"));
  }
  std::map<int, int> statuses;
  for (int i = 0; i < 20; ++i) {  // 4 s: four read timeouts' worth
    ++statuses[probe(http).status];
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(statuses, (std::map<int, int>{{200, 20}})) << gw.logs();
  EXPECT_FALSE(endpointEjected(admin, up.address()));
  EXPECT_EQ(api5xx(admin), 0);
  // The three answers are still held, not cut: nothing was aborted yet.
  EXPECT_EQ(metric(admin, "shipgate_proxy_client_aborts_total{app=\"api\"}"), 0);
  slow.clear();
  // The clients went away: counted as theirs, and the endpoint still serves.
  double aborts = 0;
  for (int i = 0; i < 100 && aborts < 3; ++i) {
    aborts = metric(admin, "shipgate_proxy_client_aborts_total{app=\"api\"}");
    if (aborts < 3) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(aborts, 3);
  EXPECT_EQ(probe(http).status, 200);
  EXPECT_FALSE(endpointEjected(admin, up.address()));
  EXPECT_EQ(metric(admin, "shipgate_client_send_timeouts_total{app=\"api\"}"), 0);
  EXPECT_EQ(api5xx(admin), 0);
}

TEST(SlowClients, NonReadingClientIsClosedAfterSendTimeoutAsAClientTimeout) {
  testsupport::TempDir dir("sg-slow");
  BigUpstream up(4 * 1024 * 1024);
  ASSERT_TRUE(up.start());
  uint16_t http = testsupport::freePort(), admin = testsupport::freePort();
  GatewayProcess gw;
  ASSERT_TRUE(gw.start(config(http, admin, adminToken(dir), up.address(), "send_timeout: 1s",
                              "30s"),
                       {http, admin}));
  NonReadingClient slow;
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(slow.start(http, "/big"));
  double timeouts = 0;
  for (int i = 0; i < 200 && timeouts == 0; ++i) {  // at most 10 s
    timeouts = metric(admin, "shipgate_client_send_timeouts_total{app=\"api\"}");
    if (timeouts == 0) std::this_thread::sleep_for(50ms);
  }
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(timeouts, 1) << gw.logs();
  EXPECT_GE(waited, 1s);  // not before send_timeout
  // The gateway closed the connection: the client reads what was sent, then the end.
  EXPECT_TRUE(slow.readUntilClosed(10s));
  EXPECT_EQ(metric(admin, "shipgate_proxy_client_aborts_total{app=\"api\"}"), 1);
  EXPECT_EQ(api5xx(admin), 0);
  EXPECT_FALSE(endpointEjected(admin, up.address()));
  EXPECT_EQ(probe(http).status, 200);
}

TEST(SlowClients, RssComesBackAfterASlowReadBurst) {
  testsupport::TempDir dir("sg-slow");
  BigUpstream up(256 * 1024);
  ASSERT_TRUE(up.start());
  uint16_t http = testsupport::freePort(), admin = testsupport::freePort();
  GatewayProcess gw;
  ASSERT_TRUE(gw.start(config(http, admin, adminToken(dir), up.address(), "", "30s"),
                       {http, admin}));
  // Idle: after a few answers of each kind, read whole.
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(probe(http).status, 200);
    auto r = testsupport::httpGet(http, "/big", {{"Host", "app.test"}});
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body.size(), 256u * 1024);
  }
  std::this_thread::sleep_for(500ms);
  const int64_t idle = rssKiB(gw.pid());
  ASSERT_GT(idle, 0);
  constexpr int kClients = 300;
  std::vector<std::unique_ptr<NonReadingClient>> slow;
  for (int i = 0; i < kClients; ++i) {
    slow.push_back(std::make_unique<NonReadingClient>());
    ASSERT_TRUE(slow.back()->start(http, "/big")) << i;
  }
  // Every client's answer is in flight: the gateway holds kClients connections.
  double open = 0;
  for (int i = 0; i < 200 && open < kClients; ++i) {
    open = metric(admin, "shipgate_active_connections");
    if (open < kClients) std::this_thread::sleep_for(50ms);
  }
  ASSERT_GE(open, kClients);
  std::this_thread::sleep_for(1s);  // let the answers back up into the gateway
  const int64_t peak = rssKiB(gw.pid());
  slow.clear();
  int64_t after = -1;
  auto closed = std::chrono::steady_clock::now();
  auto waited = 0ms;
  for (int i = 0; i < 300; ++i) {  // at most 60 s
    after = rssKiB(gw.pid());
    if (after * 2 <= idle * 3) break;
    std::this_thread::sleep_for(200ms);
  }
  waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 closed);
  std::printf("RSS idle %lld KiB, with %d non-reading clients %lld KiB (%.1f KiB each), "
              "after %lld ms %lld KiB\n",
              static_cast<long long>(idle), kClients, static_cast<long long>(peak),
              static_cast<double>(peak - idle) / kClients, static_cast<long long>(waited.count()),
              static_cast<long long>(after));
  EXPECT_LE(after * 2, idle * 3) << "RSS did not come back within 60 s: idle " << idle
                                 << " KiB, peak " << peak << " KiB, now " << after << " KiB";
  EXPECT_EQ(probe(http).status, 200);
}

}  // namespace
