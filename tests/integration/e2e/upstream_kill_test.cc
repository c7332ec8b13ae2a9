// An upstream killed under load while requests are in flight on it: every idempotent request
// still gets a 200 (those in flight are retried on the other endpoint). The upstream answers
// after 300 ms, so at the kill the gateway reports requests in flight on it (asserted), and the
// keep-alive clients count every answer by exact status.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_util.h"
#include "shipgate/common/mutex.h"
#include "support/gateway_process.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;

// The in-flight count the gateway reports for the endpoint at `address`; -1 when it is not listed.
int inFlight(uint16_t admin_port, const std::string& token_file, const std::string& address) {
  auto r = testsupport::httpGet(admin_port, "/api/v1/status", bearer(token_file));
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object()) return -1;
  for (const auto& app : j.value("apps", nlohmann::json::array())) {
    for (const char* slot : {"blue", "green"}) {
      const auto slots = app.value("slots", nlohmann::json::object());
      for (const auto& e : slots.value(slot, nlohmann::json::array())) {
        if (e.value("address", "") == address) return e.value("in_flight", 0);
      }
    }
  }
  return -1;
}

TEST(UpstreamKill, KilledWithRequestsInFlightItFailsNoIdempotentRequest) {
  testsupport::TempDir dir("sg-kill");
  uint16_t http = testsupport::freePort(), admin = testsupport::freePort();
  std::string token = writeToken(dir);
  // Every answer takes 300 ms, so at any moment several requests are on each endpoint.
  const std::vector<std::string> slow = {"--latency-ms", "300"};
  ApiServer a1("v1", "us-east-1", slow), a2("v1", "us-east-1", slow), g("v2", "us-east-1");
  ASSERT_TRUE(a1.start());
  ASSERT_TRUE(a2.start());
  ASSERT_TRUE(g.start());
  GatewayProcess gw;
  ASSERT_TRUE(gw.start(
      "server: {workers: 2, allow_root: true}\n"
      "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
      "admin: {address: \"127.0.0.1:" + std::to_string(admin) + "\", token_file: \"" + token +
      "\"}\n"
      "sites: [{name: api, hosts: [app.test], path_prefix: /api/, app: api}]\n"
      "apps:\n  api:\n    connect_timeout: 500ms\n    read_timeout: 5s\n"
      "    retry_idempotent: true\n"
      "    slots: {blue: [{address: \"" + a1.address() + "\"}, {address: \"" + a2.address() +
      "\"}], green: [{address: \"" + g.address() + "\"}]}\n",
      {http, admin}));
  std::atomic<bool> stop{false};
  std::atomic<bool> killed{false};
  shipgate::Mutex mu;
  std::map<int, int> statuses;  // every request sent, by the status answered (0: none)
  int answered_after_kill_from_before = 0;  // sent before the kill, answered after it
  std::string first_failure;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      testsupport::RawHttpClient cli;  // keep-alive: the gateway's upstream connections are warm
      while (!stop) {
        if (!cli.connected() && !cli.connect(http)) {
          shipgate::MutexLock lock(mu);
          ++statuses[0];
          if (first_failure.empty()) first_failure = cli.error();
          continue;
        }
        bool sent_before_kill = !killed;
        auto r = cli.roundTrip("GET /api/properties HTTP/1.1\r\nHost: app.test\r\n\r\n");
        shipgate::MutexLock lock(mu);
        ++statuses[r.status];
        if (sent_before_kill && killed) ++answered_after_kill_from_before;
        if (r.status != 200) {
          if (first_failure.empty()) first_failure = r.raw + r.error;
          cli.close();
        } else if (r.header("Connection") == "close") {
          cli.close();
        }
      }
    });
  }
  // Kill a1 while the gateway reports requests in flight on it.
  int in_flight_at_kill = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::this_thread::sleep_for(500ms);
  while (std::chrono::steady_clock::now() < deadline) {
    in_flight_at_kill = inFlight(admin, token, a1.address());
    if (in_flight_at_kill > 0) break;
    std::this_thread::sleep_for(20ms);
  }
  a1.process().kill();
  killed = true;
  std::this_thread::sleep_for(1500ms);
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_GT(in_flight_at_kill, 0) << "no request was in flight on the killed upstream";
  EXPECT_GT(answered_after_kill_from_before, 0);
  // Every request got a 200: those in flight on a1 were retried on a2.
  int total = 0;
  for (const auto& [status, n] : statuses) total += n;
  EXPECT_EQ(statuses, (std::map<int, int>{{200, total}})) << first_failure << gw.logs();
  EXPECT_GT(total, 20);
  EXPECT_EQ(inFlight(admin, token, a1.address()), 0);
  std::printf("requests in flight on the killed upstream: %d; answers: %d\n",
              in_flight_at_kill, total);
}

}  // namespace
}  // namespace e2e
