// HTTPS listeners: two certificates chosen by SNI (generated with the openssl CLI), TLS 1.2+
// only, proxying with X-Forwarded-Proto: https, and certificates re-read by apply().
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>

#include "gateway_test_support.h"

namespace shipgate::server {
namespace {

using namespace testing;
namespace fs = std::filesystem;

void makeCert(const fs::path& dir, const std::string& name, const std::string& org) {
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                    "-days 2 -keyout " + (dir / (name + ".key")).string() + " -out " +
                    (dir / (name + ".crt")).string() + " -subj '/O=" + org + "/CN=" + name +
                    "' -addext 'subjectAltName=DNS:" + name + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

struct TlsResult {
  std::string subject;   // of the certificate the server presented
  std::string response;  // raw bytes read after sending the request
  bool handshake_ok = false;
};

TlsResult tlsRequest(uint16_t port, const std::string& sni, const std::string& request,
                     int max_version = 0) {
  TlsResult out;
  RawClient sock(port);
  if (!sock.connected()) return out;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (max_version) SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_min_proto_version(ctx, 0);
  SSL_CTX_set_security_level(ctx, 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, sock.fd());
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl, sni.c_str());
  if (SSL_connect(ssl) == 1) {
    out.handshake_ok = true;
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (cert) {
      char buf[256];
      X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
      out.subject = buf;
      X509_free(cert);
    }
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buf[8192];
    for (;;) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) break;
      out.response.append(buf, static_cast<size_t>(n));
      if (out.response.find("\r\n\r\n") != std::string::npos &&
          out.response.find("name=") != std::string::npos &&
          out.response.back() == '\n' && out.response.find("h:x-forwarded-proto") != std::string::npos) {
        break;
      }
    }
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

TEST(GatewayTlsTest, SniSelectsTheCertificateAndProxiesOverTls) {
  fs::path dir = fs::temp_directory_path() / ("shipgate-tls-" + std::to_string(getpid()));
  fs::create_directories(dir);
  makeCert(dir, "a.test", "first");
  makeCert(dir, "b.test", "second");
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  config::ListenerConfig tls;
  tls.name = "https";
  tls.address = {"127.0.0.1", 0};
  tls.tls.push_back({(dir / "a.test.crt").string(), (dir / "a.test.key").string()});
  tls.tls.push_back({(dir / "b.test.crt").string(), (dir / "b.test.key").string()});
  c.listeners.push_back(tls);
  addApp(c, "api", {up.port()});
  config::Config reload = c;
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  uint16_t port = h.port("https");
  ASSERT_NE(port, 0);
  std::string req = "GET /tls HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n";

  auto a = tlsRequest(port, "a.test", req);
  ASSERT_TRUE(a.handshake_ok);
  EXPECT_NE(a.subject.find("CN=a.test"), std::string::npos) << a.subject;
  auto b = tlsRequest(port, "b.test", req);
  ASSERT_TRUE(b.handshake_ok);
  EXPECT_NE(b.subject.find("CN=b.test"), std::string::npos) << b.subject;
  EXPECT_NE(b.response.find("HTTP/1.1 200"), std::string::npos) << b.response;
  EXPECT_NE(b.response.find("h:x-forwarded-proto=https"), std::string::npos) << b.response;
  auto none = tlsRequest(port, "", req);
  ASSERT_TRUE(none.handshake_ok);
  EXPECT_NE(none.subject.find("CN=a.test"), std::string::npos) << "first cert is the default";
  auto old = tlsRequest(port, "a.test", req, TLS1_1_VERSION);
  EXPECT_FALSE(old.handshake_ok) << "TLS 1.1 must be refused";

  // Renewed certificate files are picked up by apply().
  makeCert(dir, "b.test", "renewed");
  ASSERT_TRUE(h.gateway->apply(std::make_shared<const config::Config>(reload)).isOk());
  auto renewed = tlsRequest(port, "b.test", req);
  ASSERT_TRUE(renewed.handshake_ok);
  EXPECT_NE(renewed.subject.find("O=renewed"), std::string::npos) << renewed.subject;

  // A missing certificate file makes apply() fail and the old certificates stay.
  reload.listeners[1].tls[0].cert_file = (dir / "missing.crt").string();
  EXPECT_FALSE(h.gateway->apply(std::make_shared<const config::Config>(reload)).isOk());
  auto still = tlsRequest(port, "b.test", req);
  EXPECT_NE(still.subject.find("O=renewed"), std::string::npos);

  // Plain HTTP on the plain listener still works.
  RawClient plain(h.port("http"));
  ASSERT_TRUE(plain.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = plain.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(parseEcho(r->body)["h:x-forwarded-proto"], "http");
  fs::remove_all(dir);
}

// "Connection: close" over TLS, with more bytes behind the request: the gateway answers, sends
// close_notify and half-closes once, and reads the trailing bytes through the TLS stream while it
// lingers, so the client gets the whole answer and a clean TLS close, not a reset.
TEST(GatewayTlsTest, ConnectionCloseEndsWithCloseNotifyAfterTheWholeAnswer) {
  fs::path dir = fs::temp_directory_path() / ("shipgate-tlsclose-" + std::to_string(getpid()));
  fs::create_directories(dir);
  makeCert(dir, "a.test", "first");
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  config::ListenerConfig tls;
  tls.name = "https";
  tls.address = {"127.0.0.1", 0};
  tls.tls.push_back({(dir / "a.test.crt").string(), (dir / "a.test.key").string()});
  c.listeners.push_back(tls);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  int closed_cleanly = 0;
  int complete_answers = 0;
  constexpr int kTries = 5;
  for (int i = 0; i < kTries; ++i) {
    RawClient sock(h.port("https"));
    ASSERT_TRUE(sock.connected());
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, sock.fd());
    SSL_set_tlsext_host_name(ssl, "a.test");
    ASSERT_EQ(SSL_connect(ssl), 1);
    std::string req = "GET /close HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
                      "GET /ignored HTTP/1.1\r\nHost: a.test\r\n\r\n";
    SSL_write(ssl, req.data(), static_cast<int>(req.size()));
    std::string got;
    char buf[8192];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
    if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) ++closed_cleanly;
    size_t body = got.find("\r\n\r\n");
    if (got.rfind("HTTP/1.1 200", 0) == 0 && body != std::string::npos &&
        got.find("path=/close\n") != std::string::npos &&
        got.find("HTTP/1.1", body) == std::string::npos) {
      ++complete_answers;
    }
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  EXPECT_EQ(complete_answers, kTries);
  EXPECT_EQ(closed_cleanly, kTries);
  EXPECT_EQ(up.hits(), kTries);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shipgate::server
