// ProcessSupervisor (see process_supervisor.h). One thread (the supervisor thread) forks every
// replica, drains their output pipes into the rotating logs, reaps them, and runs the restart and
// stop timers; public methods post requests to it and wait. All slot state is guarded by mu_,
// which the supervisor thread holds while it works (never while it polls).
#include "shipgate/runtime/process_supervisor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "shipgate/common/log.h"
#include "shipgate/common/mutex.h"
#include "shipgate/config/yaml.h"
#include "shipgate/runtime/rotating_log.h"
#include "spawn.h"

namespace shipgate::runtime {

namespace fs = std::filesystem;
using TimePoint = Clock::time_point;

std::string ExitStatus::describe() const {
  if (signaled) {
    const char* name = ::strsignal(signal);
    return "killed by signal " + std::to_string(signal) +
           (name != nullptr ? " (" + std::string(name) + ")" : std::string());
  }
  return "exited with code " + std::to_string(code);
}

const char* replicaStateName(ReplicaState s) {
  switch (s) {
    case ReplicaState::kStarting: return "starting";
    case ReplicaState::kRunning: return "running";
    case ReplicaState::kBackoff: return "backoff";
    case ReplicaState::kCrashLoop: return "crash_loop";
    case ReplicaState::kStopping: return "stopping";
    case ReplicaState::kStopped: return "stopped";
  }
  return "?";
}

const char* slotStateName(SlotState s) {
  switch (s) {
    case SlotState::kStarting: return "starting";
    case SlotState::kRunning: return "running";
    case SlotState::kDegraded: return "degraded";
    case SlotState::kCrashLoop: return "crash_loop";
    case SlotState::kStopping: return "stopping";
    case SlotState::kStopped: return "stopped";
  }
  return "?";
}

std::vector<int> SlotStatus::ports() const {
  std::vector<int> out;
  for (const auto& r : replicas) out.push_back(r.port);
  return out;
}

namespace {

std::string formatMillis(Millis d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

bool portIsFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

ExitStatus decodeWait(int status) {
  ExitStatus e;
  if (WIFSIGNALED(status)) {
    e.signaled = true;
    e.signal = WTERMSIG(status);
  } else {
    e.code = WEXITSTATUS(status);
  }
  return e;
}

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

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

class ProcessSupervisor::Impl {
 public:
  explicit Impl(SupervisorOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : RealClock::instance()) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    thread_ = std::thread([this] { loop(); });
  }

  ~Impl() {
    stopAll();
    {
      MutexLock lock(mu_);
      quit_ = true;
    }
    wake();
    thread_.join();
    MutexLock lock(mu_);
    for (auto& [key, slot] : slots_) {
      for (auto& r : slot->replicas) {
        closeFd(r->output_fd);
        closeFd(r->pidfd);
      }
    }
    closeFd(wake_fd_);
  }

  Result<SlotStatus> start(const ProcessSpec& spec) {
    SG_RETURN_IF_ERROR(validate(spec));
    // A crash-looped run is replaced: what still runs of it is stopped first (gracefully).
    if (auto st = status(spec.app, spec.slot); st && st->state == SlotState::kCrashLoop) {
      SG_RETURN_IF_ERROR(stop(spec.app, spec.slot));
    }
    Request req;
    req.kind = Request::Kind::kStart;
    req.spec = spec;
    req.base_env = baseEnvironment();
    post(req);
    if (!req.status.isOk()) return req.status;
    return req.result;
  }

  Status stop(const std::string& app, const std::string& slot) {
    Request req;
    req.kind = Request::Kind::kStop;
    req.app = app;
    req.slot = slot;
    post(req);
    SG_RETURN_IF_ERROR(req.status);
    MutexLock lock(mu_);
    auto it = slots_.find({app, slot});
    while (it != slots_.end() && it->second->state != SlotState::kStopped) {
      changed_.waitFor(lock, std::chrono::milliseconds(100));
      it = slots_.find({app, slot});
    }
    return Status::ok();
  }

  void stopAll() {
    Request req;
    req.kind = Request::Kind::kStopAll;
    post(req);
    MutexLock lock(mu_);
    while (true) {
      bool all = true;
      for (const auto& [key, slot] : slots_) {
        if (slot->state != SlotState::kStopped) all = false;
      }
      if (all) return;
      changed_.waitFor(lock, std::chrono::milliseconds(100));
    }
  }

  std::optional<SlotStatus> status(const std::string& app, const std::string& slot) const {
    MutexLock lock(mu_);
    auto it = slots_.find({app, slot});
    if (it == slots_.end()) return std::nullopt;
    return snapshot(*it->second);
  }

  std::vector<SlotStatus> all() const {
    MutexLock lock(mu_);
    std::vector<SlotStatus> out;
    for (const auto& [key, slot] : slots_) out.push_back(snapshot(*slot));
    return out;
  }

  std::optional<SlotStatus> waitFor(const std::string& app, const std::string& slot,
                                    const std::function<bool(const SlotStatus&)>& pred,
                                    std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(mu_);
    std::optional<SlotStatus> last;
    while (true) {
      auto it = slots_.find({app, slot});
      if (it != slots_.end()) {
        last = snapshot(*it->second);
        if (pred(*last)) return last;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return last;
      changed_.waitFor(lock, std::min<std::chrono::steady_clock::duration>(
                                 deadline - now, std::chrono::milliseconds(100)));
    }
  }

  int addListener(Listener l) {
    MutexLock lock(listeners_mu_);
    int id = ++next_listener_;
    listeners_.emplace(id, std::move(l));
    return id;
  }

  void removeListener(int id) {
    MutexLock lock(listeners_mu_);
    listeners_.erase(id);
  }

 private:
  struct Request {
    enum class Kind { kStart, kStop, kStopAll } kind = Kind::kStart;
    ProcessSpec spec;
    std::vector<std::pair<std::string, std::string>> base_env;
    std::string app;
    std::string slot;
    bool done = false;
    Status status;
    Result<SlotStatus> result = Status::internal("not started");
  };

  static Status validate(const ProcessSpec& spec) {
    const RuntimeConfig& rt = spec.runtime;
    if (rt.kind != RuntimeKind::kProcess) {
      return Status::invalidArgument("app " + spec.app + ": runtime kind is " +
                                     kindName(rt.kind) + ", not process");
    }
    if (spec.app.empty() || !config::validName(spec.app)) {
      return Status::invalidArgument("\"" + spec.app + "\" is not a valid app name");
    }
    if (spec.version.empty() || !config::validName(spec.version) || spec.version[0] == '.') {
      return Status::invalidArgument("\"" + spec.version +
                                     "\" is not a valid version (letters, digits, - _ .)");
    }
    if (rt.argv.empty()) {
      return Status::invalidArgument("app " + spec.app + ": the runtime has no command");
    }
    if (rt.replicas < 1) {
      return Status::invalidArgument("app " + spec.app + ": replicas must be at least 1");
    }
    if (rt.ports.empty() || rt.ports.first < 1 || rt.ports.last > 65535 ||
        rt.ports.first > rt.ports.last) {
      return Status::invalidArgument("app " + spec.app + ": the runtime has no port range");
    }
    return Status::ok();
  }

  static std::vector<std::pair<std::string, std::string>> baseEnvironment() {
    std::vector<std::pair<std::string, std::string>> env;
    const char* path = std::getenv("PATH");
    env.emplace_back("PATH", path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    for (const char* name : {"HOME", "LANG"}) {
      if (const char* v = std::getenv(name)) env.emplace_back(name, v);
    }
    return env;
  }

  // Hands `req` to the supervisor thread and waits until it was handled.
  void post(Request& req) {
    MutexLock lock(mu_);
    requests_.push_back(&req);
    wake();
    while (!req.done) changed_.waitFor(lock, std::chrono::milliseconds(100));
  }

  void wake() {
    uint64_t one = 1;
    ssize_t n = ::write(wake_fd_, &one, sizeof one);
    (void)n;
  }

  SlotStatus snapshot(const Slot& slot) const REQUIRES(mu_) {
    SlotStatus s;
    s.app = slot.spec.app;
    s.slot = slot.spec.slot;
    s.version = slot.spec.version;
    s.release_dir = slot.spec.release_dir;
    s.state = slot.state;
    s.reason = slot.reason;
    for (const auto& r : slot.replicas) {
      ReplicaInfo i;
      i.index = r->index;
      i.pid = r->pid;
      i.port = r->port;
      i.state = r->state;
      i.restarts = r->restarts;
      i.last_exit = r->last_exit;
      i.last_start_ms = r->last_start_ms;
      i.next_restart_ms = r->state == ReplicaState::kBackoff ? r->next_restart_ms : 0;
      i.log_path = r->log ? r->log->path() : std::string();
      s.replicas.push_back(std::move(i));
    }
    return s;
  }

  // ---- supervisor thread ----

  void loop() {
    std::vector<pollfd> fds;
    while (true) {
      std::vector<SlotStatus> changed;
      int timeout_ms = 100;
      {
        MutexLock lock(mu_);
        handleRequests();
        reapAll();
        runTimers();
        for (auto& [key, slot] : slots_) {
          updateState(*slot);
          if (slot->dirty) {
            slot->dirty = false;
            changed.push_back(snapshot(*slot));
          }
        }
        if (!changed.empty()) changed_.notifyAll();
        if (quit_) {
          break;
        }
        fds.clear();
        fds.push_back({wake_fd_, POLLIN, 0});
        TimePoint now = clock_.now();
        TimePoint next = now + std::chrono::milliseconds(100);
        for (auto& [key, slot] : slots_) {
          for (auto& r : slot->replicas) {
            if (r->output_fd >= 0) fds.push_back({r->output_fd, POLLIN, 0});
            if (r->pidfd >= 0) fds.push_back({r->pidfd, POLLIN, 0});
            if (r->state == ReplicaState::kBackoff) next = std::min(next, r->restart_at);
          }
          if (slot->stopping && slot->state != SlotState::kStopped) {
            next = std::min(next, slot->kill_at);
          }
        }
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
        timeout_ms = static_cast<int>(std::clamp<int64_t>(wait + 1, 0, 100));
      }
      notifyListeners(changed);
      ::poll(fds.data(), fds.size(), timeout_ms);
      uint64_t drained;
      ssize_t n = ::read(wake_fd_, &drained, sizeof drained);
      (void)n;
      {
        MutexLock lock(mu_);
        drainOutputs();
      }
    }
  }

  void notifyListeners(const std::vector<SlotStatus>& changed) {
    if (changed.empty()) return;
    std::vector<Listener> ls;
    {
      MutexLock lock(listeners_mu_);
      for (const auto& [id, l] : listeners_) ls.push_back(l);
    }
    for (const auto& s : changed) {
      for (const auto& l : ls) l(s);
    }
  }

  void handleRequests() REQUIRES(mu_) {
    while (!requests_.empty()) {
      Request* req = requests_.front();
      requests_.pop_front();
      switch (req->kind) {
        case Request::Kind::kStart:
          req->result = doStart(req->spec, req->base_env);
          break;
        case Request::Kind::kStop: {
          auto it = slots_.find({req->app, req->slot});
          if (it == slots_.end()) {
            req->status = Status::notFound("no process slot " + req->app + "/" + req->slot);
          } else {
            beginStop(*it->second);
          }
          break;
        }
        case Request::Kind::kStopAll:
          for (auto& [key, slot] : slots_) beginStop(*slot);
          break;
      }
      req->done = true;
      changed_.notifyAll();
    }
  }

  Result<SlotStatus> doStart(const ProcessSpec& spec,
                             const std::vector<std::pair<std::string, std::string>>& base_env)
      REQUIRES(mu_) {
    auto key = std::make_pair(spec.app, spec.slot);
    auto existing = slots_.find(key);
    if (existing != slots_.end() && existing->second->state != SlotState::kStopped) {
      return Status::failedPrecondition("slot " + spec.slot + " of " + spec.app + " is " +
                                        slotStateName(existing->second->state) + " (version " +
                                        existing->second->spec.version + "); stop it first");
    }
    const RuntimeConfig& rt = spec.runtime;

    // Ports: skip those this supervisor holds for live slots, then those bound by anyone.
    std::set<int> held;
    for (const auto& [k, s] : slots_) {
      if (k == key || s->state == SlotState::kStopped) continue;
      for (const auto& r : s->replicas) held.insert(r->port);
    }
    std::vector<int> ports;
    for (int p = rt.ports.first; p <= rt.ports.last && static_cast<int>(ports.size()) < rt.replicas;
         ++p) {
      if (held.count(p) == 0 && portIsFree(p)) ports.push_back(p);
    }
    if (static_cast<int>(ports.size()) < rt.replicas) {
      return Status::unavailable("app " + spec.app + ": only " + std::to_string(ports.size()) +
                                 " free port(s) in " + std::to_string(rt.ports.first) + "-" +
                                 std::to_string(rt.ports.last) + " for " +
                                 std::to_string(rt.replicas) + " replicas");
    }

    auto slot = std::make_unique<Slot>();
    slot->spec = spec;
    std::string path_value;
    for (const auto& [k, v] : base_env) {
      if (k == "PATH") path_value = v;
    }
    for (const auto& [k, v] : rt.env) {
      if (k == "PATH") path_value = v;
    }
    std::string log_dir = options_.log_dir + "/" + spec.app + "/" + spec.version;
    std::error_code ec;
    fs::create_directories(log_dir, ec);
    if (ec) return Status::ioError("cannot create log directory " + log_dir + ": " + ec.message());

    for (int i = 0; i < rt.replicas; ++i) {
      auto r = std::make_unique<Replica>();
      r->index = i;
      r->port = ports[i];
      PlaceholderValues values{ports[i], spec.version, spec.release_dir, i};
      for (const auto& a : rt.argv) r->argv.push_back(expandPlaceholders(a, values));
      // Later entries win: base, then config env, then PORT.
      std::map<std::string, std::string> env_map;
      std::vector<std::string> order;
      auto set = [&](const std::string& k, const std::string& v) {
        if (env_map.count(k) == 0) order.push_back(k);
        env_map[k] = v;
      };
      for (const auto& [k, v] : base_env) set(k, v);
      for (const auto& [k, v] : rt.env) set(k, expandPlaceholders(v, values));
      set("PORT", std::to_string(ports[i]));
      for (const auto& k : order) r->env.push_back(k + "=" + env_map[k]);
      r->log = std::make_unique<RotatingLog>(log_dir + "/replica-" + std::to_string(i) + ".log",
                                             rt.logs.max_bytes, rt.logs.keep);
      Status st = r->log->open();
      if (!st.isOk()) return st;
      slot->replicas.push_back(std::move(r));
    }
    Result<std::string> program =
        resolveProgram(slot->replicas[0]->argv[0], path_value, spec.release_dir);
    if (!program.isOk()) return program.status();
    slot->program = *program;

    for (auto& r : slot->replicas) {
      Status st = spawnReplica(*slot, *r);
      if (!st.isOk()) {
        for (auto& other : slot->replicas) killNow(*other);
        return st;
      }
    }
    updateState(*slot);
    slot->dirty = true;
    SlotStatus status = snapshot(*slot);
    log::info("runtime: started " + spec.app + "/" + spec.slot + " version " + spec.version +
              " (" + std::to_string(rt.replicas) + " replica(s))");
    slots_[key] = std::move(slot);
    return status;
  }

  Status spawnReplica(Slot& slot, Replica& r) REQUIRES(mu_) {
    SpawnRequest req;
    req.program = slot.program;
    req.argv = r.argv;
    req.env = r.env;
    req.cwd = slot.spec.release_dir;
    r.state = ReplicaState::kStarting;
    Result<Spawned> s = spawnChild(req);
    if (!s.isOk()) return s.status();
    r.pid = s->pid;
    r.output_fd = s->output_fd;
    r.pidfd = s->pidfd;
    r.killed = false;
    r.started = clock_.now();
    r.last_start_ms = clock_.wallMillis();
    r.state = ReplicaState::kRunning;
    slot.dirty = true;
    return Status::ok();
  }

  // SIGKILLs and reaps a replica at once (a start that failed half-way).
  void killNow(Replica& r) REQUIRES(mu_) {
    if (r.pid <= 0) return;
    ::kill(-r.pid, SIGKILL);
    int status;
    while (::waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.pid = -1;
    closeFd(r.output_fd);
    closeFd(r.pidfd);
    r.state = ReplicaState::kStopped;
  }

  void drainOutputs() REQUIRES(mu_) {
    for (auto& [key, slot] : slots_) {
      for (auto& r : slot->replicas) drain(*r, 16);
    }
  }

  // Reads up to `rounds` x 64 KiB of a replica's output into its log.
  void drain(Replica& r, int rounds) REQUIRES(mu_) {
    char buf[65536];
    for (int i = 0; i < rounds && r.output_fd >= 0; ++i) {
      ssize_t n = ::read(r.output_fd, buf, sizeof buf);
      if (n > 0) {
        r.log->write(std::string_view(buf, static_cast<size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) closeFd(r.output_fd);  // EOF: every writer is gone
      return;
    }
  }

  void reapAll() REQUIRES(mu_) {
    for (auto& [key, slot] : slots_) {
      for (auto& r : slot->replicas) {
        if (r->pid <= 0) continue;
        int status = 0;
        pid_t got = ::waitpid(r->pid, &status, WNOHANG);
        if (got == r->pid) onExit(*slot, *r, decodeWait(status));
      }
    }
  }

  void onExit(Slot& slot, Replica& r, ExitStatus exit) REQUIRES(mu_) {
    ::kill(-r.pid, SIGKILL);  // whatever it started goes with it (and frees its port)
    drain(r, 64);             // what it wrote before it died
    closeFd(r.output_fd);
    closeFd(r.pidfd);
    std::string who = "replica " + std::to_string(r.index) + " (pid " + std::to_string(r.pid) +
                      ", port " + std::to_string(r.port) + ")";
    r.pid = -1;
    if (slot.stopping || r.state == ReplicaState::kStopping) {
      r.last_exit = exit;
      r.state = ReplicaState::kStopped;
      slot.dirty = true;
      r.log->write("[shipgate] " + who + " stopped: " + exit.describe() + "\n");
      return;
    }
    afterCrash(slot, r, exit, who + " " + exit.describe());
  }

  // A run of `r` ended on its own (or could not start): schedule its restart with backoff, or
  // declare the crash loop.
  void afterCrash(Slot& slot, Replica& r, const ExitStatus& exit, const std::string& what)
      REQUIRES(mu_) {
    r.last_exit = exit;
    slot.dirty = true;
    const RestartPolicy& rp = slot.spec.runtime.restart;
    TimePoint now = clock_.now();
    if (now - r.started >= rp.crash_loop_window) r.consecutive = 0;
    while (!r.restart_times.empty() && now - r.restart_times.front() > rp.crash_loop_window) {
      r.restart_times.pop_front();
    }
    if (static_cast<int>(r.restart_times.size()) >= rp.crash_loop_restarts) {
      r.state = ReplicaState::kCrashLoop;
      std::string tail = r.log->tail(options_.log_tail_lines);
      r.log->write("[shipgate] " + what + "; crash loop, not restarted\n");
      slot.reason = "replica " + std::to_string(r.index) + " (port " + std::to_string(r.port) +
                    ") restarted " + std::to_string(r.restart_times.size()) + " times within " +
                    formatMillis(rp.crash_loop_window) + "; last " + exit.describe() +
                    "; last log lines:\n" + tail;
      log::warn("runtime: " + slot.spec.app + "/" + slot.spec.slot + " version " +
                slot.spec.version + " is crash-looping: " + what);
      return;
    }
    Millis delay = rp.initial_backoff;
    for (int i = 0; i < r.consecutive && delay < rp.max_backoff; ++i) delay *= 2;
    delay = std::min(delay, rp.max_backoff);
    ++r.consecutive;
    r.restart_at = now + delay;
    r.next_restart_ms = clock_.wallMillis() + delay.count();
    r.state = ReplicaState::kBackoff;
    r.log->write("[shipgate] " + what + "; restarting in " + formatMillis(delay) + "\n");
  }

  void runTimers() REQUIRES(mu_) {
    TimePoint now = clock_.now();
    for (auto& [key, slot] : slots_) {
      if (slot->stopping) {
        if (now >= slot->kill_at) {
          for (auto& r : slot->replicas) {
            if (r->pid > 0 && !r->killed) {
              ::kill(-r->pid, SIGKILL);
              r->killed = true;
              r->log->write("[shipgate] replica " + std::to_string(r->index) +
                            " still running after stop_grace " +
                            formatMillis(slot->spec.runtime.stop_grace) + ": SIGKILL\n");
            }
          }
        }
        continue;
      }
      for (auto& r : slot->replicas) {
        if (r->state != ReplicaState::kBackoff || now < r->restart_at) continue;
        r->restart_times.push_back(now);
        ++r->restarts;
        Status st = spawnReplica(*slot, *r);
        if (!st.isOk()) {
          r->started = now;
          ExitStatus e;
          e.code = 127;
          afterCrash(*slot, *r, e, "replica " + std::to_string(r->index) + ": " + st.message());
        }
      }
    }
  }

  void beginStop(Slot& slot) REQUIRES(mu_) {
    if (slot.stopping || slot.state == SlotState::kStopped) return;
    slot.stopping = true;
    slot.kill_at = clock_.now() + slot.spec.runtime.stop_grace;
    slot.dirty = true;
    for (auto& r : slot.replicas) {
      if (r->pid > 0) {
        ::kill(-r->pid, SIGTERM);
        r->state = ReplicaState::kStopping;
      } else {
        r->state = ReplicaState::kStopped;
      }
    }
    log::info("runtime: stopping " + slot.spec.app + "/" + slot.spec.slot + " version " +
              slot.spec.version);
  }

  void updateState(Slot& slot) REQUIRES(mu_) {
    SlotState s;
    if (slot.stopping) {
      bool all = std::all_of(slot.replicas.begin(), slot.replicas.end(),
                             [](const auto& r) { return r->pid <= 0; });
      s = all ? SlotState::kStopped : SlotState::kStopping;
      if (all) {
        for (auto& r : slot.replicas) r->state = ReplicaState::kStopped;
      }
    } else {
      bool crash = false, backoff = false, starting = false;
      for (const auto& r : slot.replicas) {
        crash = crash || r->state == ReplicaState::kCrashLoop;
        backoff = backoff || r->state == ReplicaState::kBackoff;
        starting = starting || r->state == ReplicaState::kStarting;
      }
      s = crash ? SlotState::kCrashLoop
          : backoff ? SlotState::kDegraded
          : starting ? SlotState::kStarting
                     : SlotState::kRunning;
    }
    if (s != slot.state) {
      slot.state = s;
      slot.dirty = true;
    }
  }

  const SupervisorOptions options_;
  Clock& clock_;
  int wake_fd_ = -1;

  mutable Mutex mu_;
  mutable CondVar changed_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Slot>> slots_ GUARDED_BY(mu_);
  std::deque<Request*> requests_ GUARDED_BY(mu_);
  bool quit_ GUARDED_BY(mu_) = false;

  Mutex listeners_mu_;
  std::map<int, Listener> listeners_ GUARDED_BY(listeners_mu_);
  int next_listener_ GUARDED_BY(listeners_mu_) = 0;

  std::thread thread_;  // last: starts after every member above is constructed
};

ProcessSupervisor::ProcessSupervisor(SupervisorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
ProcessSupervisor::~ProcessSupervisor() = default;

Result<SlotStatus> ProcessSupervisor::start(const ProcessSpec& spec) { return impl_->start(spec); }
Status ProcessSupervisor::stop(const std::string& app, const std::string& slot) {
  return impl_->stop(app, slot);
}
void ProcessSupervisor::stopAll() { impl_->stopAll(); }

std::vector<ReplicaInfo> ProcessSupervisor::replicas(const std::string& app,
                                                     const std::string& slot) const {
  auto s = impl_->status(app, slot);
  return s ? s->replicas : std::vector<ReplicaInfo>{};
}
std::optional<SlotStatus> ProcessSupervisor::slotState(const std::string& app,
                                                       const std::string& slot) const {
  return impl_->status(app, slot);
}
std::vector<SlotStatus> ProcessSupervisor::slots() const { return impl_->all(); }
int ProcessSupervisor::addListener(Listener listener) {
  return impl_->addListener(std::move(listener));
}
void ProcessSupervisor::removeListener(int id) { impl_->removeListener(id); }
std::optional<SlotStatus> ProcessSupervisor::waitFor(
    const std::string& app, const std::string& slot,
    const std::function<bool(const SlotStatus&)>& pred, std::chrono::milliseconds timeout) const {
  return impl_->waitFor(app, slot, pred, timeout);
}

bool ProcessSupervisor::waitForPort(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (ok) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace shipgate::runtime
