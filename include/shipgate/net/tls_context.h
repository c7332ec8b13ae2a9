// TlsServerContext: the certificates of one HTTPS listener. Each certificate gets its own
// SSL_CTX with modern defaults (TLS 1.2+, server cipher preference, no compression or
// renegotiation); the SNI callback picks the one whose names (SAN DNS entries, else CN; exact
// or "*.suffix") match the requested name, falling back to the first certificate.
//
// Session resumption: a session-ID cache in the first certificate's SSL_CTX (OpenSSL keeps the
// cache of the context a connection started with, so it is shared by every worker and every
// certificate of the listener), bounded to TlsSessionOptions::cache_size sessions; TLS 1.2 and
// TLS 1.3 session tickets sealed with the keys of a TicketKeySource (shared by all listeners, so
// tickets survive a reload that rebuilds this context). Sessions are bound to the listener
// (session ID context = a hash of TlsSessionOptions::id_context): a session of one listener does
// not resume on another.
//
// Immutable after create(); safe to use from any thread. Shared (shared_ptr) between the
// snapshot that built it and connections still using it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/net/ticket_keys.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace shipgate::net {

struct CertKeyFiles {
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM private key
};

struct TlsSessionOptions {
  // Sessions resume only on contexts built with the same id_context (e.g. the listener name).
  std::string id_context;
  // Seals and opens session tickets; null = no tickets (TLS 1.2 session IDs and TLS 1.3
  // stateful tickets, both from the cache).
  std::shared_ptr<TicketKeySource> ticket_keys;
  // Sessions kept in the session-ID cache (the oldest go first).
  long cache_size = 20480;
  // How long a session (cached or in a ticket) resumes.
  std::chrono::seconds timeout{7200};
  // Completed handshakes, full and resumed, each counted once (null = not counted). The cells
  // must outlive the context.
  std::atomic<uint64_t>* full_handshakes = nullptr;
  std::atomic<uint64_t>* resumed_handshakes = nullptr;
};

class TlsServerContext {
 public:
  // Reads every file now; fails naming the file when one cannot be loaded or does not match.
  static Result<std::shared_ptr<TlsServerContext>> create(const std::vector<CertKeyFiles>& certs,
                                                          TlsSessionOptions sessions = {});
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  SSL_CTX* defaultContext() const { return entries_.front().ctx; }
  // The SSL_CTX for a server name ("" = default).
  SSL_CTX* contextFor(const std::string& server_name) const;
  // Names of certificate i, as read from it.
  const std::vector<std::string>& namesOf(size_t i) const { return entries_[i].names; }
  size_t size() const { return entries_.size(); }
  const TlsSessionOptions& sessions() const { return sessions_; }

 private:
  struct Entry {
    SSL_CTX* ctx = nullptr;
    std::vector<std::string> names;
  };
  explicit TlsServerContext(TlsSessionOptions sessions) : sessions_(std::move(sessions)) {}
  TlsSessionOptions sessions_;
  std::vector<Entry> entries_;
};

}  // namespace shipgate::net
