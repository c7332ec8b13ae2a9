#include "shipgate/release/slot_runtime.h"

#include <filesystem>

#include "shipgate/runtime/process_supervisor.h"
#include "shipgate/runtime/static_releases.h"

namespace shipgate::release {

namespace {

// A process release's directory: the artifact, else <release_root>/<version>, else the current
// directory.
std::string processReleaseDir(const AppRelease& app, const std::string& version,
                              const std::string& artifact) {
  if (!artifact.empty()) return std::filesystem::absolute(artifact).lexically_normal().string();
  if (!app.release_root.empty()) {
    return (std::filesystem::path(app.release_root) / version).string();
  }
  return std::filesystem::current_path().string();
}

}  // namespace

Result<std::string> SlotRuntime::releaseFiles(const AppRelease& app, const std::string& version,
                                              const std::string& artifact) const {
  return processReleaseDir(app, version, artifact);
}

Result<std::string> SlotRuntime::resolveSetting(const AppRelease& app, const std::string& what,
                                                const std::string& value) const {
  return release::resolveSetting(app, what, value, EnvSources{});
}

Result<std::string> SupervisorSlotRuntime::releaseFiles(const AppRelease& app,
                                                        const std::string& version,
                                                        const std::string& artifact) const {
  if (app.runtime.kind != runtime::RuntimeKind::kStatic) {
    return processReleaseDir(app, version, artifact);
  }
  std::error_code ec;
  if (!artifact.empty() && std::filesystem::is_directory(artifact, ec)) {
    return std::filesystem::absolute(artifact).lexically_normal().string();
  }
  auto imported = releases_.path(app.app, version);
  if (imported) return imported;
  return Status::failedPrecondition(
      "static release " + version + " of " + app.app +
      ": its migrations are read from a folder artifact or an imported release (an archive is "
      "imported only when the release starts)");
}

Result<std::string> SupervisorSlotRuntime::resolveSetting(const AppRelease& app,
                                                          const std::string& what,
                                                          const std::string& value) const {
  return release::resolveSetting(app, what, value, sources_);
}

SupervisorSlotRuntime::SupervisorSlotRuntime(runtime::ProcessSupervisor& supervisor,
                                             runtime::StaticReleases& releases)
    : supervisor_(supervisor), releases_(releases) {}

Result<SlotStart> SupervisorSlotRuntime::start(const AppRelease& app, const std::string& slot,
                                               const std::string& version,
                                               const std::string& artifact) {
  SlotStart out;
  if (app.runtime.kind == runtime::RuntimeKind::kStatic) {
    auto existing = releases_.path(app.app, version);
    if (existing) {
      out.static_root = *existing;
      return out;
    }
    if (artifact.empty()) {
      return Status::notFound("static release " + version + " of " + app.app +
                              " was never imported: give --artifact (a folder or .tar.gz)");
    }
    runtime::StaticLimits limits;
    limits.max_bytes = app.runtime.static_site.max_archive_bytes;
    limits.max_entries = app.runtime.static_site.max_entries;
    auto imported = releases_.import(app.app, version, artifact, limits);
    if (!imported) return imported.status();
    out.static_root = imported->path;
    return out;
  }
  runtime::ProcessSpec spec;
  spec.app = app.app;
  spec.slot = slot;
  spec.version = version;
  spec.release_dir = processReleaseDir(app, version, artifact);
  // ${NAME} and secret: references are resolved for this start only; secret values stay in
  // guarded memory in the spec (the supervisor needs them again for restarts).
  auto resolved = resolveRuntime(app, sources_);
  if (!resolved) return resolved.status();
  spec.runtime = std::move(resolved->runtime);
  spec.secret_env = std::move(resolved->secrets);
  {
    MutexLock lock(mu_);
    versions_[{app.app, slot}] = resolved->versions;
  }
  // A crash-looped or stopped earlier run of the slot is replaced by start(); a running one is
  // stopped first (the controller only starts into the idle slot).
  if (auto st = supervisor_.slotState(app.app, slot);
      st && st->state != runtime::SlotState::kStopped &&
      st->state != runtime::SlotState::kCrashLoop) {
    SG_RETURN_IF_ERROR(supervisor_.stop(app.app, slot));
  }
  auto started = supervisor_.start(spec);
  if (!started) return started.status();
  for (const auto& r : started->replicas) {
    out.endpoints.push_back(config::HostPort{"127.0.0.1", static_cast<uint16_t>(r.port)});
    out.pids.push_back(static_cast<int>(r.pid));
  }
  return out;
}

std::map<std::string, int64_t> SupervisorSlotRuntime::secretVersions(
    const std::string& app, const std::string& slot) const {
  MutexLock lock(mu_);
  auto it = versions_.find({app, slot});
  return it == versions_.end() ? std::map<std::string, int64_t>() : it->second;
}

Status SupervisorSlotRuntime::stop(const AppRelease& app, const std::string& slot) {
  if (app.runtime.kind == runtime::RuntimeKind::kStatic) return Status::success();
  Status st = supervisor_.stop(app.app, slot);
  if (st.code() == Status::Code::kNotFound) return Status::success();
  return st;
}

SlotRunState SupervisorSlotRuntime::state(const AppRelease& app, const std::string& slot) const {
  SlotRunState out;
  if (app.runtime.kind == runtime::RuntimeKind::kStatic) {
    out.running = true;
    return out;
  }
  auto st = supervisor_.slotState(app.app, slot);
  if (!st) return out;
  out.running = st->state == runtime::SlotState::kRunning;
  out.crash_loop = st->state == runtime::SlotState::kCrashLoop;
  out.reason = st->reason;
  return out;
}

void SupervisorSlotRuntime::prune(const AppRelease& app, const std::set<std::string>& keep) {
  if (app.runtime.kind != runtime::RuntimeKind::kStatic) return;
  (void)releases_.prune(app.app, static_cast<size_t>(app.keep_releases), keep);
}

Result<std::string> SupervisorSlotRuntime::staticRoot(const AppRelease& app,
                                                      const std::string& version) const {
  if (app.runtime.kind != runtime::RuntimeKind::kStatic) {
    return Status::failedPrecondition("app " + app.app + " is not static (kind: process)");
  }
  return releases_.path(app.app, version);
}

}  // namespace shipgate::release
