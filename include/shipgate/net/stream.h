// Stream: the byte transport under an HTTP connection: plain TCP or TLS (OpenSSL, non-blocking,
// handshake driven implicitly by the first read/write). Owns its socket.
// Return convention of read/writev/sendFile: > 0 bytes moved; 0 from read = orderly EOF;
// -1 with errno EAGAIN = would block (wait for readiness; for TLS either direction may be
// needed, so callers retry both on any event); -1 with another errno = fatal.
// Not thread-safe; used by one loop thread.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <memory>
#include <string>

#include "shipgate/net/socket.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace shipgate::net {

class Stream {
 public:
  virtual ~Stream() = default;
  int fd() const { return fd_.get(); }
  virtual ssize_t read(char* buf, size_t len) = 0;
  virtual ssize_t writev(const iovec* iov, int iovcnt) = 0;
  // Sends up to len bytes of file_fd from *offset, advancing it (sendfile(2) on plain TCP).
  virtual ssize_t sendFile(int file_fd, off_t* offset, size_t len) = 0;
  virtual bool isTls() const { return false; }
  // TLS: the SNI name the client asked for ("" when none / plain).
  virtual std::string serverName() const { return ""; }
  // Ends the sending direction once: TLS sends close_notify first, then the socket is half-closed
  // (shutdown(SHUT_WR)); reading stays possible. The socket is closed by the destructor.
  virtual void shutdownWrite() = 0;

 protected:
  explicit Stream(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

class PlainStream final : public Stream {
 public:
  explicit PlainStream(Fd fd) : Stream(std::move(fd)) {}
  ssize_t read(char* buf, size_t len) override;
  ssize_t writev(const iovec* iov, int iovcnt) override;
  ssize_t sendFile(int file_fd, off_t* offset, size_t len) override;
  void shutdownWrite() override;
};

// Server side of a TLS connection. The SSL_CTX must outlive the stream only until SSL_new
// (OpenSSL reference-counts it). Destroying it answers a close_notify the peer sent and keeps
// the session resumable unless a TLS error ended the connection.
class TlsStream final : public Stream {
 public:
  static Result<std::unique_ptr<TlsStream>> accept(Fd fd, SSL_CTX* ctx);
  ~TlsStream() override;
  ssize_t read(char* buf, size_t len) override;
  ssize_t writev(const iovec* iov, int iovcnt) override;
  ssize_t sendFile(int file_fd, off_t* offset, size_t len) override;
  bool isTls() const override { return true; }
  std::string serverName() const override;
  void shutdownWrite() override;

 private:
  TlsStream(Fd fd, SSL* ssl) : Stream(std::move(fd)), ssl_(ssl) {}
  ssize_t mapError(int ret);
  SSL* ssl_;
};

}  // namespace shipgate::net
