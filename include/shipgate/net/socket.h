// Socket helpers for the reactor: an owning file descriptor, SO_REUSEPORT listener groups (one
// socket per worker, all on the same port), non-blocking accept and connect, address formatting.
// All functions are thread-safe (they only touch the descriptors they are given).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::net {

// Owns one file descriptor; closes it on destruction. Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// Resolves host (IPv4/IPv6 literal or a name; "", "*" = any IPv4 address) and port.
Result<SockAddr> resolve(const std::string& host, uint16_t port);

// Binds `count` non-blocking listening sockets with SO_REUSEPORT on host:port. When port is 0,
// the first socket picks a free port and the rest bind to the same one.
Result<std::vector<Fd>> bindReusePortGroup(const std::string& host, uint16_t port, int count,
                                           int backlog = 4096);

// The port a socket is bound to.
Result<uint16_t> localPort(int fd);

// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC and TCP_NODELAY set. Returns the fd, or -1 with
// errno (EAGAIN when the queue is empty).
int acceptNonBlocking(int listen_fd, SockAddr* peer);

// Starts a non-blocking TCP connect (TCP_NODELAY set). *in_progress is true when the connection
// completes later (wait for EPOLLOUT, then check connectError()).
Result<Fd> connectNonBlocking(const SockAddr& addr, bool* in_progress);
// SO_ERROR of a socket after a non-blocking connect (0 = connected).
int connectError(int fd);

// "1.2.3.4" or "::1" (no port).
std::string ipString(const SockAddr& addr);
// "1.2.3.4:80" or "[::1]:80".
std::string addrString(const SockAddr& addr);

}  // namespace shipgate::net
