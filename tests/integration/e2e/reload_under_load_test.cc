// Reloads under load drop nothing: while several keep-alive clients (plain HTTP and HTTPS) send
// requests without pause, the config is reloaded again and again (SIGHUP and `shipgate reload`),
// each time changing the app's endpoints, the WAF rules and the HTTPS listener's certificate.
// Every answer is counted by exact status: all are 200, and each reload's three changes are seen
// to take effect while the load runs.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "e2e_util.h"
#include "support/gateway_process.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;

struct Ports {
  uint16_t http = testsupport::freePort();
  uint16_t https = testsupport::freePort();
  uint16_t admin = testsupport::freePort();
};

// One of two states the reloads alternate between: upstream, blocked word, certificate.
struct State {
  std::string upstream;  // host:port of the only blue endpoint
  std::string version;   // its X-App-Version
  std::string blocked;   // the query word the WAF blocks on /api/echo
  std::string org;       // the certificate's O=
};

std::string yaml(const Ports& p, const std::string& token, const testsupport::TempDir& dir,
                 const State& s) {
  return "server: {workers: 2, allow_root: true}\n"
         "listeners:\n"
         "  - {name: http, address: \"127.0.0.1:" + std::to_string(p.http) + "\"}\n"
         "  - name: https\n"
         "    address: \"127.0.0.1:" + std::to_string(p.https) + "\"\n"
         "    tls: [{cert: \"" + dir.file(s.org + ".crt") + "\", key: \"" +
         dir.file(s.org + ".key") + "\"}]\n"
         "admin: {address: \"127.0.0.1:" + std::to_string(p.admin) + "\", token_file: \"" + token +
         "\"}\n"
         "sites:\n  - {name: api, path_prefix: /api/, app: api}\n"
         "apps:\n  api:\n    slots: {blue: [{address: \"" + s.upstream + "\"}], green: []}\n"
         "security_rules:\n"
         "  - name: \"Block a word\"\n"
         "    expression: \"http.request.uri.query contains \\\"" + s.blocked + "\\\"\"\n"
         "    action: block\n";
}

// Keeps sending GET /api/properties on one keep-alive connection until `stop`; counts answers.
class LoadClient {
 public:
  LoadClient(uint16_t port, bool tls) : port_(port), tls_(tls) {}
  void run(const std::atomic<bool>& stop) {
    testsupport::RawHttpClient c;
    while (!stop) {
      if (!c.connected()) {
        ++connections;
        if (!c.connect(port_) || (tls_ && !c.startTls("app.test"))) {
          fail(c.error());
          c.close();
          continue;
        }
      }
      auto r = c.roundTrip("GET /api/properties HTTP/1.1\r\nHost: app.test\r\n\r\n");
      ++statuses[r.status];
      if (r.status != 200) fail(r.raw + r.error);
      if (r.status != 200 || r.header("Connection") == "close") c.close();
    }
  }
  std::map<int, int> statuses;  // 0 = no answer
  int connections = 0;
  std::string first_failure;

 private:
  void fail(const std::string& why) {
    if (first_failure.empty()) first_failure = why;
  }
  uint16_t port_;
  bool tls_;
};

// True once `check` holds, polled every 20 ms for up to 10 s.
template <typename Check>
bool eventually(Check check) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(ReloadUnderLoad, EndpointsWafRulesAndCertificateChangeWithoutOneFailedRequest) {
  testsupport::TempDir dir("sg-reload");
  Ports ports;
  std::string token = writeToken(dir);
  ASSERT_TRUE(makeCert(dir, "first"));
  ASSERT_TRUE(makeCert(dir, "second"));
  ApiServer a("v1-a", "us-east-1"), b("v1-b", "us-east-1");
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  const State states[2] = {{a.address(), "v1-a", "foo", "first"},
                           {b.address(), "v1-b", "bar", "second"}};
  GatewayProcess gw;
  ASSERT_TRUE(gw.start(yaml(ports, token, dir, states[0]), {ports.http, ports.https, ports.admin}));

  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<LoadClient>> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<LoadClient>(i < 4 ? ports.http : ports.https, i >= 4));
  }
  std::vector<std::thread> threads;
  for (auto& c : clients) threads.emplace_back([&c, &stop] { c->run(stop); });
  struct Joiner {  // stops and joins the clients on every way out of the test
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{stop, threads};

  // The three effects of a state, each seen on a fresh connection.
  auto version = [&] { return get(ports.http, "/api/properties", "app.test").header("X-App-Version"); };
  auto blocks = [&](const std::string& word) {
    return get(ports.http, "/api/echo?q=" + word, "app.test").status == 403;
  };
  auto certificate = [&] {
    testsupport::RawHttpClient c;
    if (!c.connect(ports.https) || !c.startTls("app.test")) return std::string();
    return c.peerCertificateSubject();
  };
  std::this_thread::sleep_for(300ms);
  constexpr int kReloads = 6;
  for (int i = 1; i <= kReloads; ++i) {
    const State& s = states[i % 2];
    const State& old = states[(i + 1) % 2];
    if (i % 2 == 1) {
      ASSERT_TRUE(gw.reload(yaml(ports, token, dir, s)));  // SIGHUP
    } else {
      std::ofstream(gw.configPath(), std::ios::trunc) << yaml(ports, token, dir, s);
      auto r = runCli({"reload", "--admin", "http://127.0.0.1:" + std::to_string(ports.admin),
                       "--token-file", token});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    EXPECT_TRUE(eventually([&] { return version() == s.version; })) << "reload " << i;
    EXPECT_TRUE(eventually([&] { return blocks(s.blocked) && !blocks(old.blocked); }))
        << "reload " << i;
    EXPECT_TRUE(eventually([&] {
      return certificate().find("O=" + s.org) != std::string::npos;
    })) << "reload " << i << ": " << certificate();
    std::this_thread::sleep_for(200ms);  // load on the new config before the next reload
  }
  stop = true;
  for (auto& t : threads) t.join();

  int total = 0;
  for (size_t i = 0; i < clients.size(); ++i) {
    const auto& c = *clients[i];
    int n = 0;
    for (const auto& [status, count] : c.statuses) n += count;
    total += n;
    EXPECT_EQ(c.statuses, (std::map<int, int>{{200, n}}))
        << (i < 4 ? "http" : "https") << " client " << i << ": " << c.first_failure << "\n"
        << gw.logs();
    EXPECT_GT(n, kReloads) << "client " << i << " barely ran";
    std::printf("client %zu (%s): %d answers (%d x 200) on %d connection(s)\n", i,
                i < 4 ? "http" : "https", n, c.statuses.count(200) ? c.statuses.at(200) : 0,
                c.connections);
  }
  std::printf("%d requests over %d reloads\n", total, kReloads);
}

}  // namespace
}  // namespace e2e
