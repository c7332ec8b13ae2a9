// Rate limits shared across gateway nodes through Redis (waf.rate_limit.store), end to end: three
// shipgate processes on loopback ports with one `100req/min` rule and the same redis-server.
//   - 100 requests spread round-robin over the three nodes all pass; the 101st through any node
//     gets 429 (per-node counters, the contrast, would let each node pass 100);
//   - Redis SIGKILLed, restarted, then SIGSTOPped under continuous load from several client
//     threads: no request fails (every answer is 200), store_up goes to 0 and
//     fallbacks_total grows, and store_up is 1 again once Redis is back.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/gateway_process.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/raw_http_client.h"
#include "support/redis_server.h"

namespace {

using namespace std::chrono_literals;

constexpr char kToken[] = "rate-store-test-token-0123456789abcdef";

struct Node {
  uint16_t http = 0;
  uint16_t admin = 0;
  std::unique_ptr<testsupport::GatewayProcess> gw;
};

class RedisRateLimit : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string www = dir_.writeFile("www/index.html", "hello\n");
    ASSERT_FALSE(www.empty());
    token_ = dir_.writeFile("token", std::string(kToken) + "\n");
    ASSERT_EQ(::chmod(token_.c_str(), 0600), 0);
  }

  std::string yaml(const Node& n, int index, const std::string& rate, const std::string& store) {
    std::string y =
        "server: {workers: 2, allow_root: true}\n"
        "listeners: [{name: http, address: \"127.0.0.1:" +
        std::to_string(n.http) +
        "\"}]\n"
        "admin: {address: \"127.0.0.1:" +
        std::to_string(n.admin) + "\", token_file: \"" + token_ +
        "\"}\n"
        "state: {dir: \"" +
        dir_.file("state" + std::to_string(index)) +
        "\"}\n"
        "sites:\n  - {name: www, static: {root: \"" +
        dir_.file("www") +
        "\"}}\n"
        "security_rules:\n"
        "  - name: \"Rate limit site\"\n"
        "    expression: 'http.request.uri.path contains \"/\"'\n"
        "    action: rate_limit\n"
        "    rate_limit: \"" +
        rate + "\"\n";
    if (!store.empty()) {
      y += "waf:\n  rate_limit: {store: \"" + store + "\", timeout: " + timeout_ + "}\n";
    }
    return y;
  }

  ::testing::AssertionResult startNodes(const std::string& rate, const std::string& store) {
    nodes_.clear();
    for (int i = 0; i < 3; ++i) {
      Node n;
      n.http = testsupport::freePort();
      n.admin = testsupport::freePort();
      n.gw = std::make_unique<testsupport::GatewayProcess>();
      auto started = n.gw->start(yaml(n, i, rate, store), {n.http, n.admin});
      if (!started) return started;
      nodes_.push_back(std::move(n));
    }
    return ::testing::AssertionSuccess();
  }

  int get(size_t node) { return testsupport::httpGet(nodes_[node].http, "/", {}, 5000ms).status; }

  // The value of an unlabelled series on node's /metrics; -1 when absent.
  double metric(size_t node, const std::string& name) {
    auto r = testsupport::httpGet(nodes_[node].admin, "/metrics",
                                  {{"Authorization", std::string("Bearer ") + kToken}});
    if (r.status != 200) return -1;
    size_t at = r.body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(r.body.substr(at + name.size() + 2));
  }

  // Polls until the metric of every node (or of node `only`) satisfies `ok` (or the timeout).
  template <typename Pred>
  bool waitForAll(const std::string& name, Pred ok, std::chrono::milliseconds timeout,
                  int only = -1) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (only < 0 || static_cast<size_t>(only) == i) all = all && ok(metric(i, name));
      }
      if (all) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // Waits until a burst of `burst` fits in the current minute of Redis' clock (the windows are
  // aligned to it).
  void waitForFreshMinute(testsupport::RedisServer& redis, std::chrono::seconds burst) {
    std::string t = redis.command({"TIME"});
    int64_t ms = std::stoll(t.substr(0, t.find('\n'))) * 1000 +
                 std::stoll(t.substr(t.find('\n') + 1)) / 1000;
    int64_t into = ms % 60'000;
    if (60'000 - into < burst.count() * 1000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(60'000 - into + 100));
    }
  }

  std::string logs() {
    std::string out;
    for (auto& n : nodes_) out += n.gw->logs();
    return out;
  }

  testsupport::TempDir dir_{"sg-rate-store"};
  std::string token_;
  std::string timeout_ = "50ms";
  std::vector<Node> nodes_;
};

TEST_F(RedisRateLimit, OneHundredPerMinuteHoldsAcrossThreeNodes) {
  testsupport::RedisServer redis;
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(startNodes("100req/min", redis.url()));
  waitForFreshMinute(redis, 20s);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(get(i % 3), 200) << "request " << i + 1 << " through node " << i % 3 << "\n"
                               << logs();
  }
  for (size_t n = 0; n < 3; ++n) {
    EXPECT_EQ(get(n), 429) << "the 101st request, through node " << n;
  }
  // Every decision came from Redis: one shared counter at 100, no fallback.
  EXPECT_EQ(redis.command({"HGET", "shipgate:rl:Rate limit site:127.0.0.1", "c"}), "100");
  for (size_t n = 0; n < 3; ++n) {
    EXPECT_EQ(metric(n, "shipgate_rate_limit_store_up"), 1) << "node " << n;
    EXPECT_EQ(metric(n, "shipgate_rate_limit_store_fallbacks_total"), 0) << "node " << n;
  }
}

TEST_F(RedisRateLimit, WithoutTheStoreEachNodeCountsAlone) {
  ASSERT_TRUE(startNodes("100req/min", ""));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(get(i % 3), 200) << "request " << i + 1;
  // Per node, 33 or 34 requests so far: the 101st passes everywhere (up to 300 would).
  for (size_t n = 0; n < 3; ++n) EXPECT_EQ(get(n), 200) << "node " << n;
  EXPECT_EQ(metric(0, "shipgate_rate_limit_store_up"), -1) << "no store, no series";
}

TEST_F(RedisRateLimit, RedisKilledOrStoppedUnderLoadFailsNoRequest) {
  testsupport::RedisServer redis;
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(startNodes("100000000req/min", redis.url()));
  for (size_t n = 0; n < 3; ++n) ASSERT_EQ(get(n), 200);
  ASSERT_TRUE(waitForAll(
      "shipgate_rate_limit_store_up", [](double v) { return v == 1; }, 10s))
      << logs();

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<int, int> statuses;  // status -> count (0 = no response)
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      std::map<int, int> mine;
      for (size_t i = t; !stop.load(); ++i) {
        ++mine[testsupport::httpGet(nodes_[i % 3].http, "/", {}, 5000ms).status];
      }
      std::lock_guard<std::mutex> lock(mu);
      for (auto [s, c] : mine) statuses[s] += c;
    });
  }
  auto fallbacks = [&] {
    double sum = 0;
    for (size_t n = 0; n < 3; ++n) sum += metric(n, "shipgate_rate_limit_store_fallbacks_total");
    return sum;
  };
  std::this_thread::sleep_for(500ms);
  const double before_kill = fallbacks();

  // SIGKILL: the connections break at once.
  redis.kill();
  EXPECT_TRUE(waitForAll(
      "shipgate_rate_limit_store_up", [](double v) { return v == 0; }, 10s))
      << logs();
  std::this_thread::sleep_for(700ms);
  const double after_kill = fallbacks();
  EXPECT_GT(after_kill, before_kill);

  // Back on the same port: the nodes reconnect by themselves.
  ASSERT_TRUE(redis.start());
  EXPECT_TRUE(waitForAll(
      "shipgate_rate_limit_store_up", [](double v) { return v == 1; }, 15s))
      << logs();
  std::this_thread::sleep_for(300ms);

  // SIGSTOP: a hung Redis that still accepts connections; requests must hit the timeout.
  const double before_stop = fallbacks();
  redis.pause();
  EXPECT_TRUE(waitForAll(
      "shipgate_rate_limit_store_up", [](double v) { return v == 0; }, 10s))
      << logs();
  std::this_thread::sleep_for(700ms);
  EXPECT_GT(fallbacks(), before_stop);
  redis.resume();
  EXPECT_TRUE(waitForAll(
      "shipgate_rate_limit_store_up", [](double v) { return v == 1; }, 15s))
      << logs();
  std::this_thread::sleep_for(300ms);

  stop = true;
  for (auto& c : clients) c.join();
  int total = 0;
  std::string seen;
  for (auto [s, c] : statuses) {
    total += c;
    seen += std::to_string(s) + "x" + std::to_string(c) + " ";
  }
  EXPECT_GT(statuses[200], 100) << seen;
  std::cout << "answers by status: " << seen << "\n";
  EXPECT_EQ(statuses[200], total) << "every answer is a 200 (the limit is never reached): " << seen
                                  << "\n"
                                  << logs();
  std::string log = logs();
  EXPECT_NE(log.find("lost redis"), std::string::npos);
  EXPECT_NE(log.find("connected to redis"), std::string::npos);
}

// Clients that go away while their request waits for a hung Redis: the gateway drops those
// requests (no crash, no leak of the waiting state) and, once Redis answers again, serves on.
TEST_F(RedisRateLimit, ClientsGoneWhileWaitingForRedisAreDropped) {
  testsupport::RedisServer redis;
  ASSERT_TRUE(redis.start());
  timeout_ = "3s";  // long enough for the clients to leave first
  ASSERT_TRUE(startNodes("1000000req/min", redis.url()));
  ASSERT_EQ(get(0), 200);
  ASSERT_TRUE(waitForAll(
      "shipgate_rate_limit_store_up", [](double v) { return v == 1; }, 10s, 0));
  redis.pause();
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(nodes_[0].http);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::send(fd, req, sizeof req - 1, 0), static_cast<ssize_t>(sizeof req - 1));
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);
  for (int fd : fds) ::close(fd);  // gone while suspended
  std::this_thread::sleep_for(300ms);
  redis.resume();  // the queued answers now arrive for requests that are gone
  std::this_thread::sleep_for(3500ms);
  ASSERT_TRUE(nodes_[0].gw->running()) << logs();
  EXPECT_EQ(get(0), 200) << logs();
  EXPECT_TRUE(waitForAll(
      "shipgate_rate_limit_store_up", [](double v) { return v == 1; }, 15s, 0))
      << logs();
  // The 20 abandoned requests were dropped, not decided per node: no fallback was counted.
  EXPECT_EQ(metric(0, "shipgate_rate_limit_store_fallbacks_total"), 0) << logs();
}

}  // namespace
