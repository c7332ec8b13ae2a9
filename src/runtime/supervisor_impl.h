// ProcessSupervisor::Impl (private to runtime/): the state of every slot and replica, and the one
// supervisor thread that forks, drains, reaps and runs the timers. process_supervisor.cc holds
// the callers' side (requests posted to the thread, queries, waits); supervisor_thread.cc the
// thread's side. All slot state is guarded by mu_, which the supervisor thread holds while it
// works and releases while it polls and while it calls listeners.
#pragma once

#include <unistd.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/runtime/process_supervisor.h"
#include "shipgate/runtime/rotating_log.h"

namespace shipgate::runtime {
namespace supervisor_detail {

using TimePoint = Clock::time_point;

struct Replica {
  int index = 0;
  int port = 0;
  ReplicaState state = ReplicaState::kStopped;
  pid_t pid = -1;
  int output_fd = -1;
  int pidfd = -1;
  bool killed = false;  // SIGKILL sent during a stop
  int restarts = 0;
  int consecutive = 0;  // crashes since the last long run: the backoff exponent
  std::deque<TimePoint> restart_times;
  TimePoint started{};
  TimePoint restart_at{};
  int64_t last_start_ms = 0;
  int64_t next_restart_ms = 0;
  std::optional<ExitStatus> last_exit;
  std::unique_ptr<RotatingLog> log;
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

struct Slot {
  ProcessSpec spec;
  std::string program;
  std::vector<std::unique_ptr<Replica>> replicas;
  bool stopping = false;
  TimePoint kill_at{};
  std::string reason;
  SlotState state = SlotState::kStarting;
  bool dirty = false;
};

inline void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace supervisor_detail

class ProcessSupervisor::Impl {
 public:
  using Replica = supervisor_detail::Replica;
  using Slot = supervisor_detail::Slot;
  using TimePoint = supervisor_detail::TimePoint;

  // The callers' side (process_supervisor.cc).
  explicit Impl(SupervisorOptions options);
  ~Impl();
  Result<SlotStatus> start(const ProcessSpec& spec);
  Status stop(const std::string& app, const std::string& slot);
  void stopAll();
  std::optional<SlotStatus> status(const std::string& app, const std::string& slot) const;
  std::vector<SlotStatus> all() const;
  std::optional<SlotStatus> waitFor(const std::string& app, const std::string& slot,
                                    const std::function<bool(const SlotStatus&)>& pred,
                                    std::chrono::milliseconds timeout) const;
  int addListener(Listener l);
  void removeListener(int id);

 private:
  // A call handed to the supervisor thread; the caller waits until `done`.
  struct Request {
    enum class Kind { kStart, kStop, kStopAll } kind = Kind::kStart;
    ProcessSpec spec;
    std::vector<std::pair<std::string, std::string>> base_env;
    std::string app;
    std::string slot;
    const Slot* stopped = nullptr;  // kStop: the run being stopped
    bool done = false;
    Status status;
    Result<SlotStatus> result = Status::internal("not started");
  };

  static Status validate(const ProcessSpec& spec);
  // PATH (with a default), HOME and LANG of shipgate.
  static std::vector<std::pair<std::string, std::string>> baseEnvironment();
  // Hands `req` to the supervisor thread and waits until it was handled.
  void post(Request& req);
  void wake();
  SlotStatus snapshot(const Slot& slot) const REQUIRES(mu_);

  // The supervisor thread's side (supervisor_thread.cc).
  void loop();
  void notifyListeners(const std::vector<SlotStatus>& changed);
  void handleRequests() REQUIRES(mu_);
  Result<SlotStatus> doStart(const ProcessSpec& spec,
                             const std::vector<std::pair<std::string, std::string>>& base_env)
      REQUIRES(mu_);
  Status spawnReplica(Slot& slot, Replica& r) REQUIRES(mu_);
  // SIGKILLs and reaps a replica at once (a start that failed half-way).
  void killNow(Replica& r) REQUIRES(mu_);
  void drainOutputs() REQUIRES(mu_);
  // Reads up to `rounds` x 64 KiB of a replica's output into its log.
  void drain(Replica& r, int rounds) REQUIRES(mu_);
  void reapAll() REQUIRES(mu_);
  void onExit(Slot& slot, Replica& r, ExitStatus exit) REQUIRES(mu_);
  // A run of `r` ended on its own (or could not start): schedule its restart with backoff, or
  // declare the crash loop.
  void afterCrash(Slot& slot, Replica& r, const ExitStatus& exit, const std::string& what)
      REQUIRES(mu_);
  void runTimers() REQUIRES(mu_);
  void beginStop(Slot& slot) REQUIRES(mu_);
  void updateState(Slot& slot) REQUIRES(mu_);

  const SupervisorOptions options_;
  Clock& clock_;
  int wake_fd_ = -1;  // eventfd: post() wakes the thread's poll

  mutable Mutex mu_;
  mutable CondVar changed_;  // notified on every state change and handled request
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Slot>> slots_ GUARDED_BY(mu_);
  std::deque<Request*> requests_ GUARDED_BY(mu_);
  bool quit_ GUARDED_BY(mu_) = false;

  Mutex listeners_mu_;
  std::map<int, Listener> listeners_ GUARDED_BY(listeners_mu_);
  int next_listener_ GUARDED_BY(listeners_mu_) = 0;

  std::thread thread_;  // last: starts after every member above is constructed
};

}  // namespace shipgate::runtime
