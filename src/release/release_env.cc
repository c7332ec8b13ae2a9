#include "shipgate/release/release_env.h"

#include "shipgate/secrets/secret_path.h"
#include "shipgate/secrets/secrets_config.h"
#include "shipgate/secrets/secrets_store.h"

namespace shipgate::release {

namespace {

// The same error with `prefix` before its message.
Status prefixed(const std::string& prefix, const Status& st) {
  std::string m = prefix + st.message();
  switch (st.code()) {
    case Status::Code::kInvalidArgument:
      return Status::invalidArgument(std::move(m));
    case Status::Code::kNotFound:
      return Status::notFound(std::move(m));
    case Status::Code::kPermissionDenied:
      return Status::permissionDenied(std::move(m));
    case Status::Code::kFailedPrecondition:
      return Status::failedPrecondition(std::move(m));
    case Status::Code::kUnavailable:
      return Status::unavailable(std::move(m));
    case Status::Code::kIoError:
      return Status::ioError(std::move(m));
    default:
      return Status::internal(std::move(m));
  }
}

Result<secrets::SecretBytes> readSecret(const AppRelease& app, const std::string& var,
                                        const runtime::SecretRef& ref, const EnvSources& sources) {
  const std::string where = var + ": secret " + ref.describe();
  if (sources.store == nullptr) {
    return Status::failedPrecondition(where +
                                      ": no secrets store (the config has no secrets: section)");
  }
  std::shared_ptr<const secrets::SecretsConfig> access =
      sources.access ? sources.access() : nullptr;
  auto path = secrets::SecretPath::parse(ref.path);
  if (!path.isOk()) return prefixed(where + ": ", path.status());
  if (access == nullptr || !access->mayRead(app.environment, *path)) {
    return Status::permissionDenied(where + ": apps of environment " + app.environment +
                                    " may not read it (no secrets.access rule allows it)");
  }
  secrets::Selector which;
  which.version = ref.version;
  if (!ref.label.empty()) which.label = ref.label;
  auto value = sources.store->get("release:" + app.app, ref.path, which);
  if (!value.isOk()) return prefixed(where + ": ", value.status());
  if (value->view().find('\0') != std::string_view::npos) {
    return Status::invalidArgument(
        where + ": the value holds a NUL byte, which an environment variable cannot carry");
  }
  return value;
}

}  // namespace

Result<ResolvedRuntime> resolveRuntime(const AppRelease& app, const EnvSources& sources) {
  const runtime::EnvLookup lookup = sources.lookup ? sources.lookup : runtime::processEnvironment();
  ResolvedRuntime out;
  out.runtime = app.runtime;
  for (std::string& arg : out.runtime.argv) {
    auto expanded = runtime::expandVariables(arg, lookup);
    if (!expanded.isOk()) return prefixed("command: ", expanded.status());
    arg = std::move(expanded).value();
  }
  auto secret_env = std::make_shared<runtime::SecretEnv>();
  std::vector<std::pair<std::string, std::string>> plain;
  for (const auto& [name, value] : app.runtime.env) {
    auto ref = runtime::parseSecretRef(value);
    if (!ref.isOk()) return prefixed("env " + name + ": ", ref.status());
    if (ref->has_value()) {
      const runtime::SecretRef& r = **ref;
      if (!r.version && r.label.empty() && sources.store != nullptr) {
        // The version about to be read (metadata only); a put in between makes it one behind,
        // which at worst restarts the release once more.
        auto meta = sources.store->peekMetadata(r.path);
        if (meta.isOk() && meta->has_value()) out.versions[r.path] = (*meta)->current_version;
      }
      auto secret = readSecret(app, "env " + name, r, sources);
      if (!secret.isOk()) return secret.status();
      secret_env->push_back(runtime::SecretEnvVar{name, std::move(secret).value()});
      continue;
    }
    auto expanded = runtime::expandVariables(value, lookup);
    if (!expanded.isOk()) return prefixed("env " + name + ": ", expanded.status());
    plain.emplace_back(name, std::move(expanded).value());
  }
  out.runtime.env = std::move(plain);
  if (!secret_env->empty()) out.secrets = std::move(secret_env);
  return out;
}

Result<std::string> resolveSetting(const AppRelease& app, const std::string& what,
                                   const std::string& value, const EnvSources& sources) {
  auto ref = runtime::parseSecretRef(value);
  if (!ref.isOk()) return prefixed(what + ": ", ref.status());
  if (ref->has_value()) {
    auto secret = readSecret(app, what, **ref, sources);
    if (!secret.isOk()) return secret.status();
    return std::string(secret->view());
  }
  const runtime::EnvLookup lookup = sources.lookup ? sources.lookup : runtime::processEnvironment();
  auto expanded = runtime::expandVariables(value, lookup);
  if (!expanded.isOk()) return prefixed(what + ": ", expanded.status());
  return expanded;
}

std::map<std::string, runtime::SecretRef> secretRefsOf(const runtime::RuntimeConfig& runtime) {
  std::map<std::string, runtime::SecretRef> out;
  for (const auto& [name, value] : runtime.env) {
    auto ref = runtime::parseSecretRef(value);
    if (ref.isOk() && ref->has_value()) out.emplace(name, **ref);
  }
  return out;
}

}  // namespace shipgate::release
