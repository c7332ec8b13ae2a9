// ProcessSupervisor (see process_supervisor.h): the callers' side. Public methods post requests to
// the supervisor thread (supervisor_thread.cc) and wait; queries read snapshots under mu_.
#include "shipgate/runtime/process_supervisor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "shipgate/config/yaml.h"
#include "shipgate/common/thread_name.h"
#include "run_as.h"
#include "supervisor_impl.h"

namespace shipgate::runtime {

using supervisor_detail::closeFd;

std::string ExitStatus::describe() const {
  if (signaled) {
    const char* name = ::sigabbrev_np(signal);  // thread-safe, unlike strsignal
    return "killed by signal " + std::to_string(signal) +
           (name != nullptr ? " (SIG" + std::string(name) + ")" : std::string());
  }
  if (code < 0) return "exited (status unknown: reaped elsewhere)";
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

ProcessSupervisor::Impl::Impl(SupervisorOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : RealClock::instance()) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] {
    setThreadName("sg-supervisor");
    loop();
  });
}

ProcessSupervisor::Impl::~Impl() {
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

Result<SlotStatus> ProcessSupervisor::Impl::start(const ProcessSpec& spec) {
  if (options_.log_dir.empty()) {
    return Status::failedPrecondition("the process supervisor has no log directory");
  }
  SG_RETURN_IF_ERROR(validate(spec));
  // The account to run as (run_as.h): refused here, before anything starts, with the reason.
  if (Result<RunAs> as = resolveRunAs(spec.app, spec.runtime, ::geteuid()); !as.isOk()) {
    return as.status();
  }
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

Status ProcessSupervisor::Impl::stop(const std::string& app, const std::string& slot) {
  Request req;
  req.kind = Request::Kind::kStop;
  req.app = app;
  req.slot = slot;
  post(req);
  SG_RETURN_IF_ERROR(req.status);
  // Wait for the run this request stopped (a start() from another thread may replace it).
  MutexLock lock(mu_);
  while (true) {
    auto it = slots_.find({app, slot});
    if (it == slots_.end() || it->second.get() != req.stopped ||
        it->second->state == SlotState::kStopped) {
      return Status::success();
    }
    changed_.waitFor(lock, std::chrono::milliseconds(100));
  }
}

void ProcessSupervisor::Impl::stopAll() {
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

std::optional<SlotStatus> ProcessSupervisor::Impl::status(const std::string& app, const std::string& slot) const {
  MutexLock lock(mu_);
  auto it = slots_.find({app, slot});
  if (it == slots_.end()) return std::nullopt;
  return snapshot(*it->second);
}

std::vector<SlotStatus> ProcessSupervisor::Impl::all() const {
  MutexLock lock(mu_);
  std::vector<SlotStatus> out;
  for (const auto& [key, slot] : slots_) out.push_back(snapshot(*slot));
  return out;
}

std::optional<SlotStatus> ProcessSupervisor::Impl::waitFor(const std::string& app, const std::string& slot,
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

int ProcessSupervisor::Impl::addListener(Listener l) {
  MutexLock lock(listeners_mu_);
  int id = ++next_listener_;
  listeners_.emplace(id, std::move(l));
  return id;
}

void ProcessSupervisor::Impl::removeListener(int id) {
  MutexLock lock(listeners_mu_);
  listeners_.erase(id);
}

Status ProcessSupervisor::Impl::validate(const ProcessSpec& spec) {
  const RuntimeConfig& rt = spec.runtime;
  if (rt.kind != RuntimeKind::kProcess) {
    return Status::invalidArgument("app " + spec.app + ": runtime kind is " +
                                   kindName(rt.kind) + ", not process");
  }
  if (spec.app.empty() || !config::validName(spec.app)) {
    return Status::invalidArgument("\"" + spec.app + "\" is not a valid app name");
  }
  if (spec.slot.empty() || !config::validName(spec.slot)) {
    return Status::invalidArgument("\"" + spec.slot + "\" is not a valid slot name");
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
  return Status::success();
}

std::vector<std::pair<std::string, std::string>> ProcessSupervisor::Impl::baseEnvironment() {
  std::vector<std::pair<std::string, std::string>> env;
  const char* path = std::getenv("PATH");
  env.emplace_back("PATH", path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (const char* name : {"HOME", "LANG"}) {
    if (const char* v = std::getenv(name)) env.emplace_back(name, v);
  }
  return env;
}

void ProcessSupervisor::Impl::post(Request& req) {
  MutexLock lock(mu_);
  requests_.push_back(&req);
  wake();
  while (!req.done) changed_.waitFor(lock, std::chrono::milliseconds(100));
}

void ProcessSupervisor::Impl::wake() {
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof one);
  (void)n;
}

SlotStatus ProcessSupervisor::Impl::snapshot(const Slot& slot) const {
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
