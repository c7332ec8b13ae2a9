#include "shipgate/net/tls_context.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

namespace shipgate::net {
namespace {

std::string lastSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

std::vector<std::string> certNames(X509* cert) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr,
                                                            nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type != GEN_DNS) continue;
      const unsigned char* p = ASN1_STRING_get0_data(gn->d.dNSName);
      int len = ASN1_STRING_length(gn->d.dNSName);
      names.emplace_back(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    X509_NAME* subject = X509_get_subject_name(cert);
    char cn[256];
    int len = X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof(cn));
    if (len > 0) names.emplace_back(cn, static_cast<size_t>(len));
  }
  return names;
}

bool nameMatches(const std::string& pattern, const std::string& name) {
  if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
    // "*.example.com" matches exactly one extra label.
    std::string suffix = pattern.substr(1);
    if (name.size() <= suffix.size()) return false;
    size_t head = name.size() - suffix.size();
    if (strcasecmp(name.c_str() + head, suffix.c_str()) != 0) return false;
    return name.find('.') == head;
  }
  return strcasecmp(pattern.c_str(), name.c_str()) == 0;
}

int onServerName(SSL* ssl, int* /*alert*/, void* arg) {
  auto* self = static_cast<TlsServerContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;
  SSL_CTX* ctx = self->contextFor(name);
  if (ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

TlsServerContext* contextOf(const SSL* ssl) {
  return static_cast<TlsServerContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

// Seals (enc = 1) or opens (enc = 0) a session ticket with the listener's TicketKeySource:
// AES-256-CBC and HMAC-SHA256, as OpenSSL's own default tickets. Returns 1 = go on, 2 = opened
// with an older key (the client gets a fresh ticket), 0 = no ticket / unknown key (full
// handshake), -1 = error.
int onTicketKey(SSL* ssl, unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                EVP_MAC_CTX* mac, int enc) {
  TicketKeySource* source = contextOf(ssl)->sessions().ticket_keys.get();
  if (source == nullptr) return 0;
  std::optional<TicketKey> key;
  bool renew = false;
  if (enc == 1) {
    key = source->sealingKey();
    if (!key) return 0;
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1) return -1;
    std::memcpy(key_name, key->name.data(), key->name.size());
  } else {
    std::array<unsigned char, 16> name;
    std::memcpy(name.data(), key_name, name.size());
    key = source->openingKey(name, &renew);
    if (!key) return 0;
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key->hmac_key.data(),
                                        key->hmac_key.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  int ok = enc == 1
               ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes_key.data(), iv)
               : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes_key.data(), iv);
  if (ok != 1) return -1;
  return renew ? 2 : 1;
}

void onInfo(const SSL* ssl, int where, int /*ret*/) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  const TlsSessionOptions& o = contextOf(ssl)->sessions();
  std::atomic<uint64_t>* cell = SSL_session_reused(ssl) ? o.resumed_handshakes : o.full_handshakes;
  if (cell != nullptr) cell->fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::create(
    const std::vector<CertKeyFiles>& certs, TlsSessionOptions sessions) {
  if (certs.empty()) return Status::invalidArgument("TLS listener without certificates");
  std::shared_ptr<TlsServerContext> self(new TlsServerContext(std::move(sessions)));
  const TlsSessionOptions& o = self->sessions_;
  // The session ID context: a digest of the id, so any listener name fits its 32 bytes.
  const std::string id = "shipgate listener " + o.id_context;
  unsigned char sid_ctx[EVP_MAX_MD_SIZE];
  unsigned int sid_len = 0;
  if (EVP_Digest(id.data(), id.size(), sid_ctx, &sid_len, EVP_sha256(), nullptr) != 1) {
    return Status::internal("session id context: " + lastSslError());
  }
  sid_len = std::min<unsigned int>(sid_len, SSL_MAX_SID_CTX_LENGTH);
  for (const auto& files : certs) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) return Status::internal("SSL_CTX_new: " + lastSslError());
    self->entries_.push_back(Entry{ctx, {}});
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // A client that closes TCP without close_notify (common, and harmless for HTTP, whose own
    // framing shows truncation) reads as EOF, not as an error that drops its session (nginx
    // does the same).
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 (o.ticket_keys ? 0 : SSL_OP_NO_TICKET));
    SSL_CTX_set_cipher_list(ctx,
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    SSL_CTX_set_app_data(ctx, self.get());
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, o.cache_size);
    SSL_CTX_set_timeout(ctx, static_cast<long>(o.timeout.count()));
    if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sid_len) != 1) {
      return Status::internal("SSL_CTX_set_session_id_context: " + lastSslError());
    }
    if (o.ticket_keys && SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, onTicketKey) != 1) {
      return Status::internal("SSL_CTX_set_tlsext_ticket_key_evp_cb: " + lastSslError());
    }
    SSL_CTX_set_info_callback(ctx, onInfo);
    if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
      return Status::invalidArgument("certificate " + files.cert_file + ": " + lastSslError());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return Status::invalidArgument("key " + files.key_file + ": " + lastSslError());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return Status::invalidArgument("key " + files.key_file + " does not match " +
                                     files.cert_file);
    }
    self->entries_.back().names = certNames(SSL_CTX_get0_certificate(ctx));
    SSL_CTX_set_tlsext_servername_callback(ctx, onServerName);
    SSL_CTX_set_tlsext_servername_arg(ctx, self.get());
  }
  return self;
}

TlsServerContext::~TlsServerContext() {
  for (auto& e : entries_) SSL_CTX_free(e.ctx);
}

SSL_CTX* TlsServerContext::contextFor(const std::string& server_name) const {
  if (!server_name.empty()) {
    for (const auto& e : entries_) {
      for (const auto& n : e.names) {
        if (nameMatches(n, server_name)) return e.ctx;
      }
    }
  }
  return entries_.front().ctx;
}

}  // namespace shipgate::net
