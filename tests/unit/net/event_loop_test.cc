#include "shipgate/net/event_loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/net/socket.h"

namespace shipgate::net {
namespace {

TEST(EventLoopTest, TimersFireInDeadlineOrderOnSimulatedTime) {
  SimulatedClock clock;
  auto loop = EventLoop::create(clock);
  ASSERT_TRUE(loop.isOk());
  std::vector<int> fired;
  Timer a(**loop, [&] { fired.push_back(1); });
  Timer b(**loop, [&] { fired.push_back(2); });
  Timer c(**loop, [&] { fired.push_back(3); });
  a.armAfter(Millis(300));
  b.armAfter(Millis(100));
  c.armAfter(Millis(200));
  c.armAfter(Millis(50));  // re-arming moves it
  (*loop)->runOnce(Millis(0));
  EXPECT_TRUE(fired.empty());
  clock.advance(Millis(150));
  (*loop)->runOnce(Millis(0));
  EXPECT_EQ(fired, (std::vector<int>{3, 2}));
  a.cancel();
  clock.advance(Millis(1000));
  (*loop)->runOnce(Millis(0));
  EXPECT_EQ(fired.size(), 2u);
  EXPECT_FALSE(a.armed());
}

TEST(EventLoopTest, TimerCanRearmItselfFromItsCallback) {
  SimulatedClock clock;
  auto loop = EventLoop::create(clock);
  ASSERT_TRUE(loop.isOk());
  int count = 0;
  Timer t(**loop, [&] {
    if (++count < 3) t.armAfter(Millis(10));
  });
  t.armAfter(Millis(10));
  for (int i = 0; i < 5; ++i) {
    clock.advance(Millis(10));
    (*loop)->runOnce(Millis(0));
  }
  EXPECT_EQ(count, 3);
}

TEST(EventLoopTest, PushedBackCancelledAndDestroyedTimersKeepTheirMeaning) {
  SimulatedClock clock;
  auto loop = EventLoop::create(clock);
  ASSERT_TRUE(loop.isOk());
  std::vector<int> fired;
  Timer a(**loop, [&] { fired.push_back(1); });
  Timer b(**loop, [&] { fired.push_back(2); });
  Timer c(**loop, [&] { fired.push_back(3); });
  a.armAfter(Millis(10));
  b.armAfter(Millis(20));
  c.armAfter(Millis(30));
  a.armAfter(Millis(40));  // pushed back past b and c
  b.cancel();
  b.armAfter(Millis(35));  // cancelled, then armed again later
  c.cancel();
  EXPECT_TRUE(a.armed());
  EXPECT_FALSE(c.armed());
  EXPECT_EQ(a.deadline(), clock.now() + Millis(40));
  {
    Timer d(**loop, [&] { fired.push_back(4); });
    d.armAfter(Millis(5));
    d.cancel();
  }  // destroyed while its cancelled slot is still queued
  {
    Timer e(**loop, [&] { fired.push_back(5); });
    e.armAfter(Millis(5));
  }  // destroyed while armed
  clock.advance(Millis(30));
  (*loop)->runOnce(Millis(0));
  EXPECT_TRUE(fired.empty());
  clock.advance(Millis(20));  // a (40) and b (35) are both due: b first
  (*loop)->runOnce(Millis(0));
  EXPECT_EQ(fired, (std::vector<int>{2, 1}));
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(b.armed());
  c.armAfter(Millis(10));  // re-armed after its cancelled slot was dropped
  clock.advance(Millis(10));
  (*loop)->runOnce(Millis(0));
  EXPECT_EQ(fired, (std::vector<int>{2, 1, 3}));
}

TEST(EventLoopTest, PostFromAnotherThreadWakesTheLoop) {
  auto loop = EventLoop::create(RealClock::instance());
  ASSERT_TRUE(loop.isOk());
  std::atomic<int> ran{0};
  std::thread runner([&] { (*loop)->run(); });
  std::thread poster([&] {
    for (int i = 0; i < 100; ++i) (*loop)->post([&] { ran.fetch_add(1); });
  });
  poster.join();
  (*loop)->post([&] { (*loop)->stop(); });
  runner.join();
  EXPECT_EQ(ran.load(), 100);
}

// Records its event, then queues its DeferredCall (the proxy's upstream write).
struct Recorder : IoHandler {
  int fd = -1;
  int id = 0;
  std::vector<std::string>* log = nullptr;
  DeferredCall* call = nullptr;
  void onIoEvent(uint32_t) override {
    char buf[64];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    log->push_back("event " + std::to_string(id));
    call->schedule();
    call->schedule();  // queued once
  }
};

TEST(EventLoopTest, DeferredCallsRunOnceAfterTheIterationsEventsTimersAndPosts) {
  SimulatedClock clock;
  auto loop = EventLoop::create(clock);
  ASSERT_TRUE(loop.isOk());
  std::vector<std::string> log;
  DeferredCall c1(**loop, [&] { log.push_back("deferred 1"); });
  DeferredCall c2(**loop, [&] { log.push_back("deferred 2"); });
  int pipes[2][2];
  Recorder rec[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(::pipe2(pipes[i], O_NONBLOCK), 0);
    rec[i].fd = pipes[i][0];
    rec[i].id = i + 1;
    rec[i].log = &log;
    rec[i].call = i == 0 ? &c1 : &c2;
    ASSERT_TRUE((*loop)->add(pipes[i][0], EPOLLIN, &rec[i]).isOk());
    ASSERT_EQ(::write(pipes[i][1], "x", 1), 1);
  }
  Timer t(**loop, [&] { log.push_back("timer"); });
  t.armAfter(Millis(0));
  (*loop)->post([&] { log.push_back("posted"); });
  (*loop)->runOnce(Millis(1000));
  // Both readiness events in one iteration, then the timer and the post, then each call once,
  // oldest first. epoll reports the two pipes in no fixed order.
  ASSERT_EQ(log.size(), 6u);
  EXPECT_TRUE(log[0].rfind("event ", 0) == 0 && log[1].rfind("event ", 0) == 0) << log[0] << log[1];
  EXPECT_EQ(log[2], "timer");
  EXPECT_EQ(log[3], "posted");
  EXPECT_EQ(log[4], log[0] == "event 1" ? "deferred 1" : "deferred 2");
  EXPECT_EQ(log[5], log[0] == "event 1" ? "deferred 2" : "deferred 1");
  EXPECT_FALSE(c1.scheduled());
  for (auto& p : pipes) {
    (*loop)->remove(p[0]);
    ::close(p[0]);
    ::close(p[1]);
  }
}

TEST(EventLoopTest, CancelledAndDestroyedDeferredCallsDoNotRunAndQueuedOnesDoNotWait) {
  auto loop = EventLoop::create(RealClock::instance());
  ASSERT_TRUE(loop.isOk());
  std::vector<int> ran;
  DeferredCall a(**loop, [&] { ran.push_back(1); });
  DeferredCall b(**loop, [&] { ran.push_back(2); });
  DeferredCall later(**loop, [&] { ran.push_back(4); });
  DeferredCall c(**loop, [&] {
    ran.push_back(3);
    later.schedule();  // queued while the calls run: runs in the same pass
  });
  a.schedule();
  b.schedule();
  c.schedule();
  b.cancel();
  EXPECT_FALSE(b.scheduled());
  {
    DeferredCall gone(**loop, [&] { ran.push_back(5); });
    gone.schedule();
  }  // destroyed while queued
  // A queued call means work is waiting: the loop does not sleep its 10 s in epoll_wait.
  auto start = std::chrono::steady_clock::now();
  (*loop)->runOnce(Millis(10000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(ran, (std::vector<int>{1, 3, 4}));
  a.schedule();
  (*loop)->runOnce(Millis(0));
  EXPECT_EQ(ran, (std::vector<int>{1, 3, 4, 1}));
}

struct EchoAcceptor : IoHandler {
  EventLoop* loop;
  int listen_fd;
  std::vector<std::unique_ptr<struct EchoConn>> conns;
  void onIoEvent(uint32_t) override;
};

struct EchoConn : IoHandler {
  Fd fd;
  void onIoEvent(uint32_t) override {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof(buf));
      if (n <= 0) break;
      ASSERT_EQ(::write(fd.get(), buf, n), n);
    }
  }
};

void EchoAcceptor::onIoEvent(uint32_t) {
  SockAddr peer;
  for (;;) {
    int fd = acceptNonBlocking(listen_fd, &peer);
    if (fd < 0) break;
    auto c = std::make_unique<EchoConn>();
    c->fd.reset(fd);
    ASSERT_TRUE(loop->add(fd, EPOLLIN, c.get()).isOk());
    conns.push_back(std::move(c));
  }
}

TEST(SocketTest, ReusePortGroupSharesOnePortAndEchoes) {
  auto group = bindReusePortGroup("127.0.0.1", 0, 3);
  ASSERT_TRUE(group.isOk()) << group.status().toString();
  ASSERT_EQ(group->size(), 3u);
  auto port = localPort((*group)[0].get());
  ASSERT_TRUE(port.isOk());
  EXPECT_NE(*port, 0);
  for (auto& fd : *group) EXPECT_EQ(*localPort(fd.get()), *port);

  auto loop = EventLoop::create(RealClock::instance());
  ASSERT_TRUE(loop.isOk());
  std::vector<std::unique_ptr<EchoAcceptor>> acceptors;
  for (auto& fd : *group) {
    auto a = std::make_unique<EchoAcceptor>();
    a->loop = loop->get();
    a->listen_fd = fd.get();
    ASSERT_TRUE((*loop)->add(fd.get(), EPOLLIN, a.get()).isOk());
    acceptors.push_back(std::move(a));
  }
  std::thread runner([&] { (*loop)->run(); });

  auto addr = resolve("127.0.0.1", *port);
  ASSERT_TRUE(addr.isOk());
  for (int i = 0; i < 8; ++i) {
    Fd c(socket(AF_INET, SOCK_STREAM, 0));
    ASSERT_EQ(connect(c.get(), addr->get(), addr->len), 0);
    std::string msg = "hello " + std::to_string(i);
    ASSERT_EQ(::write(c.get(), msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
    std::string got;
    char buf[64];
    while (got.size() < msg.size()) {
      ssize_t n = ::read(c.get(), buf, sizeof(buf));
      ASSERT_GT(n, 0);
      got.append(buf, n);
    }
    EXPECT_EQ(got, msg);
  }
  (*loop)->stop();
  runner.join();
}

TEST(SocketTest, ConnectToClosedPortFails) {
  auto group = bindReusePortGroup("127.0.0.1", 0, 1);
  ASSERT_TRUE(group.isOk());
  uint16_t port = *localPort((*group)[0].get());
  group->clear();  // close it: nothing listens there now
  auto addr = resolve("127.0.0.1", port);
  bool in_progress = false;
  auto fd = connectNonBlocking(*addr, &in_progress);
  if (fd.isOk() && in_progress) {
    pollfd p{fd->get(), POLLOUT, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    EXPECT_EQ(connectError(fd->get()), ECONNREFUSED);
  } else {
    EXPECT_FALSE(fd.isOk());
  }
}

TEST(SocketTest, ResolveFormatsAddresses) {
  auto v4 = resolve("127.0.0.1", 8080);
  ASSERT_TRUE(v4.isOk());
  EXPECT_EQ(addrString(*v4), "127.0.0.1:8080");
  auto v6 = resolve("::1", 443);
  ASSERT_TRUE(v6.isOk());
  EXPECT_EQ(addrString(*v6), "[::1]:443");
  EXPECT_FALSE(resolve("no-such-host.invalid", 1).isOk());
}

}  // namespace
}  // namespace shipgate::net
