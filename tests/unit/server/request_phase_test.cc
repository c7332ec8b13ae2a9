// The request spine: a phase inserted after the firewall suspends the request on a timer or on an
// fd event and resumes it on the worker's loop; the request then goes on through route and proxy
// to a real upstream, pipelined requests are still answered in order, and a client that leaves
// while its request is suspended aborts the phase without disturbing the worker.
#include <gtest/gtest.h>
#include <sys/eventfd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../../../src/server/request_context.h"
#include "../../../src/server/request_phase.h"
#include "gateway_test_support.h"

namespace shipgate::server {
namespace {

using namespace testing;

std::atomic<int> g_suspended{0};
std::atomic<int> g_resumed{0};
std::atomic<int> g_aborted{0};
std::atomic<uint64_t> g_slots_made{0};  // the worker's requestSlotsMade() at the latest request
int g_event_fd = -1;

// The per-request state of a suspended TestPhase: a timer or a watched fd.
class Wait final : public SuspendedWork, public net::IoHandler {
 public:
  explicit Wait(RequestContext& ctx)
      : ctx_(ctx), timer_(ctx.worker().loop(), [this] { wake(); }) {}
  ~Wait() override { stopWatching(); }
  void waitTimer(Millis delay) { timer_.armAfter(delay); }
  void waitFd(int fd) {
    fd_ = fd;
    if (!ctx_.worker().loop().add(fd, EPOLLIN, this).isOk()) fd_ = -1;
  }
  void onIoEvent(uint32_t) override {
    uint64_t v;
    if (::read(fd_, &v, sizeof(v)) != sizeof(v)) return;
    stopWatching();
    wake();
  }
  void abort() override {
    timer_.cancel();
    stopWatching();
    g_aborted.fetch_add(1);
  }

 private:
  void stopWatching() {
    if (fd_ >= 0) ctx_.worker().loop().remove(fd_);
    fd_ = -1;
  }
  void wake() {
    g_resumed.fetch_add(1);
    ctx_.resume(PhaseResult::kContinue);
  }
  RequestContext& ctx_;
  net::Timer timer_;
  int fd_ = -1;
};

// "X-Suspend: <ms>" waits on a timer, "X-Suspend: fd" on g_event_fd; no header: continue.
class TestPhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    g_slots_made.store(ctx.worker().requestSlotsMade());
    std::string_view how = ctx.request().header("x-suspend");
    if (how.empty()) return PhaseResult::kContinue;
    auto wait = std::make_unique<Wait>(ctx);
    if (how == "fd") {
      wait->waitFd(g_event_fd);
    } else {
      wait->waitTimer(Millis(std::stoi(std::string(how))));
    }
    ctx.hold(std::move(wait));
    g_suspended.fetch_add(1);
    return PhaseResult::kSuspend;
  }
};

class RequestPhaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_suspended = g_resumed = g_aborted = 0;
    g_slots_made = 0;
    g_event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    setExtraPhaseForTesting([] { return std::make_unique<TestPhase>(); });
  }
  void TearDown() override {
    setExtraPhaseForTesting(nullptr);
    close(g_event_fd);
  }
};

std::string get(const std::string& path, const std::string& suspend) {
  std::string r = "GET " + path + " HTTP/1.1\r\nHost: a\r\n";
  if (!suspend.empty()) r += "X-Suspend: " + suspend + "\r\n";
  return r + "\r\n";
}

TEST_F(RequestPhaseTest, SuspendedPhasesResumeAndPipelinedAnswersStayInOrder) {
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  // The first request waits longest, the last not at all: answers must still come a, b, c, d.
  ASSERT_TRUE(cl.send(get("/a", "80") + get("/b", "fd") + get("/c", "5") + get("/d", "")));
  std::thread signaller([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    uint64_t one = 1;
    EXPECT_EQ(::write(g_event_fd, &one, sizeof(one)), 8);
  });
  std::vector<std::string> paths;
  int ok = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = cl.read();
    ASSERT_TRUE(r) << i;
    if (r->status == 200) ++ok;
    paths.push_back(parseEcho(r->body)["path"]);
  }
  signaller.join();
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b", "/c", "/d"}));
  EXPECT_EQ(g_suspended.load(), 3);
  EXPECT_EQ(g_resumed.load(), 3);
  EXPECT_EQ(g_aborted.load(), 0);
  EXPECT_EQ(up.hits(), 4);
}

TEST_F(RequestPhaseTest, ClientLeavingASuspendedRequestAbortsThePhase) {
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  {
    RawClient gone(h.port());
    ASSERT_TRUE(gone.send(get("/gone", "10000")));
    while (g_suspended.load() == 0) std::this_thread::yield();
    // Gone for good (a reset): a FIN alone would be a half-close that still awaits its answer.
    linger l{1, 0};
    setsockopt(gone.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  while (g_aborted.load() == 0) std::this_thread::yield();
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send(get("/next", "1")));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(parseEcho(r->body)["path"], "/next");
  EXPECT_EQ(g_suspended.load(), 2);
  EXPECT_EQ(g_resumed.load(), 1);
  EXPECT_EQ(g_aborted.load(), 1);
  EXPECT_EQ(up.hits(), 1);
}

// An idle keep-alive connection gives its request parser and context back to the worker's free
// list once its answer is sent, so the next connection's request reuses them: many connections
// kept open, each after one request, share one slot instead of holding one each.
TEST_F(RequestPhaseTest, IdleKeepAliveConnectionsGiveTheirRequestSlotBack) {
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  constexpr int kConns = 20;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kConns; ++i) {
    clients.push_back(std::make_unique<RawClient>(h.port()));
    ASSERT_TRUE(clients.back()->send(get("/k" + std::to_string(i), "")));
    auto r = clients.back()->read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
  }
  // Every connection is still open and idle; one of them goes on, and a suspended request too.
  ASSERT_TRUE(clients.front()->send(get("/again", "1")));
  auto r = clients.front()->read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(parseEcho(r->body)["path"], "/again");
  // One slot serves them all (a connection that kept its slot while idle would make 21).
  EXPECT_GE(g_slots_made.load(), 1u);
  EXPECT_LE(g_slots_made.load(), 2u);
  EXPECT_EQ(up.hits(), kConns + 1);
}

}  // namespace
}  // namespace shipgate::server
