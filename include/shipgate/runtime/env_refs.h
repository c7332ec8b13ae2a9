// Env references: the two kinds of indirection an app's `release.runtime` may use, resolved when
// a release process starts (release/release_env.h does the resolving):
//
//   secret:/coinestate/prod/database/url        the current version of a secret
//   secret:/coinestate/prod/database/url#3      version 3
//   secret:/coinestate/prod/database/url@stable the version the label "stable" pins
//     A whole env value that starts with "secret:" is a reference (never part of a value, never
//     in the command). The path follows secrets::SecretPath's rules; '#' and '@' cannot occur in
//     a path, so the suffix is unambiguous.
//
//   ${NAME}  in env values and command arguments: NAME's value in shipgate's own environment.
//     NAME is [A-Za-z_][A-Za-z0-9_]*; "$${" is a literal "${"; a '$' not followed by '{' is kept.
//     An unset NAME is an error naming it (never silently empty).
//
// Thread: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::runtime {

inline constexpr std::string_view kSecretRefPrefix = "secret:";

struct SecretRef {
  std::string path;                // normalised (SecretPath::str())
  std::optional<int64_t> version;  // "#N"
  std::string label;               // "@L"; empty = none
  // "/a/b", "/a/b#3" or "/a/b@stable": how messages name it.
  std::string describe() const;
};

// nullopt when `value` is not a reference (does not start with "secret:"); InvalidArgument with
// the reason when it is one but malformed (bad path, version not a positive integer, bad label).
Result<std::optional<SecretRef>> parseSecretRef(std::string_view value);

// NAME -> its value, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
// shipgate's own environment (getenv).
EnvLookup processEnvironment();

// The first syntax problem of ${...} in `text` ("unterminated ${", "empty ${}", "bad variable
// name"), with the byte offset of its '$'; nullopt when there is none. For config checks.
struct VariableProblem {
  std::string message;
  size_t offset = 0;
};
std::optional<VariableProblem> checkVariables(std::string_view text);

// Replaces every ${NAME} in `text` through `lookup`. InvalidArgument naming NAME when it is unset,
// or the syntax problem (checkVariables).
Result<std::string> expandVariables(std::string_view text, const EnvLookup& lookup);

}  // namespace shipgate::runtime
