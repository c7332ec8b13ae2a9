// idle_conns: opens N keep-alive connections to 127.0.0.1:PORT, sends one GET on each and reads
// the whole response (so the server has set the connection up fully), then holds them all open
// and idle until SIGTERM/SIGINT. Prints "ready open=N failed=M" on stdout once they are open.
// Used by bench/*_vs_nginx.sh to compare server memory with many idle connections.
//
//   idle_conns --port 8080 --count 10000 [--path /] [--host 127.0.0.1] [--no-request]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

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
};

bool parseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--no-request") {
      args->send_request = false;
    } else if ((a == "--port" || a == "--count" || a == "--path" || a == "--host") &&
               (v = next()) != nullptr) {
      if (a == "--port") args->port = std::atoi(v);
      if (a == "--count") args->count = std::atoi(v);
      if (a == "--path") args->path = v;
      if (a == "--host") args->host = v;
    } else {
      return false;
    }
  }
  return args->port > 0 && args->count > 0;
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

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: idle_conns --port N [--count N] [--path P] [--host IPv4] "
                 "[--no-request]\n");
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
