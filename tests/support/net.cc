#include "support/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <thread>
#include <unordered_set>

namespace testsupport {

namespace {

// One bind to port 0: the port the kernel chose, or 0.
uint16_t bindEphemeral() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  ::close(fd);
  return port;
}

}  // namespace

uint16_t freePort() {
  // The kernel may hand the same port to two binds in a row once the first socket is closed, so a
  // test asking for a listener port and an admin port could get one port twice (seen in CI:
  // "admin.address collides with listener"). Never return a port this process was already given.
  static std::mutex mu;
  static std::unordered_set<uint16_t> given;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 64; ++attempt) {
    uint16_t port = bindEphemeral();
    if (port == 0) return 0;
    if (given.insert(port).second) return port;
  }
  return 0;
}

bool portAccepts(uint16_t port, const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  bool ok = ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1 &&
            ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool waitForPort(uint16_t port, std::chrono::milliseconds timeout, const std::string& host) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (portAccepts(port, host)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace testsupport
