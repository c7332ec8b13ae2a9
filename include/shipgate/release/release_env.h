// Release environment resolution: turns an app's `release.runtime` into what one start of its
// release runs with, right before the start (every deploy, rollback and the restart of live
// releases when shipgate starts):
//   - ${NAME} in the command's arguments and in env values is replaced by NAME's value in
//     shipgate's own environment (runtime/env_refs.h); an unset NAME fails the start naming it;
//   - an env value `secret:/path` (`#version`, `@label`) is read from the secrets store, as actor
//     "release:<app>", after checking the `secrets:` access rules for the app's environment
//     (SecretsConfig::mayRead). A forbidden, missing, deleted or destroyed secret fails the start
//     with a message naming the variable and the path, never a value. The value goes into
//     ResolvedRuntime::secrets (guarded memory) and from there only into the child's environment.
//
// Thread: resolveRuntime is thread-safe when the store is (SecretsStore is).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/release/release_config.h"
#include "shipgate/runtime/env_refs.h"
#include "shipgate/runtime/process_supervisor.h"

namespace shipgate::secrets {
class SecretsStore;
struct SecretsConfig;
}  // namespace shipgate::secrets

namespace shipgate::release {

struct EnvSources {
  // Null: a `secret:` reference fails the start ("no secrets store: the config has no secrets:").
  secrets::SecretsStore* store = nullptr;
  // The access rules in force (the current config's `secrets:`); null or returning null: nothing
  // is readable.
  std::function<std::shared_ptr<const secrets::SecretsConfig>()> access;
  // shipgate's environment; null = runtime::processEnvironment().
  runtime::EnvLookup lookup;
};

struct ResolvedRuntime {
  runtime::RuntimeConfig runtime;  // ${NAME} expanded; `secret:` entries removed from env
  std::shared_ptr<const runtime::SecretEnv> secrets;  // null when the env references none
  // Path -> the current version when it was read, for each unpinned `secret:/path` (what the
  // SecretChangeWatcher compares with).
  std::map<std::string, int64_t> versions;
};

// See above. Errors are InvalidArgument (an unset ${NAME}, a bad reference), PermissionDenied
// (the access rules), NotFound (the secret or its version/label), or the store's own; each
// message starts with "env NAME: " or "command: ".
Result<ResolvedRuntime> resolveRuntime(const AppRelease& app, const EnvSources& sources);

// One setting of an app resolved the way an env value is (`secret:/path` read under the access
// rules as "release:<app>", else ${NAME} expanded), e.g. release.database.url. `what` names the
// setting in messages ("database.url: ..."), which never carry the value.
Result<std::string> resolveSetting(const AppRelease& app, const std::string& what,
                                   const std::string& value, const EnvSources& sources);

// The `secret:` references of an app's runtime.env, by variable name (malformed ones skipped:
// the config check reports them).
std::map<std::string, runtime::SecretRef> secretRefsOf(const runtime::RuntimeConfig& runtime);

}  // namespace shipgate::release
