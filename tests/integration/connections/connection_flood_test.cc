// A silent-connection flood at the connection cap (issue 7): one client holds 5x max_connections
// sockets that never send a byte and reopens whichever the gateway closes, up to 5,000 a second.
// Probes, each on a new connection, must all be answered 200 while it runs: at the cap the
// gateway closes the oldest silent connections to make room, instead of refusing every newcomer
// until header_timeout. (A flood that cycles through all max_connections slots faster than a
// client's first bytes arrive would still close that client before it speaks: the cap must be
// large next to the reopen rate times a round trip.)
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "../e2e/e2e_util.h"
#include "connections_util.h"
#include "support/gateway_process.h"
#include "support/net.h"

namespace conncap {
namespace {

using namespace std::chrono_literals;

TEST(ConnectionFlood, ProbesAreServedWhileSilentConnectionsHoldTheCap) {
  constexpr int kCap = 1000;
  constexpr int kFlood = 5 * kCap;
  constexpr int kProbes = 60;
  if (!ensureFiles(kFlood + 200)) GTEST_SKIP() << "the open-file limit is below " << kFlood + 200;
  testsupport::TempDir dir("sg-flood");
  std::string token = e2e::writeToken(dir);
  Upstream up;
  uint16_t http = testsupport::freePort(), admin = testsupport::freePort();
  testsupport::GatewayProcess gw;
  // header_timeout and first_byte_timeout far beyond the test: only the cap makes room.
  ASSERT_TRUE(gw.start(
      "server:\n  workers: 2\n  allow_root: true\n"
      "  limits: {max_connections: " + std::to_string(kCap) +
          ", first_byte_timeout: 120s, header_timeout: 120s}\n"
          "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
          "admin: {address: \"127.0.0.1:" + std::to_string(admin) + "\", token_file: \"" + token +
          "\"}\n"
          "sites: [{name: api, hosts: [app.test], app: api}]\n"
          "apps:\n  api:\n    slots: {blue: [{address: \"127.0.0.1:" +
          std::to_string(up.port()) + "\"}]}\n",
      {http, admin}));

  SilentFlood flood(http, kFlood, /*reopen_per_second=*/5000);
  ASSERT_TRUE(flood.waitOpen(30s));
  ASSERT_EQ(waitActive(admin, token, kCap, 10s), kCap) << "the flood fills the cap";

  std::map<int, int> statuses;  // every probe, by the status answered (0: no answer)
  std::string first_failure;
  for (int i = 0; i < kProbes; ++i) {
    auto r = testsupport::httpGet(http, "/", {{"Host", "app.test"}}, 5s);
    ++statuses[r.status];
    if (r.status != 200 && first_failure.empty()) first_failure = r.raw + r.error;
    std::this_thread::sleep_for(20ms);
  }
  long closed = flood.closedByServer();
  flood.stop();

  EXPECT_EQ(statuses, (std::map<int, int>{{200, kProbes}})) << first_failure;
  std::string m = scrape(admin, token);
  // Every probe made room by closing a silent connection; nothing was refused.
  double silent = sample(m, "shipgate_connections_reclaimed_total{reason=\"silent\"}");
  EXPECT_GE(silent, kFlood - kCap + kProbes) << m;
  EXPECT_EQ(sample(m, "shipgate_connections_refused_total{reason=\"max_connections\"}"), 0) << m;
  EXPECT_EQ(sample(m, "shipgate_connections_reclaimed_total{reason=\"partial\"}"), 0) << m;
  std::printf("flood: %d sockets, cap %d; the gateway closed %ld of them (%g reclaimed as silent)"
              "; probes: %d\n", kFlood, kCap, closed, silent, statuses[200]);
}

}  // namespace
}  // namespace conncap
