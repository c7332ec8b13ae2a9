// ProcessSupervisor::Impl, the supervisor thread's side (see supervisor_impl.h): one loop that
// handles posted requests, reaps exited replicas, runs the restart and stop timers, polls the
// output pipes, pidfds and the wake eventfd, and tells listeners what changed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "shipgate/common/log.h"
#include "run_as.h"
#include "spawn.h"
#include "supervisor_impl.h"

namespace shipgate::runtime {

namespace fs = std::filesystem;
using supervisor_detail::closeFd;

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

}  // namespace

void ProcessSupervisor::Impl::loop() {
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
      // Sleep until the next timer, a pipe, a pidfd or a request. Re-check every 100 ms when
      // time can move without the kernel knowing (an injected clock) or an exit cannot be
      // polled (no pidfd); otherwise an idle supervisor does not wake at all.
      TimePoint now = clock_.now();
      std::optional<TimePoint> next;
      bool recheck = options_.clock != nullptr || wake_fd_ < 0;
      auto earliest = [&](TimePoint t) { next = next ? std::min(*next, t) : t; };
      for (auto& [key, slot] : slots_) {
        for (auto& r : slot->replicas) {
          if (r->output_fd >= 0) fds.push_back({r->output_fd, POLLIN, 0});
          if (r->pidfd >= 0) fds.push_back({r->pidfd, POLLIN, 0});
          if (r->pid > 0 && r->pidfd < 0) recheck = true;
          if (r->state == ReplicaState::kBackoff) earliest(r->restart_at);
        }
        if (slot->stopping) {
          bool to_kill = std::any_of(slot->replicas.begin(), slot->replicas.end(),
                                     [](const auto& r) { return r->pid > 0 && !r->killed; });
          if (to_kill) earliest(slot->kill_at);  // once SIGKILLed, the pidfd says when it is gone
        }
      }
      if (recheck) earliest(now + std::chrono::milliseconds(100));
      timeout_ms = -1;
      if (next) {
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count();
        timeout_ms = static_cast<int>(std::clamp<int64_t>(wait + 1, 0, 60'000));
      }
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

void ProcessSupervisor::Impl::notifyListeners(const std::vector<SlotStatus>& changed) {
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

void ProcessSupervisor::Impl::handleRequests() {
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
          req->stopped = it->second.get();
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

Result<SlotStatus> ProcessSupervisor::Impl::doStart(const ProcessSpec& spec,
                           const std::vector<std::pair<std::string, std::string>>& base_env) {
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
  // The program first: a release that cannot run leaves no log files either.
  PlaceholderValues first{ports[0], spec.version, spec.release_dir, 0};
  Result<std::string> program =
      resolveProgram(expandPlaceholders(rt.argv[0], first), path_value, spec.release_dir);
  if (!program.isOk()) return program.status();
  slot->program = *program;

  std::string log_dir = options_.log_dir + "/" + spec.app + "/" + spec.version;
  // The same version live in the other slot too: its files are taken, name these by slot.
  std::string log_suffix;
  for (const auto& [k, s] : slots_) {
    if (k.first == spec.app && k != key && s->spec.version == spec.version &&
        s->state != SlotState::kStopped) {
      log_suffix = "." + spec.slot;
    }
  }
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
    // Secret variables are added at each spawn (spawnReplica), never kept as plain strings.
    if (spec.secret_env) {
      for (const auto& s : *spec.secret_env) env_map.erase(s.name);
    }
    for (const auto& k : order) {
      if (env_map.count(k) != 0) r->env.push_back(k + "=" + env_map[k]);
    }
    r->log = std::make_unique<RotatingLog>(
        log_dir + "/replica-" + std::to_string(i) + log_suffix + ".log", rt.logs.max_bytes,
        rt.logs.keep);
    Status st = r->log->open();
    if (!st.isOk()) return st;
    slot->replicas.push_back(std::move(r));
  }

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

Status ProcessSupervisor::Impl::spawnReplica(Slot& slot, Replica& r) {
  SpawnRequest req;
  req.program = slot.program;
  req.argv = r.argv;
  const size_t secret_count = slot.spec.secret_env ? slot.spec.secret_env->size() : 0;
  // Reserved up front: the vector never moves (or copies) a secret string.
  req.env.reserve(r.env.size() + secret_count);
  req.env = r.env;
  if (secret_count > 0) {
    for (const auto& sv : *slot.spec.secret_env) {
      // Built in place, sized once: no temporary or reallocation leaves a copy behind.
      std::string& entry = req.env.emplace_back();
      entry.reserve(sv.name.size() + 1 + sv.value.size());
      entry.append(sv.name).append("=").append(sv.value.view());
    }
  }
  req.cwd = slot.spec.release_dir;
  Result<RunAs> run_as = resolveRunAs(slot.spec.app, slot.spec.runtime, ::geteuid());
  if (!run_as.isOk()) return run_as.status();
  req.set_ids = run_as->drop;
  req.uid = run_as->uid;
  req.gid = run_as->gid;
  r.state = ReplicaState::kStarting;
  Result<Spawned> s = spawnChild(req);
  // The child has its copy: wipe ours (every entry: cheap, and no secret is missed).
  for (std::string& e : req.env) ::explicit_bzero(e.data(), e.size());
  if (!s.isOk()) return s.status();
  r.pid = s->pid;
  r.output_fd = s->output_fd;
  r.pidfd = s->pidfd;
  r.killed = false;
  r.started = clock_.now();
  r.last_start_ms = clock_.wallMillis();
  r.state = ReplicaState::kRunning;
  slot.dirty = true;
  return Status::success();
}

void ProcessSupervisor::Impl::killNow(Replica& r) {
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

void ProcessSupervisor::Impl::drainOutputs() {
  for (auto& [key, slot] : slots_) {
    for (auto& r : slot->replicas) drain(*r, 16);
  }
}

void ProcessSupervisor::Impl::drain(Replica& r, int rounds) {
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

void ProcessSupervisor::Impl::reapAll() {
  for (auto& [key, slot] : slots_) {
    for (auto& r : slot->replicas) {
      if (r->pid <= 0) continue;
      int status = 0;
      pid_t got = ::waitpid(r->pid, &status, WNOHANG);
      if (got == r->pid) {
        onExit(*slot, *r, decodeWait(status));
      } else if (got < 0 && errno == ECHILD) {
        ExitStatus unknown;  // reaped elsewhere (SIGCHLD ignored?): gone, status unknown
        unknown.code = -1;
        onExit(*slot, *r, unknown);
      }
    }
  }
}

void ProcessSupervisor::Impl::onExit(Slot& slot, Replica& r, ExitStatus exit) {
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

void ProcessSupervisor::Impl::afterCrash(Slot& slot, Replica& r, const ExitStatus& exit, const std::string& what) {
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

void ProcessSupervisor::Impl::runTimers() {
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

void ProcessSupervisor::Impl::beginStop(Slot& slot) {
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

void ProcessSupervisor::Impl::updateState(Slot& slot) {
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

}  // namespace shipgate::runtime
