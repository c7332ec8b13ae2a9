// runtime_replica: a tiny server the runtime tests run as a supervised replica.
//   --port N            listen on 127.0.0.1:N (default: $PORT) and answer every request with
//                       200 "replica port=N version=V replica=R"
//   --version V --replica R   echoed in answers
//   --print-env NAME    print "env NAME=value" (or "env NAME=<unset>") at start (repeatable)
//   --print-args        print "arg[i]=..." for every argument, and "cwd=..."
//   --print-fds         print "fds=0,1,2" (its open descriptors) and "stdin=<where fd 0 points>"
//   --log-bytes N       print N bytes of numbered 100-byte log lines, then "logging done"
//   --exit-after-ms N   exit after N ms with --exit-code (default 0) ...
//   --exit-code C
//   --abort             ... or by raising SIGABRT instead
//   --only-replica R    the exit knobs apply only when --replica is R
//   --ignore-term       ignore SIGTERM (otherwise SIGTERM prints "got SIGTERM" and exits 0)
//   --grandchild        fork a child that sleeps (in the same process group); print its pid
//   --no-listen         do not open a port
// Every line is flushed at once so the supervisor's log shows it immediately.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

void onTerm(int) {
  const char msg[] = "got SIGTERM\n";
  ssize_t n = ::write(1, msg, sizeof msg - 1);
  (void)n;
  ::_exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  int port = std::getenv("PORT") != nullptr ? std::atoi(std::getenv("PORT")) : 0;
  std::string version = "?";
  std::string replica = "?";
  std::vector<std::string> print_env;
  bool print_args = false;
  bool print_fds = false;
  long log_bytes = 0;
  long exit_after = -1;
  int exit_code = 0;
  bool do_abort = false;
  bool ignore_term = false;
  bool grandchild = false;
  bool listen_port = true;
  std::string only_replica;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--port") port = std::atoi(next().c_str());
    else if (a == "--version") version = next();
    else if (a == "--replica") replica = next();
    else if (a == "--print-env") print_env.push_back(next());
    else if (a == "--print-args") print_args = true;
    else if (a == "--print-fds") print_fds = true;
    else if (a == "--log-bytes") log_bytes = std::atol(next().c_str());
    else if (a == "--exit-after-ms") exit_after = std::atol(next().c_str());
    else if (a == "--exit-code") exit_code = std::atoi(next().c_str());
    else if (a == "--abort") do_abort = true;
    else if (a == "--ignore-term") ignore_term = true;
    else if (a == "--grandchild") grandchild = true;
    else if (a == "--no-listen") listen_port = false;
    else if (a == "--only-replica") only_replica = next();
  }
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  if (ignore_term) {
    ::signal(SIGTERM, SIG_IGN);
  } else {
    ::signal(SIGTERM, onTerm);
  }
  if (print_args) {
    for (int i = 0; i < argc; ++i) std::printf("arg[%d]=%s\n", i, argv[i]);
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) != nullptr) std::printf("cwd=%s\n", cwd);
  }
  if (print_fds) {
    std::vector<int> fds;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = d != nullptr ? ::readdir(d) : nullptr) {
      if (e->d_name[0] == '.') continue;
      int fd = std::atoi(e->d_name);
      if (fd != ::dirfd(d)) fds.push_back(fd);
    }
    if (d != nullptr) ::closedir(d);
    std::sort(fds.begin(), fds.end());
    std::string list;
    for (int fd : fds) list += (list.empty() ? "" : ",") + std::to_string(fd);
    char target[256] = {0};
    ssize_t n = ::readlink("/proc/self/fd/0", target, sizeof target - 1);
    std::printf("fds=%s\nstdin=%s\n", list.c_str(), n > 0 ? target : "?");
  }
  for (const auto& name : print_env) {
    const char* v = std::getenv(name.c_str());
    std::printf("env %s=%s\n", name.c_str(), v != nullptr ? v : "<unset>");
  }
  if (grandchild) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::signal(SIGTERM, SIG_IGN);
      while (true) ::pause();
    }
    std::printf("grandchild %d\n", static_cast<int>(pid));
  }
  if (log_bytes > 0) {
    long written = 0;
    long line = 0;
    while (written < log_bytes) {
      char buf[128];
      int n = std::snprintf(buf, sizeof buf, "log line %08ld ", ++line);
      std::string s(buf, n);
      s.append(99 - s.size(), 'x');
      s.push_back('\n');
      std::fwrite(s.data(), 1, s.size(), stdout);
      written += static_cast<long>(s.size());
    }
    std::printf("logging done after line %08ld\n", line);
  }
  if (exit_after >= 0 && (only_replica.empty() || only_replica == replica)) {
    std::thread([=] {
      std::this_thread::sleep_for(std::chrono::milliseconds(exit_after));
      std::printf("exiting: code %d%s\n", exit_code, do_abort ? " (abort)" : "");
      if (do_abort) std::abort();
      std::_Exit(exit_code);
    }).detach();
  }
  if (!listen_port) {
    while (true) ::pause();
  }
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    std::printf("cannot listen on port %d: %s\n", port, std::strerror(errno));
    return 3;
  }
  std::printf("listening on %d\n", port);
  while (true) {
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0) continue;
    char buf[4096];
    ssize_t got = ::read(c, buf, sizeof buf);
    (void)got;
    std::string body = "replica port=" + std::to_string(port) + " version=" + version +
                       " replica=" + replica;
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nConnection: close\r\n\r\n" + body;
    ssize_t w = ::write(c, resp.data(), resp.size());
    (void)w;
    ::close(c);
  }
}
