#include "shipgate/flags/flag_store.h"

#include "shipgate/store/postgres_connection.h"
#include "sqlite_flags_backend.h"
#include "postgres_flags_backend.h"

namespace shipgate::flags {

bool validEnvironment(std::string_view env) {
  if (env.empty() || env.size() > 64) return false;
  for (char c : env) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

namespace {
Status checkEnv(const std::string& env) {
  if (!validEnvironment(env)) {
    return Status::invalidArgument("environment \"" + env +
                                   "\": 1..64 of lowercase letters, digits, '_' and '-'");
  }
  return Status::success();
}
}  // namespace

Result<SetOutcome> FlagStore::set(const std::string& env, const std::vector<Flag>& flags,
                                  std::optional<int64_t> cas, const std::string& actor,
                                  const std::string& reason, int64_t now_ms) {
  SG_RETURN_IF_ERROR(checkEnv(env));
  if (flags.empty()) return Status::invalidArgument("no flags to set");
  if (cas && flags.size() != 1) {
    return Status::invalidArgument("--cas applies to one flag; the document has " +
                                   std::to_string(flags.size()));
  }
  MutexLock lock(mu_);
  FlagsBackend& backend = *backend_;  // the lambda runs under this lock
  SetOutcome out;
  Status s = backend.atomically([&]() -> Status {
    out = SetOutcome{};
    SG_PG_ASSIGN(int64_t seq, backend.changeMark());
    for (const Flag& f : flags) {
      SG_PG_ASSIGN(auto current, backend.find(env, f.key, std::nullopt));
      const int64_t have = current ? current->version : 0;
      if (cas && *cas != have) {
        return Status::failedPrecondition("flag '" + f.key + "' in " + env + " is at version " +
                                          std::to_string(have) + ", not " +
                                          std::to_string(*cas) + " (--cas)");
      }
      const nlohmann::json def = f.toJson();
      if (current && current->definition == def) {
        out.unchanged.push_back(f.key);
        continue;
      }
      FlagVersion v;
      v.environment = env;
      v.key = f.key;
      v.version = have + 1;
      v.definition = def;
      v.created_at = now_ms;
      v.created_by = actor;
      v.reason = reason;
      v.seq = ++seq;
      SG_RETURN_IF_ERROR(backend.appendAudit(
          FlagAuditEntry{v.seq, now_ms, actor, current ? "update" : "create", env, f.key,
                         v.version, reason}));
      SG_RETURN_IF_ERROR(backend.insertVersion(v));
      out.written.push_back(std::move(v));
    }
    return Status::success();
  });
  if (!s.isOk()) return s;
  return out;
}

Result<FlagVersion> FlagStore::get(const std::string& env, const std::string& key,
                                   std::optional<int64_t> version) {
  SG_RETURN_IF_ERROR(checkEnv(env));
  MutexLock lock(mu_);
  auto r = backend_->find(env, key, version);
  if (!r.isOk()) return r.status();
  if (!r.value()) {
    return Status::notFound("flag '" + key + "'" +
                            (version ? " version " + std::to_string(*version) : std::string()) +
                            " not found in " + env);
  }
  return std::move(*r.value());
}

Result<std::vector<FlagVersion>> FlagStore::list(const std::string& env) {
  if (!env.empty()) SG_RETURN_IF_ERROR(checkEnv(env));
  MutexLock lock(mu_);
  return backend_->latest(env);
}

Result<std::vector<FlagVersion>> FlagStore::history(const std::string& env,
                                                    const std::string& key) {
  SG_RETURN_IF_ERROR(checkEnv(env));
  MutexLock lock(mu_);
  return backend_->versions(env, key);
}

Result<std::vector<FlagAuditEntry>> FlagStore::audit(const std::string& env) {
  MutexLock lock(mu_);
  return backend_->audit(env);
}

Result<int64_t> FlagStore::changeMark() {
  MutexLock lock(mu_);
  return backend_->changeMark();
}

Result<std::map<std::string, int64_t>> FlagStore::versionsInForce(const std::string& env) {
  auto all = list(env);
  if (!all.isOk()) return all.status();
  std::map<std::string, int64_t> out;
  for (const FlagVersion& v : all.value()) out[v.key] = v.version;
  return out;
}

Result<std::unique_ptr<FlagsBackend>> openFlagsBackend(const std::string& state_dir,
                                                       const std::string& state_url) {
  if (state_url.empty()) {
    auto sqlite = SqliteFlagsBackend::open(state_dir);
    if (!sqlite.isOk()) return sqlite.status();
    return std::unique_ptr<FlagsBackend>(std::move(sqlite).value());
  }
  SG_RETURN_IF_ERROR(store::pg::validateUrl(state_url));
  auto pg = PostgresFlagsBackend::open(state_url);
  if (!pg.isOk()) return pg.status();
  return std::unique_ptr<FlagsBackend>(std::move(pg).value());
}

Result<std::unique_ptr<FlagStore>> openFlagStore(const std::string& state_dir,
                                                 const std::string& state_url) {
  auto backend = openFlagsBackend(state_dir, state_url);
  if (!backend.isOk()) return backend.status();
  return std::make_unique<FlagStore>(std::move(backend).value());
}

}  // namespace shipgate::flags
