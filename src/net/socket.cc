#include "shipgate/net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shipgate::net {

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<SockAddr> resolve(const std::string& host, uint16_t port) {
  SockAddr out;
  std::string h = host;
  if (h.empty() || h == "*") h = "0.0.0.0";
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.len = sizeof(sockaddr_in);
    return out;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
    return out;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(h.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    return Status::notFound("cannot resolve '" + host + "': " + gai_strerror(rc));
  }
  std::memcpy(&out.storage, res->ai_addr, res->ai_addrlen);
  out.len = res->ai_addrlen;
  freeaddrinfo(res);
  if (out.storage.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);
  }
  return out;
}

static void setPort(SockAddr& a, uint16_t port) {
  if (a.storage.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
  }
}

Result<uint16_t> localPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return Status::fromErrno("getsockname", errno);
  }
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

Result<std::vector<Fd>> bindReusePortGroup(const std::string& host, uint16_t port, int count,
                                           int backlog) {
  auto addr = resolve(host, port);
  if (!addr.isOk()) return addr.status();
  std::vector<Fd> fds;
  for (int i = 0; i < count; ++i) {
    Fd fd(socket(addr->storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return Status::fromErrno("socket", errno);
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      return Status::fromErrno("SO_REUSEPORT", errno);
    }
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (bind(fd.get(), addr->get(), addr->len) != 0) {
      return Status::fromErrno("bind " + addrString(*addr), errno);
    }
    if (listen(fd.get(), backlog) != 0) return Status::fromErrno("listen", errno);
    if (i == 0 && port == 0) {
      auto p = localPort(fd.get());
      if (!p.isOk()) return p.status();
      setPort(*addr, *p);
    }
    fds.push_back(std::move(fd));
  }
  return fds;
}

int acceptNonBlocking(int listen_fd, SockAddr* peer) {
  peer->len = sizeof(peer->storage);
  int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer->storage), &peer->len,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

Result<Fd> connectNonBlocking(const SockAddr& addr, bool* in_progress) {
  Fd fd(socket(addr.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::fromErrno("socket", errno);
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  *in_progress = false;
  if (connect(fd.get(), addr.get(), addr.len) != 0) {
    if (errno != EINPROGRESS) return Status::fromErrno("connect " + addrString(addr), errno);
    *in_progress = true;
  }
  return fd;
}

int connectError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

std::string ipString(const SockAddr& addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.storage.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr.storage)->sin_addr, buf,
              sizeof(buf));
  } else if (addr.storage.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr.storage)->sin6_addr, buf,
              sizeof(buf));
  }
  return buf;
}

std::string addrString(const SockAddr& addr) {
  uint16_t port = 0;
  if (addr.storage.ss_family == AF_INET) {
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr.storage)->sin_port);
    return ipString(addr) + ":" + std::to_string(port);
  }
  port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr.storage)->sin6_port);
  return "[" + ipString(addr) + "]:" + std::to_string(port);
}

}  // namespace shipgate::net
