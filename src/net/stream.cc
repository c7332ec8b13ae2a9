#include "shipgate/net/stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace shipgate::net {

// recv(2)/send(2) rather than read(2)/writev(2): the socket calls skip the VFS layer (file
// position lock, fsnotify, rw_verify_area), and send(2) skips copying a msghdr and importing an
// iovec array, which is measurable when every request is a handful of small writes.
ssize_t PlainStream::read(char* buf, size_t len) {
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, len, 0);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

ssize_t PlainStream::writev(const iovec* iov, int iovcnt) {
  if (iovcnt == 1) {
    for (;;) {
      ssize_t n = ::send(fd_.get(), iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<size_t>(iovcnt);
  for (;;) {
    ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

ssize_t PlainStream::sendFile(int file_fd, off_t* offset, size_t len) {
  for (;;) {
    ssize_t n = ::sendfile(fd_.get(), file_fd, offset, len);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

void PlainStream::shutdownWrite() { ::shutdown(fd_.get(), SHUT_WR); }

// ---- TLS ----

Result<std::unique_ptr<TlsStream>> TlsStream::accept(Fd fd, SSL_CTX* ctx) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return Status::internal("SSL_new failed");
  if (SSL_set_fd(ssl, fd.get()) != 1) {
    SSL_free(ssl);
    return Status::internal("SSL_set_fd failed");
  }
  SSL_set_accept_state(ssl);
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
  return std::unique_ptr<TlsStream>(new TlsStream(std::move(fd), ssl));
}

// OpenSSL drops the session of an SSL freed before it sent close_notify (it takes that for an
// aborted connection), so a client that closed first would get a full handshake next time. Like
// nginx's ngx_ssl_shutdown: after a completed handshake (and no TLS error since), answer the
// peer's close_notify with ours (one non-blocking try; SIGPIPE is ignored by the gateway), and
// otherwise mark the connection shut down without sending: the peer is gone, or we close for an
// HTTP reason (a timeout, a bad request) that does not taint the session.
TlsStream::~TlsStream() {
  if (SSL_is_init_finished(ssl_) != 0) {
    const int mode = SSL_get_shutdown(ssl_);
    if ((mode & SSL_RECEIVED_SHUTDOWN) != 0 && (mode & SSL_SENT_SHUTDOWN) == 0) SSL_shutdown(ssl_);
    SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  ERR_clear_error();
  SSL_free(ssl_);
}

ssize_t TlsStream::mapError(int ret) {
  int err = SSL_get_error(ssl_, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (errno == 0) return 0;  // EOF without close_notify
      return -1;
    default:
      ERR_clear_error();
      errno = EPROTO;
      return -1;
  }
}

ssize_t TlsStream::read(char* buf, size_t len) {
  ERR_clear_error();
  errno = 0;
  int n = SSL_read(ssl_, buf, static_cast<int>(len > INT32_MAX ? INT32_MAX : len));
  if (n > 0) return n;
  return mapError(n);
}

ssize_t TlsStream::writev(const iovec* iov, int iovcnt) {
  ssize_t total = 0;
  for (int i = 0; i < iovcnt; ++i) {
    if (iov[i].iov_len == 0) continue;
    ERR_clear_error();
    errno = 0;
    int n = SSL_write(ssl_, iov[i].iov_base, static_cast<int>(iov[i].iov_len));
    if (n <= 0) {
      ssize_t r = mapError(n);
      if (total > 0 && r < 0 && errno == EAGAIN) return total;
      if (r == 0) {
        errno = EPIPE;
        return total > 0 ? total : -1;
      }
      return total > 0 ? total : r;
    }
    total += n;
    if (static_cast<size_t>(n) < iov[i].iov_len) break;
  }
  return total;
}

ssize_t TlsStream::sendFile(int file_fd, off_t* offset, size_t len) {
  char buf[16384];
  size_t want = len < sizeof(buf) ? len : sizeof(buf);
  ssize_t got = ::pread(file_fd, buf, want, *offset);
  if (got <= 0) {
    if (got == 0) errno = EIO;
    return -1;
  }
  iovec iov{buf, static_cast<size_t>(got)};
  ssize_t n = writev(&iov, 1);
  if (n > 0) *offset += n;
  return n;
}

std::string TlsStream::serverName() const {
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name ? name : "";
}

void TlsStream::shutdownWrite() {
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
  ::shutdown(fd_.get(), SHUT_WR);
}

}  // namespace shipgate::net
