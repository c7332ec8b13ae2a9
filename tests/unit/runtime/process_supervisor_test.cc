// ProcessSupervisor with real processes: runtime_replica (replica_main.cc) as the release's
// command, loopback HTTP to its ports, its log files on disk, signals and exit statuses.
#include "shipgate/runtime/process_supervisor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/raw_http_client.h"

namespace shipgate::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testsupport::readFile;
using testsupport::TempDir;

// A port range of this test process's own (by pid), so parallel test binaries rarely meet; the
// supervisor skips ports that are in use anyway.
PortRange testPorts() {
  int base = 20000 + static_cast<int>(::getpid() % 250) * 48;
  return {base, base + 47};
}

bool alive(pid_t pid) {
  // A zombie (exited, not yet reaped by init) counts as dead.
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  size_t close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

bool waitDead(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (alive(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

bool waitForText(const std::string& path, const std::string& needle,
                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (readFile(path).find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class SupervisorTest : public ::testing::Test {
 protected:
  ProcessSpec spec(std::vector<std::string> args, int replicas = 1) {
    ProcessSpec s;
    s.app = "api";
    s.slot = "blue";
    s.version = "v1";
    s.release_dir = release_.path();
    s.runtime.argv = {RUNTIME_REPLICA_BIN};
    for (auto& a : args) s.runtime.argv.push_back(std::move(a));
    s.runtime.replicas = replicas;
    s.runtime.ports = testPorts();
    s.runtime.stop_grace = 5s;
    return s;
  }
  std::optional<SlotStatus> waitState(ProcessSupervisor& sup, SlotState want,
                                      const std::string& slot = "blue") {
    return sup.waitFor("api", slot, [&](const SlotStatus& s) { return s.state == want; }, 20s);
  }

  TempDir logs_{"runtime-logs"};
  TempDir release_{"runtime-release"};
};

TEST_F(SupervisorTest, ReplicasListenOnDistinctPortsFromTheRangeSkippingBusyOnes) {
  ProcessSpec s = spec({"--port", "{port}", "--version", "{version}", "--replica", "{replica}"},
                       3);
  // Occupy the first port of the range: the supervisor must skip it.
  int busy = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(busy, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(s.runtime.ports.first));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(busy, 1), 0);

  ProcessSupervisor sup({logs_.path()});
  auto started = sup.start(s);
  ::close(busy);
  ASSERT_TRUE(started.isOk()) << started.status().toString();
  ASSERT_EQ(started->replicas.size(), 3u);
  std::set<int> ports;
  for (const auto& r : started->replicas) {
    EXPECT_GE(r.port, s.runtime.ports.first + 1);
    EXPECT_LE(r.port, s.runtime.ports.last);
    EXPECT_GT(r.pid, 0);
    ports.insert(r.port);
  }
  EXPECT_EQ(ports.size(), 3u) << "ports must be distinct";
  EXPECT_EQ(started->ports(), (std::vector<int>{started->replicas[0].port,
                                                started->replicas[1].port,
                                                started->replicas[2].port}));
  for (const auto& r : started->replicas) {
    ASSERT_TRUE(ProcessSupervisor::waitForPort(r.port, 10s)) << "replica " << r.index;
    auto resp = testsupport::httpGet(static_cast<uint16_t>(r.port), "/");
    EXPECT_EQ(resp.status, 200) << resp.error;
    EXPECT_EQ(resp.body, "replica port=" + std::to_string(r.port) +
                             " version=v1 replica=" + std::to_string(r.index));
  }
  EXPECT_EQ(sup.slotState("api", "blue")->state, SlotState::kRunning);
  // A second app on the same range gets other ports.
  ProcessSpec other = s;
  other.app = "web";
  other.runtime.replicas = 2;
  auto started2 = sup.start(other);
  ASSERT_TRUE(started2.isOk()) << started2.status().toString();
  for (const auto& r : started2->replicas) EXPECT_EQ(ports.count(r.port), 0u) << r.port;
  // The same version in the app's other slot writes its own log files.
  ProcessSpec green = s;
  green.slot = "green";
  green.runtime.replicas = 1;
  auto started3 = sup.start(green);
  ASSERT_TRUE(started3.isOk()) << started3.status().toString();
  EXPECT_EQ(started3->replicas[0].log_path, logs_.path() + "/api/v1/replica-0.green.log");
  EXPECT_EQ(started->replicas[0].log_path, logs_.path() + "/api/v1/replica-0.log");
  sup.stopAll();
}

TEST_F(SupervisorTest, PlaceholdersAndConfiguredEnvReachTheChildButNotTheParentsEnv) {
  ::setenv("SHIPGATE_TEST_PARENT_ONLY", "leaked", 1);
  ProcessSpec s = spec({"--port", "{port}", "--print-args", "--print-fds", "--print-env", "NODE_ENV",
                        "--print-env", "RELEASE_INFO", "--print-env", "PORT", "--print-env",
                        "SHIPGATE_TEST_PARENT_ONLY", "--print-env", "PATH", "--tag",
                        "{release_dir}/static v={version} r={replica}"});
  s.runtime.env = {{"NODE_ENV", "production"}, {"RELEASE_INFO", "{version}@{port}"}};
  ProcessSupervisor sup({logs_.path()});
  auto started = sup.start(s);
  ASSERT_TRUE(started.isOk()) << started.status().toString();
  const ReplicaInfo& r = started->replicas.at(0);
  std::string log_path = logs_.path() + "/api/v1/replica-0.log";
  EXPECT_EQ(r.log_path, log_path);
  ASSERT_TRUE(waitForText(log_path, "listening on", 10s)) << readFile(log_path);
  std::string text = readFile(log_path);
  std::string port = std::to_string(r.port);
  EXPECT_NE(text.find("arg[2]=" + port + "\n"), std::string::npos) << text;
  // One argument although it contains spaces: substituted after splitting.
  EXPECT_NE(text.find("=" + release_.path() + "/static v=v1 r=0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cwd=" + fs::canonical(release_.path()).string() + "\n"),
            std::string::npos)
      << text;
  // Nothing of shipgate's leaks into the child: only stdin (/dev/null), stdout and stderr.
  EXPECT_NE(text.find("fds=0,1,2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("stdin=/dev/null\n"), std::string::npos) << text;
  EXPECT_NE(text.find("env NODE_ENV=production\n"), std::string::npos) << text;
  EXPECT_NE(text.find("env RELEASE_INFO=v1@" + port + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("env PORT=" + port + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("env SHIPGATE_TEST_PARENT_ONLY=<unset>\n"), std::string::npos) << text;
  EXPECT_NE(text.find(std::string("env PATH=") + std::getenv("PATH") + "\n"), std::string::npos)
      << text;
  ::unsetenv("SHIPGATE_TEST_PARENT_ONLY");
  EXPECT_TRUE(sup.stop("api", "blue").isOk());
}

// The NAME=value entries of /proc/PID/environ, in order.
std::vector<std::string> environOf(pid_t pid) {
  std::string env = readFile("/proc/" + std::to_string(pid) + "/environ");
  std::vector<std::string> out;
  size_t start = 0;
  while (start < env.size()) {
    size_t end = env.find('\0', start);
    if (end == std::string::npos) end = env.size();
    out.push_back(env.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST_F(SupervisorTest, SecretEnvReachesOnlyTheChildsEnvironmentAlsoAfterARestart) {
  const std::string value = "s3cret-value-for-the-supervisor-test";
  ProcessSpec s = spec({"--port", "{port}", "--print-args"});
  s.runtime.env = {{"NODE_ENV", "production"}};
  s.runtime.restart.initial_backoff = 50ms;
  auto secrets = std::make_shared<SecretEnv>();
  secrets->push_back({"DATABASE_URL", secrets::SecretBytes::copyOf(value)});
  secrets->push_back({"HOME", secrets::SecretBytes::copyOf("/secret-home")});  // over the base
  s.secret_env = secrets;
  ProcessSupervisor sup({logs_.path()});
  auto started = sup.start(s);
  ASSERT_TRUE(started.isOk()) << started.status().toString();
  const std::string log_path = logs_.path() + "/api/v1/replica-0.log";
  ASSERT_TRUE(waitForText(log_path, "listening on", 10s)) << readFile(log_path);
  auto check = [&](pid_t pid) {
    std::vector<std::string> env = environOf(pid);
    int homes = 0;
    bool db = false, node = false;
    for (const auto& e : env) {
      if (e.rfind("HOME=", 0) == 0) {
        ++homes;
        EXPECT_EQ(e, "HOME=/secret-home");
      }
      db |= e == "DATABASE_URL=" + value;
      node |= e == "NODE_ENV=production";
    }
    EXPECT_EQ(homes, 1);
    EXPECT_TRUE(db) << "pid " << pid;
    EXPECT_TRUE(node);
    EXPECT_EQ(readFile("/proc/" + std::to_string(pid) + "/cmdline").find(value), std::string::npos);
  };
  const pid_t first = started->replicas.at(0).pid;
  check(first);
  // Killed: the restarted replica gets the secret again (kept in guarded memory by the spec).
  ::kill(first, SIGKILL);
  auto restarted = sup.waitFor(
      "api", "blue",
      [&](const SlotStatus& st) {
        return st.replicas.at(0).pid > 0 && st.replicas.at(0).pid != first &&
               st.replicas.at(0).state == ReplicaState::kRunning;
      },
      20s);
  ASSERT_TRUE(restarted.has_value());
  const pid_t second = restarted->replicas.at(0).pid;
  ASSERT_NE(second, first);
  check(second);
  EXPECT_EQ(readFile(log_path).find(value), std::string::npos);
  EXPECT_TRUE(sup.stop("api", "blue").isOk());
}

TEST_F(SupervisorTest, LogsAreRotatedAtMaxBytesKeepingKeepOldFiles) {
  // 300 KB is several times a pipe's 64 KiB: the replica only gets to "logging done" (and to
  // listening) if the supervisor keeps draining its output.
  ProcessSpec s = spec({"--port", "{port}", "--log-bytes", "300000"});
  s.runtime.logs.max_bytes = 32768;
  s.runtime.logs.keep = 2;
  ProcessSupervisor sup({logs_.path()});
  auto started = sup.start(s);
  ASSERT_TRUE(started.isOk()) << started.status().toString();
  std::string log_path = started->replicas[0].log_path;
  // 3000 lines of 100 bytes: the last one is numbered 3000.
  ASSERT_TRUE(waitForText(log_path, "logging done after line 00003000", 20s))
      << readFile(log_path).substr(0, 200);
  ASSERT_TRUE(waitForText(log_path, "listening on", 10s));
  EXPECT_TRUE(fs::exists(log_path + ".1"));
  EXPECT_TRUE(fs::exists(log_path + ".2"));
  EXPECT_FALSE(fs::exists(log_path + ".3")) << "keep: 2";
  for (const std::string& p : {log_path, log_path + ".1", log_path + ".2"}) {
    EXPECT_LE(fs::file_size(p), 32768u) << p;
    std::string t = readFile(p);
    ASSERT_FALSE(t.empty()) << p;
    EXPECT_EQ(t.back(), '\n') << p << ": files are cut at line ends";
  }
  // The three files hold the newest lines, in order and without a gap: .2, then .1, then the
  // current file continue each other, up to line 3000.
  std::string kept = readFile(log_path + ".2") + readFile(log_path + ".1") + readFile(log_path);
  long expect = std::stol(kept.substr(9, 8));
  EXPECT_GT(expect, 1) << "the oldest lines were rotated out";
  size_t pos = 0;
  while (pos < kept.size() && kept.compare(pos, 9, "log line ") == 0) {
    ASSERT_EQ(std::stol(kept.substr(pos + 9, 8)), expect) << "at byte " << pos;
    ++expect;
    pos = kept.find('\n', pos) + 1;
  }
  EXPECT_EQ(expect, 3001);
  EXPECT_EQ(kept.compare(pos, 32, "logging done after line 00003000"), 0);
  EXPECT_TRUE(sup.stop("api", "blue").isOk());
}

TEST_F(SupervisorTest, CrashedReplicaRestartsWithDoublingBackoffOnSimulatedTime) {
  SimulatedClock clock;
  SupervisorOptions options{logs_.path(), &clock};
  ProcessSupervisor sup(options);
  ProcessSpec s = spec({"--no-listen", "--exit-after-ms", "0", "--exit-code", "3"});
  s.runtime.restart = {50ms, 300ms, 100, 60s};
  ASSERT_TRUE(sup.start(s).isOk());
  // Backoff: 50, 100, 200, 300 (capped), 300.
  std::vector<int64_t> expected = {50, 100, 200, 300, 300};
  for (size_t i = 0; i < expected.size(); ++i) {
    auto st = sup.waitFor("api", "blue", [&](const SlotStatus& x) {
      return x.replicas[0].state == ReplicaState::kBackoff &&
             x.replicas[0].restarts == static_cast<int>(i);
    }, 20s);
    ASSERT_TRUE(st.has_value());
    const ReplicaInfo& r = st->replicas[0];
    ASSERT_EQ(r.state, ReplicaState::kBackoff) << "round " << i;
    ASSERT_EQ(r.restarts, static_cast<int>(i));
    ASSERT_TRUE(r.last_exit.has_value());
    EXPECT_FALSE(r.last_exit->signaled);
    EXPECT_EQ(r.last_exit->code, 3);
    EXPECT_EQ(st->state, SlotState::kDegraded);
    EXPECT_EQ(r.next_restart_ms - clock.wallMillis(), expected[i]) << "round " << i;
    // Not a moment early: 1 ms short of the backoff, the replica stays down.
    clock.advance(std::chrono::milliseconds(expected[i] - 1));
    std::this_thread::sleep_for(250ms);  // the supervisor re-reads the clock every 100 ms
    EXPECT_EQ(sup.replicas("api", "blue")[0].restarts, static_cast<int>(i)) << "round " << i;
    clock.advance(1ms);
  }
  auto st = sup.waitFor("api", "blue", [&](const SlotStatus& x) {
    return x.replicas[0].restarts == static_cast<int>(expected.size());
  }, 20s);
  EXPECT_EQ(st->replicas[0].restarts, static_cast<int>(expected.size()));
  std::string log = readFile(st->replicas[0].log_path);
  EXPECT_NE(log.find("exited with code 3; restarting in 50ms"), std::string::npos) << log;
  EXPECT_NE(log.find("exited with code 3; restarting in 200ms"), std::string::npos) << log;
  // A stop on simulated time: SIGTERM is enough for this replica (it is in backoff or exiting).
  std::atomic<bool> stopped{false};
  std::thread mover([&] {
    while (!stopped) {
      clock.advance(1s);
      std::this_thread::sleep_for(20ms);
    }
  });
  EXPECT_TRUE(sup.stop("api", "blue").isOk());
  stopped = true;
  mover.join();
}

TEST_F(SupervisorTest, CrashesFartherApartThanTheWindowNeverMakeACrashLoop) {
  SimulatedClock clock;
  SupervisorOptions options{logs_.path(), &clock};
  ProcessSupervisor sup(options);
  // Each run lasts 11 s of simulated time (the test moves the clock, then kills the replica), so
  // every run is longer than the 10 s window: the backoff starts over and old restarts leave the
  // window.
  ProcessSpec s = spec({"--no-listen"});
  s.runtime.restart = {50ms, 1s, 2, 10s};
  ASSERT_TRUE(sup.start(s).isOk());
  for (int i = 0; i < 5; ++i) {
    auto running = sup.waitFor("api", "blue", [&](const SlotStatus& x) {
      return x.replicas[0].state == ReplicaState::kRunning && x.replicas[0].restarts == i;
    }, 20s);
    ASSERT_EQ(running->replicas[0].state, ReplicaState::kRunning) << "round " << i;
    clock.advance(11s);
    ASSERT_EQ(::kill(running->replicas[0].pid, SIGKILL), 0);
    auto down = sup.waitFor("api", "blue", [&](const SlotStatus& x) {
      return x.replicas[0].state != ReplicaState::kRunning;
    }, 20s);
    ASSERT_EQ(down->replicas[0].state, ReplicaState::kBackoff)
        << "round " << i << ": " << down->reason;
    EXPECT_EQ(down->replicas[0].next_restart_ms - clock.wallMillis(), 50) << "round " << i;
    clock.advance(50ms);
  }
  auto st = sup.waitFor("api", "blue", [&](const SlotStatus& x) {
    return x.replicas[0].restarts == 5;
  }, 20s);
  EXPECT_EQ(st->replicas[0].restarts, 5) << "more than crash_loop_restarts, but spread out";
  EXPECT_NE(st->state, SlotState::kCrashLoop);
  std::atomic<bool> stopped{false};
  std::thread mover([&] {
    while (!stopped) {
      clock.advance(1s);
      std::this_thread::sleep_for(20ms);
    }
  });
  EXPECT_TRUE(sup.stop("api", "blue").isOk());
  stopped = true;
  mover.join();
}

TEST_F(SupervisorTest, CrashLoopStopsRestartingAndSaysWhy) {
  ProcessSupervisor sup({logs_.path()});
  std::mutex mu;
  std::vector<SlotState> seen;
  int id = sup.addListener([&](const SlotStatus& s) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(s.state);
  });
  // Replica 1 fails 20 ms after every start; replica 0 runs.
  ProcessSpec s = spec({"--port", "{port}", "--replica", "{replica}", "--print-env", "NODE_ENV",
                        "--exit-after-ms", "20", "--exit-code", "7", "--only-replica", "1"},
                       2);
  s.runtime.env = {{"NODE_ENV", "db unreachable"}};
  s.runtime.restart = {10ms, 20ms, 3, 60s};
  ASSERT_TRUE(sup.start(s).isOk());
  auto st = waitState(sup, SlotState::kCrashLoop);
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(st->state, SlotState::kCrashLoop) << slotStateName(st->state);
  // 3 restarts allowed, the 4th exit ends it.
  const ReplicaInfo& gave_up = st->replicas[1];
  EXPECT_EQ(gave_up.state, ReplicaState::kCrashLoop);
  EXPECT_EQ(gave_up.restarts, 3);
  EXPECT_EQ(gave_up.pid, -1);
  ASSERT_TRUE(gave_up.last_exit.has_value());
  EXPECT_EQ(gave_up.last_exit->code, 7);
  EXPECT_EQ(st->replicas[0].state, ReplicaState::kRunning);
  EXPECT_EQ(st->replicas[0].restarts, 0);
  EXPECT_NE(st->reason.find("replica 1 (port " + std::to_string(gave_up.port) + ")"),
            std::string::npos)
      << st->reason;
  EXPECT_NE(st->reason.find("restarted 3 times within 60s"), std::string::npos) << st->reason;
  EXPECT_NE(st->reason.find("exited with code 7"), std::string::npos) << st->reason;
  EXPECT_NE(st->reason.find("env NODE_ENV=db unreachable"), std::string::npos)
      << "the reason quotes the log: " << st->reason;
  EXPECT_NE(readFile(gave_up.log_path).find("crash loop, not restarted"), std::string::npos);
  // It stays down.
  std::this_thread::sleep_for(300ms);
  auto later = sup.slotState("api", "blue");
  EXPECT_EQ(later->replicas[1].restarts, 3);
  EXPECT_EQ(later->replicas[1].state, ReplicaState::kCrashLoop);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_NE(std::find(seen.begin(), seen.end(), SlotState::kRunning), seen.end());
    EXPECT_NE(std::find(seen.begin(), seen.end(), SlotState::kDegraded), seen.end());
    EXPECT_NE(std::find(seen.begin(), seen.end(), SlotState::kCrashLoop), seen.end());
  }
  sup.removeListener(id);
  // Starting a fixed release in the slot replaces the crash-looped run: the replica still
  // running is stopped gracefully first.
  pid_t survivor = st->replicas[0].pid;
  ProcessSpec fixed = spec({"--port", "{port}"}, 2);
  fixed.version = "v2";
  auto again = sup.start(fixed);
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_EQ(again->version, "v2");
  EXPECT_EQ(again->state, SlotState::kRunning);
  EXPECT_TRUE(waitDead(survivor, 10s));
  EXPECT_NE(readFile(st->replicas[0].log_path).find("got SIGTERM"), std::string::npos);
  EXPECT_TRUE(sup.stop("api", "blue").isOk());
  EXPECT_EQ(sup.slotState("api", "blue")->state, SlotState::kStopped);
}

TEST_F(SupervisorTest, ReplicaKilledBySignalIsRestartedAndTheSignalReported) {
  ProcessSupervisor sup({logs_.path()});
  ProcessSpec s = spec({"--port", "{port}"});
  s.runtime.restart = {20ms, 100ms, 5, 60s};
  auto started = sup.start(s);
  ASSERT_TRUE(started.isOk());
  pid_t first = started->replicas[0].pid;
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  auto st = sup.waitFor("api", "blue", [&](const SlotStatus& x) {
    return x.replicas[0].restarts == 1 && x.replicas[0].state == ReplicaState::kRunning;
  }, 20s);
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(st->replicas[0].restarts, 1);
  EXPECT_NE(st->replicas[0].pid, first);
  EXPECT_EQ(st->replicas[0].port, started->replicas[0].port) << "a replica keeps its port";
  ASSERT_TRUE(st->replicas[0].last_exit.has_value());
  EXPECT_TRUE(st->replicas[0].last_exit->signaled);
  EXPECT_EQ(st->replicas[0].last_exit->signal, SIGKILL);
  EXPECT_EQ(st->replicas[0].last_exit->describe(), "killed by signal 9 (SIGKILL)");
  EXPECT_TRUE(ProcessSupervisor::waitForPort(st->replicas[0].port, 10s));
  EXPECT_TRUE(sup.stop("api", "blue").isOk());
}

TEST_F(SupervisorTest, StopSendsSigtermAndSigkillsWhatIgnoresItAfterStopGrace) {
  // As `shipgate serve` does, block the termination signals in every thread (the supervisor's
  // thread inherits the mask): a replica must still get SIGTERM's default or its own handler.
  sigset_t term, old_mask;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigaddset(&term, SIGINT);
  sigaddset(&term, SIGHUP);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, &old_mask), 0);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};
  ProcessSupervisor sup({logs_.path()});
  ProcessSpec polite = spec({"--port", "{port}"});
  ProcessSpec stubborn = spec({"--port", "{port}", "--ignore-term", "--grandchild"});
  stubborn.slot = "green";
  stubborn.version = "v2";
  stubborn.runtime.stop_grace = 300ms;
  auto a = sup.start(polite);
  auto b = sup.start(stubborn);
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  ASSERT_TRUE(ProcessSupervisor::waitForPort(a->replicas[0].port, 10s));
  ASSERT_TRUE(ProcessSupervisor::waitForPort(b->replicas[0].port, 10s));
  std::string b_log = b->replicas[0].log_path;
  ASSERT_TRUE(waitForText(b_log, "grandchild ", 10s));
  std::string text = readFile(b_log);
  pid_t grandchild = std::atoi(text.substr(text.find("grandchild ") + 11).c_str());
  ASSERT_GT(grandchild, 0);

  ASSERT_TRUE(sup.stop("api", "blue").isOk());
  auto sa = sup.slotState("api", "blue");
  EXPECT_EQ(sa->state, SlotState::kStopped);
  EXPECT_EQ(sa->replicas[0].state, ReplicaState::kStopped);
  EXPECT_EQ(sa->replicas[0].pid, -1);
  ASSERT_TRUE(sa->replicas[0].last_exit.has_value());
  EXPECT_FALSE(sa->replicas[0].last_exit->signaled) << sa->replicas[0].last_exit->describe();
  EXPECT_EQ(sa->replicas[0].last_exit->code, 0);
  EXPECT_NE(readFile(a->replicas[0].log_path).find("got SIGTERM"), std::string::npos);
  EXPECT_FALSE(alive(a->replicas[0].pid));
  EXPECT_FALSE(testsupport::portAccepts(static_cast<uint16_t>(a->replicas[0].port)));

  ASSERT_TRUE(sup.stop("api", "green").isOk());
  auto sb = sup.slotState("api", "green");
  EXPECT_EQ(sb->state, SlotState::kStopped);
  ASSERT_TRUE(sb->replicas[0].last_exit.has_value());
  EXPECT_TRUE(sb->replicas[0].last_exit->signaled);
  EXPECT_EQ(sb->replicas[0].last_exit->signal, SIGKILL);
  EXPECT_NE(readFile(b_log).find("still running after stop_grace 300ms: SIGKILL"),
            std::string::npos)
      << readFile(b_log);
  EXPECT_FALSE(alive(b->replicas[0].pid));
  EXPECT_TRUE(waitDead(grandchild, 10s)) << "the stop reaches the replica's process group";
  // Stopped slots can be stopped again (no-op) and started again.
  EXPECT_TRUE(sup.stop("api", "green").isOk());
  EXPECT_EQ(sup.stop("api", "purple").code(), Status::Code::kNotFound);
  auto again = sup.start(polite);
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  sup.stopAll();
  EXPECT_EQ(sup.slotState("api", "blue")->state, SlotState::kStopped);
}

TEST_F(SupervisorTest, SigkillComesOnlyOnceStopGraceHasPassedOnTheClock) {
  SimulatedClock clock;
  SupervisorOptions options{logs_.path(), &clock};
  ProcessSupervisor sup(options);
  ProcessSpec s = spec({"--port", "{port}", "--ignore-term"});
  s.runtime.stop_grace = 30s;
  auto started = sup.start(s);
  ASSERT_TRUE(started.isOk()) << started.status().toString();
  ASSERT_TRUE(ProcessSupervisor::waitForPort(started->replicas[0].port, 10s));
  pid_t pid = started->replicas[0].pid;
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    EXPECT_TRUE(sup.stop("api", "blue").isOk());
    stopped = true;
  });
  auto stopping = waitState(sup, SlotState::kStopping);
  ASSERT_EQ(stopping->state, SlotState::kStopping);
  EXPECT_EQ(stopping->replicas[0].state, ReplicaState::kStopping);
  // 1 ms short of stop_grace on the clock: the replica ignoring SIGTERM still runs.
  clock.advance(30s - 1ms);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(stopped);
  EXPECT_TRUE(alive(pid));
  EXPECT_TRUE(testsupport::portAccepts(static_cast<uint16_t>(started->replicas[0].port)));
  clock.advance(1ms);
  stopper.join();
  EXPECT_TRUE(stopped);
  EXPECT_FALSE(alive(pid));
  auto st = sup.slotState("api", "blue");
  EXPECT_EQ(st->state, SlotState::kStopped);
  ASSERT_TRUE(st->replicas[0].last_exit.has_value());
  EXPECT_EQ(st->replicas[0].last_exit->signal, SIGKILL);
}

TEST_F(SupervisorTest, ReplicasDieWithTheProcessThatSupervisesThem) {
  PortRange ports = testPorts();
  testsupport::Process host(testsupport::command(
      {RUNTIME_SUPERVISOR_HOST_BIN, logs_.path(), RUNTIME_REPLICA_BIN,
       std::to_string(ports.first), std::to_string(ports.last), "2"}));
  ASSERT_TRUE(host.start());
  ASSERT_TRUE(host.waitForOutput("ready", 20s)) << host.describe();
  std::vector<std::pair<pid_t, int>> replicas;
  std::string out = host.stdoutText();
  for (size_t at = 0; (at = out.find("replica pid ", at)) != std::string::npos; ++at) {
    int pid = 0, port = 0;
    ASSERT_EQ(std::sscanf(out.c_str() + at, "replica pid %d port %d", &pid, &port), 2);
    replicas.emplace_back(pid, port);
  }
  ASSERT_EQ(replicas.size(), 2u) << out;
  for (auto [pid, port] : replicas) {
    ASSERT_TRUE(ProcessSupervisor::waitForPort(port, 10s));
    EXPECT_TRUE(alive(pid));
  }
  host.kill();
  host.wait(10s);
  for (auto [pid, port] : replicas) {
    EXPECT_TRUE(waitDead(pid, 10s)) << "replica " << pid << " outlived its supervisor";
  }
  for (auto [pid, port] : replicas) {
    EXPECT_FALSE(testsupport::portAccepts(static_cast<uint16_t>(port)));
  }
}

TEST_F(SupervisorTest, StartErrorsLeaveNothingRunning) {
  ProcessSupervisor sup({logs_.path()});
  ProcessSpec missing = spec({});
  missing.runtime.argv = {"{release_dir}/no-such-binary", "--port", "{port}"};
  auto r = sup.start(missing);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find(release_.path() + "/no-such-binary"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(sup.slotState("api", "blue").has_value());
  EXPECT_FALSE(fs::exists(logs_.path() + "/api")) << "no log files for a release that never ran";

  ProcessSpec no_dir = spec({"--port", "{port}"});
  no_dir.release_dir = release_.path() + "/missing";
  r = sup.start(no_dir);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("working directory " + release_.path() + "/missing"),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(sup.slotState("api", "blue").has_value());

  ProcessSpec not_in_path = spec({});
  not_in_path.runtime.argv = {"shipgate-no-such-program-xyz"};
  r = sup.start(not_in_path);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("not found in PATH"), std::string::npos);

  ProcessSpec too_many = spec({"--port", "{port}"}, 3);
  too_many.runtime.ports = {too_many.runtime.ports.first, too_many.runtime.ports.first + 1};
  r = sup.start(too_many);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("for 3 replicas"), std::string::npos)
      << r.status().message();

  ProcessSpec ok = spec({"--port", "{port}"});
  ASSERT_TRUE(sup.start(ok).isOk());
  r = sup.start(ok);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("stop it first"), std::string::npos);

  ProcessSpec bad_kind = ok;
  bad_kind.slot = "green";
  bad_kind.runtime.kind = RuntimeKind::kStatic;
  EXPECT_EQ(sup.start(bad_kind).status().code(), Status::Code::kInvalidArgument);
  sup.stopAll();

  ProcessSupervisor no_logs(SupervisorOptions{});
  EXPECT_EQ(no_logs.start(ok).status().code(), Status::Code::kFailedPrecondition);
}

}  // namespace
}  // namespace shipgate::runtime
