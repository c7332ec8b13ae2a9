#include "connections_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "support/paths.h"

namespace conncap {
namespace {

using namespace std::chrono_literals;

int listenLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 512) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

sockaddr_in loopback(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

}  // namespace

Upstream::Upstream(std::string server) : server_(std::move(server)) {
  listen_fd_ = listenLoopback(&port_);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

Upstream::~Upstream() {
  stop_ = true;
  released_ = true;
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    shipgate::MutexLock lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool Upstream::waitHeld(int n, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (held_.load() != n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

void Upstream::acceptLoop() {
  while (!stop_ && listen_fd_ >= 0) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    shipgate::MutexLock lock(mu_);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void Upstream::serve(int fd) {
  std::string in;
  char buf[4096];
  while (!stop_) {
    size_t end = in.find("\r\n\r\n");
    if (end == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    bool hold = in.compare(0, 10, "GET /hold ") == 0;
    in.erase(0, end + 4);  // the tests send no request bodies
    if (hold) {
      ++held_;
      while (!released_) std::this_thread::sleep_for(5ms);
      --held_;
    }
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n";
    if (!server_.empty()) resp += "Server: " + server_ + "\r\n";
    resp += "\r\nok";
    if (::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(resp.size())) {
      break;
    }
  }
  ::close(fd);
}

SilentFlood::SilentFlood(uint16_t port, int count, int reopen_per_second)
    : port_(port), count_(count), reopen_per_second_(reopen_per_second) {
  thread_ = std::thread([this] { run(); });
}

SilentFlood::~SilentFlood() { stop(); }

void SilentFlood::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool SilentFlood::waitOpen(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (opened_.load() < count_) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

void SilentFlood::run() {
  sockaddr_in to = loopback("127.0.0.1", port_);
  auto open = [&]() -> int {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
        errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    return fd;
  };
  std::vector<pollfd> fds;
  fds.reserve(static_cast<size_t>(count_));
  for (int i = 0; i < count_ && !stop_; ++i) {
    int fd = open();
    if (fd < 0) break;
    fds.push_back({fd, POLLIN | POLLRDHUP, 0});
    ++opened_;
  }
  std::vector<size_t> closed;  // slots to reopen
  auto last = std::chrono::steady_clock::now();
  double budget = 0;
  while (!stop_) {
    if (::poll(fds.data(), fds.size(), 10) > 0) {
      for (size_t i = 0; i < fds.size(); ++i) {
        pollfd& p = fds[i];
        if (p.revents == 0) continue;
        p.revents = 0;
        char c;
        ssize_t n = ::recv(p.fd, &c, 1, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        ::close(p.fd);  // the server closed it (or answered, which it must not)
        ++closed_;
        p.fd = -1;  // poll ignores negative descriptors
        closed.push_back(i);
      }
    }
    auto now = std::chrono::steady_clock::now();
    budget = std::min<double>(budget + reopen_per_second_ *
                                           std::chrono::duration<double>(now - last).count(),
                              reopen_per_second_ / 10.0);
    last = now;
    while (!closed.empty() && budget >= 1) {
      fds[closed.back()].fd = open();
      closed.pop_back();
      budget -= 1;
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
}

int connectFrom(const std::string& source, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from = loopback(source, 0);
  sockaddr_in to = loopback("127.0.0.1", port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool closedSilently(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char c;
  ssize_t n = ::recv(fd, &c, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

std::string scrape(uint16_t admin_port, const std::string& token_file) {
  std::string token = testsupport::readFile(token_file);
  while (!token.empty() && token.back() == '\n') token.pop_back();
  auto r = testsupport::httpGet(admin_port, "/metrics", {{"Authorization", "Bearer " + token}});
  return r.status == 200 ? r.body : "";
}

double sample(const std::string& metrics_text, const std::string& series) {
  std::istringstream in(metrics_text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

double waitActive(uint16_t admin_port, const std::string& token_file, double n,
                  std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  double v = -1;
  for (;;) {
    v = sample(scrape(admin_port, token_file), "shipgate_active_connections");
    if (v == n || std::chrono::steady_clock::now() > deadline) return v;
    std::this_thread::sleep_for(10ms);
  }
}

bool ensureFiles(long need) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_max == RLIM_INFINITY || static_cast<long>(rl.rlim_max) >= need;
}

}  // namespace conncap
