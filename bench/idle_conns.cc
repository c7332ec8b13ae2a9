// idle_conns: opens N keep-alive connections to 127.0.0.1:PORT, sends one GET on each and reads
// the whole response (so the server has set the connection up fully), then holds them all open
// and idle until SIGTERM/SIGINT. Prints "ready open=N failed=M" on stdout once they are open.
// Used by bench/*_vs_nginx.sh to compare server memory with many idle connections.
//
// With --seconds T (flood mode, used by bench/hostile_clients.sh; needs --no-request) it is an
// idle-connection flood instead: it keeps --count silent sockets open (connected, nothing sent)
// for T seconds, reopening every one the server closes (or answers, or refuses) at once, at no
// more than --rate new connections per second (0: no limit), with non-blocking connects so a full
// accept queue never stalls it. It prints "ready open=N failed=M" once --count sockets were
// opened (counting reopened ones), a "flood t=..." line every 5 s and, at the end (after T s or on SIGTERM/SIGINT),
// "done held=N held_max=N opened=N closed_by_server=N connect_failed=N".
//
//   idle_conns --port 8080 --count 10000 [--path /] [--host 127.0.0.1] [--no-request]
//   idle_conns --port 8080 --count 6000 --no-request --seconds 40 [--rate 2000]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Args {
  std::string host = "127.0.0.1";
  int port = 0;
  int count = 10000;
  std::string path = "/";
  bool send_request = true;
  int seconds = 0;  // > 0: flood mode
  int rate = 0;     // flood mode: new connections per second, 0 = no limit
};

bool parseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--no-request") {
      args->send_request = false;
    } else if ((a == "--port" || a == "--count" || a == "--path" || a == "--host" ||
                a == "--seconds" || a == "--rate") &&
               (v = next()) != nullptr) {
      if (a == "--port") args->port = std::atoi(v);
      if (a == "--count") args->count = std::atoi(v);
      if (a == "--path") args->path = v;
      if (a == "--host") args->host = v;
      if (a == "--seconds") args->seconds = std::atoi(v);
      if (a == "--rate") args->rate = std::atoi(v);
    } else {
      return false;
    }
  }
  if (args->seconds > 0 && args->send_request) return false;  // a flood is of silent sockets
  return args->port > 0 && args->count > 0 && args->seconds >= 0 && args->rate >= 0;
}

// Reads one HTTP/1.1 response framed by Content-Length (or with an empty body).
bool readResponse(int fd) {
  std::string buf;
  char chunk[4096];
  size_t need = std::string::npos;
  while (true) {
    if (need == std::string::npos) {
      size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t body = 0;
        std::string head = buf.substr(0, end);
        for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t cl = head.find("\r\ncontent-length:");
        if (cl != std::string::npos) body = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
        if (head.compare(0, 12, "http/1.1 200") != 0) return false;
        need = end + 4 + body;
      }
    }
    if (need != std::string::npos && buf.size() >= need) return true;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<size_t>(n));
  }
}

// Flood mode: see the header comment. Sockets are indexed by fd in `state`.
int flood(const Args& args, const sockaddr_in& addr, const sigset_t& stop_signals) {
  constexpr uint8_t kNone = 0, kConnecting = 1, kHeld = 2;
  using Clock = std::chrono::steady_clock;
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  int sfd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (ep < 0 || sfd < 0) {
    std::perror("idle_conns: epoll/signalfd");
    return 1;
  }
  epoll_event sev{};
  sev.events = EPOLLIN;
  sev.data.fd = sfd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &sev);
  std::vector<uint8_t> state;
  long held = 0, held_max = 0, connecting = 0, opened = 0, closed_by_server = 0,
       connect_failed = 0, socket_failed = 0;
  long pending = args.count;  // sockets to open now
  bool ready_printed = false;
  auto drop = [&](int fd) {
    ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    if (static_cast<size_t>(fd) < state.size()) state[static_cast<size_t>(fd)] = kNone;
    ++pending;
  };
  auto open_one = [&]() -> bool {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      ++socket_failed;
      return false;
    }
    if (static_cast<size_t>(fd) >= state.size()) state.resize(static_cast<size_t>(fd) + 1024, kNone);
    --pending;
    ++opened;
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    epoll_event ev{};
    ev.data.fd = fd;
    if (rc == 0) {
      state[static_cast<size_t>(fd)] = kHeld;
      ++held;
      ev.events = EPOLLIN | EPOLLRDHUP;
    } else if (errno == EINPROGRESS) {
      state[static_cast<size_t>(fd)] = kConnecting;
      ++connecting;
      ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    } else {
      ++connect_failed;
      ::close(fd);
      ++pending;
      return true;
    }
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return true;
  };
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(args.seconds);
  auto next_report = start + std::chrono::seconds(5);
  std::vector<epoll_event> events(1024);
  bool stop = false;
  while (!stop) {
    auto now = Clock::now();
    if (now >= deadline) break;
    double elapsed = std::chrono::duration<double>(now - start).count();
    long allowed = pending;
    if (args.rate > 0) {
      // Token bucket: rate per second, a burst of a tenth of a second.
      long budget = static_cast<long>(args.rate * elapsed) + std::max(1, args.rate / 10) - opened;
      allowed = std::clamp(budget, 0L, pending);
    }
    for (long i = 0; i < allowed; ++i) {
      if (!open_one()) break;  // out of descriptors: try again after the next wait
    }
    if (opened >= args.count && !ready_printed) {
      std::printf("ready open=%ld failed=%ld\n", held + connecting, connect_failed + socket_failed);
      std::fflush(stdout);
      ready_printed = true;
    }
    held_max = std::max(held_max, held);
    if (now >= next_report) {
      std::printf("flood t=%.0f held=%ld connecting=%ld opened=%ld closed_by_server=%ld "
                  "connect_failed=%ld\n",
                  elapsed, held, connecting, opened, closed_by_server, connect_failed);
      std::fflush(stdout);
      next_report += std::chrono::seconds(5);
    }
    int timeout_ms = pending > 0 ? 5 : 100;
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<size_t>(i)].data.fd;
      uint32_t e = events[static_cast<size_t>(i)].events;
      if (fd == sfd) {
        stop = true;
        continue;
      }
      uint8_t st = static_cast<size_t>(fd) < state.size() ? state[static_cast<size_t>(fd)] : kNone;
      if (st == kConnecting) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        --connecting;
        if (err != 0 || (e & (EPOLLERR | EPOLLHUP))) {
          ++connect_failed;
          drop(fd);
        } else if (e & (EPOLLIN | EPOLLRDHUP)) {
          ++closed_by_server;  // connected, then closed (or answered) before we saw it
          drop(fd);
        } else {
          state[static_cast<size_t>(fd)] = kHeld;
          ++held;
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.fd = fd;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        }
      } else if (st == kHeld) {
        // The server closed it, reset it or sent something (a 408, a 503): reopen.
        --held;
        ++closed_by_server;
        drop(fd);
      }
    }
  }
  std::printf("done held=%ld held_max=%ld opened=%ld closed_by_server=%ld connect_failed=%ld "
              "socket_failed=%ld\n",
              held, held_max, opened, closed_by_server, connect_failed, socket_failed);
  std::fflush(stdout);
  for (size_t fd = 0; fd < state.size(); ++fd) {
    if (state[fd] != kNone) ::close(static_cast<int>(fd));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: idle_conns --port N [--count N] [--path P] [--host IPv4] "
                 "[--no-request]\n"
                 "       idle_conns --port N --count N --no-request --seconds T [--rate N] "
                 "[--host IPv4]\n");
    return 2;
  }
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < static_cast<rlim_t>(args.count) + 16) {
    std::fprintf(stderr, "idle_conns: RLIMIT_NOFILE %llu is too low for %d connections\n",
                 static_cast<unsigned long long>(lim.rlim_cur), args.count);
    return 1;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(args.port));
  if (::inet_pton(AF_INET, args.host.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "idle_conns: bad IPv4 address %s\n", args.host.c_str());
    return 2;
  }
  if (args.seconds > 0) return flood(args, addr, stop_signals);
  std::string request = "GET " + args.path + " HTTP/1.1\r\nHost: " + args.host + ":" +
                        std::to_string(args.port) + "\r\n\r\n";
  std::vector<int> fds;
  fds.reserve(static_cast<size_t>(args.count));
  int failed = 0;
  timeval tv{5, 0};
  for (int i = 0; i < args.count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++failed;
      continue;
    }
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (ok && args.send_request) {
      ok = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(request.size()) &&
           readResponse(fd);
    }
    if (!ok) {
      ++failed;
      ::close(fd);
      continue;
    }
    fds.push_back(fd);
  }
  std::printf("ready open=%zu failed=%d\n", fds.size(), failed);
  std::fflush(stdout);
  int sig = 0;
  ::sigwait(&stop_signals, &sig);
  for (int fd : fds) ::close(fd);
  return 0;
}
