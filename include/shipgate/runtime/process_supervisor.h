// ProcessSupervisor: runs the replicas of a release (runtime kind `process`) in a slot of an app.
//
// start(spec) launches spec.runtime.replicas copies of the command: argv from the split command
// with {port} {version} {release_dir} {replica} substituted (no shell), each replica on its own
// port from the configured range (ports held by this supervisor or already bound on 127.0.0.1 are
// skipped; a replica keeps its port across restarts), in its own process group, with a clean
// environment: PATH, HOME and LANG of shipgate, then spec.runtime.env, then spec.secret_env,
// then PORT. stdout and
// stderr go (through one pipe the supervisor drains, so a child never blocks on it) to
// <log_dir>/<app>/<version>/replica-N.log, rotated at logs.max_bytes with logs.keep old files
// (replica-N.log.1 is the newest old one); lines the supervisor adds start with "[shipgate] ".
// (When the same version already runs in the app's other slot, the files are named
// replica-N.<slot>.log so the two runs never share a file.)
//
// A replica that exits is restarted after a backoff (restart.initial_backoff, doubling per
// consecutive crash, at most max_backoff; a run longer than crash_loop_window resets it). A
// replica that would restart more than crash_loop_restarts times within crash_loop_window is
// left stopped and its slot becomes kCrashLoop, with a reason naming the replica, its exit status
// and the last lines of its log. stop() sends SIGTERM to each replica's process group, SIGKILL
// after stop_grace, and reaps; a replica that crashed has its process group SIGKILLed too, so
// nothing it started keeps the port.
//
// Children die with shipgate: every fork happens on the supervisor's own thread (which lives as
// long as the supervisor) and the child sets PR_SET_PDEATHSIG=SIGKILL, then checks getppid().
// Only the replica itself gets that signal; its own children are its business (a stop reaches
// them through the process group). There is no adoption of orphans: after a restart of shipgate,
// the controller starts the live release again.
//
// Readiness is not judged here: kRunning means the command was exec'd and has not exited; the
// release controller waits for health checks. Time (backoff, windows, stop_grace) is read from the
// injected Clock; with an injected clock the supervisor thread re-reads it at least every 100 ms,
// so a SimulatedClock drives the backoff and stop_grace (a stop needs the clock to move past
// stop_grace). With the real clock an idle supervisor sleeps until a timer, an exit, output or
// a call.
//
// Thread-safety: every public method is thread-safe. start/stop/stopAll block the caller until
// the supervisor thread has done the work. Listeners are called on the supervisor thread with no
// lock held; they must not call start/stop/stopAll (queries are fine) and should return quickly
// (the supervisor drains logs and reaps on that thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/runtime/runtime_config.h"
#include "shipgate/secrets/secret_bytes.h"

namespace shipgate::runtime {

// An environment variable whose value is a secret (resolved from a `secret:` reference before
// start). The value stays in guarded memory; the "NAME=value" string handed to execve is built
// just before each spawn (the first and every restart) and wiped right after it. It never reaches
// argv, a log line, a status or an error.
struct SecretEnvVar {
  std::string name;
  secrets::SecretBytes value;
};
using SecretEnv = std::vector<SecretEnvVar>;

// What to run: one release of one app in one slot.
struct ProcessSpec {
  std::string app;          // a config name (letters, digits, '-', '_', '.')
  std::string slot;         // "blue" | "green" (any name is accepted)
  std::string version;      // the release's version; names the log directory
  std::string release_dir;  // {release_dir}
  RuntimeConfig runtime;    // kind must be kProcess; argv must be filled (readRuntime does)
  // Set after runtime.env (and over shipgate's PATH, HOME, LANG); runtime.env must not name them
  // too. Null: none.
  std::shared_ptr<const SecretEnv> secret_env;
};

// How a process ended.
struct ExitStatus {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // signal number when signaled
  // "exited with code 3" | "killed by signal 9 (SIGKILL)"
  std::string describe() const;
};

enum class ReplicaState {
  kStarting,   // forked, exec not yet confirmed
  kRunning,    // exec'd, not exited
  kBackoff,    // exited, restart scheduled
  kCrashLoop,  // exited too often; not restarted
  kStopping,   // SIGTERM sent by stop()
  kStopped,    // stopped by stop() (or never started)
};
const char* replicaStateName(ReplicaState s);  // "starting", "running", "backoff", ...

struct ReplicaInfo {
  int index = 0;   // 0-based; {replica}
  pid_t pid = -1;  // -1 when not running
  int port = 0;
  ReplicaState state = ReplicaState::kStopped;
  int restarts = 0;                      // since start()
  std::optional<ExitStatus> last_exit;   // of the most recent run that ended
  int64_t last_start_ms = 0;             // Clock::wallMillis() of the current/last exec
  int64_t next_restart_ms = 0;           // kBackoff: when it restarts (wallMillis)
  std::string log_path;                  // the current log file
};

enum class SlotState {
  kStarting,   // some replica not yet running
  kRunning,    // every replica running
  kDegraded,   // some replica in backoff
  kCrashLoop,  // some replica gave up (reason says which and why)
  kStopping,
  kStopped,
};
const char* slotStateName(SlotState s);  // "starting", "running", "degraded", "crash_loop", ...

struct SlotStatus {
  std::string app;
  std::string slot;
  std::string version;
  std::string release_dir;
  SlotState state = SlotState::kStopped;
  // kCrashLoop: "replica 1 (port 9201) restarted 5 times within 60s; last exited with code 3;
  // last log lines:\n..."; otherwise empty.
  std::string reason;
  std::vector<ReplicaInfo> replicas;
  // 127.0.0.1:port of each replica, in replica order (the slot's endpoints in the gateway).
  std::vector<int> ports() const;
};

struct SupervisorOptions {
  std::string log_dir;         // required; created when missing
  Clock* clock = nullptr;      // null = RealClock
  size_t log_tail_lines = 10;  // log lines quoted in a crash-loop reason
};

class ProcessSupervisor {
 public:
  // Called on the supervisor thread after a slot's state or one of its replicas changed.
  using Listener = std::function<void(const SlotStatus&)>;

  explicit ProcessSupervisor(SupervisorOptions options);
  // stopAll(), then ends the supervisor thread.
  ~ProcessSupervisor();
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  // Starts the slot's replicas and returns its status (ports assigned, pids). Errors:
  // InvalidArgument (bad spec: kind not process, no argv, no port range, replicas < 1),
  // FailedPrecondition when app/slot is already starting/running (stop it first), Unavailable when
  // the range has fewer free ports than replicas, NotFound when the program is not found or not
  // executable ("cannot run ...: ..."); on error nothing is left running. A previous, stopped or
  // crash-looped run of the slot is replaced (what still runs of a crash-looped one is stopped
  // first, gracefully, which blocks up to its stop_grace).
  Result<SlotStatus> start(const ProcessSpec& spec);

  // Stops app/slot: SIGTERM to each replica's process group, SIGKILL to those left after
  // stop_grace, then reaps. Blocks until every replica is gone. NotFound when the slot was never
  // started; OK (no-op) when already stopped. The slot stays queryable as kStopped.
  Status stop(const std::string& app, const std::string& slot);
  // Stops every slot (in parallel; each with its own stop_grace).
  void stopAll();

  // Queries (snapshots). Empty / nullopt for an unknown app/slot.
  std::vector<ReplicaInfo> replicas(const std::string& app, const std::string& slot) const;
  std::optional<SlotStatus> slotState(const std::string& app, const std::string& slot) const;
  std::vector<SlotStatus> slots() const;

  // Listener registration; returns an id for removeListener. Thread-safe. A call already under
  // way when removeListener returns may still finish.
  int addListener(Listener listener);
  void removeListener(int id);

  // Blocks until `pred(status)` holds for app/slot or `timeout` passes (real time); returns the
  // last status seen (nullopt when the slot is unknown). For callers that wait for a transition.
  // `pred` runs with the supervisor's lock held: it must not call the supervisor.
  std::optional<SlotStatus> waitFor(const std::string& app, const std::string& slot,
                                    const std::function<bool(const SlotStatus&)>& pred,
                                    std::chrono::milliseconds timeout) const;

  // True once a TCP connection to 127.0.0.1:port succeeds, polling until `timeout` (real time).
  static bool waitForPort(int port, std::chrono::milliseconds timeout);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shipgate::runtime
