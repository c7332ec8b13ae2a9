// TlsServerContext: the certificates of one HTTPS listener. Each certificate gets its own
// SSL_CTX with modern defaults (TLS 1.2+, server cipher preference, no compression or
// renegotiation); the SNI callback picks the one whose names (SAN DNS entries, else CN; exact
// or "*.suffix") match the requested name, falling back to the first certificate.
// Immutable after create(); safe to use from any thread. Shared (shared_ptr) between the
// snapshot that built it and connections still using it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/status.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace shipgate::net {

struct CertKeyFiles {
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM private key
};

class TlsServerContext {
 public:
  // Reads every file now; fails naming the file when one cannot be loaded or does not match.
  static Result<std::shared_ptr<TlsServerContext>> create(const std::vector<CertKeyFiles>& certs);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  SSL_CTX* defaultContext() const { return entries_.front().ctx; }
  // The SSL_CTX for a server name ("" = default).
  SSL_CTX* contextFor(const std::string& server_name) const;
  // Names of certificate i, as read from it.
  const std::vector<std::string>& namesOf(size_t i) const { return entries_[i].names; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    SSL_CTX* ctx = nullptr;
    std::vector<std::string> names;
  };
  TlsServerContext() = default;
  std::vector<Entry> entries_;
};

}  // namespace shipgate::net
