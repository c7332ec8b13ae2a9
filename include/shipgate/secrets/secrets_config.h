// SecretsConfig: the `secrets:` section, read and validated by secretsSection() into immutable
// settings stored under Config::sections["secrets"].
//
//   secrets:
//     key_file: /etc/shipgate/secrets.key   # the root key file (root_key.h); relative paths are
//                                           # beside the config file
//     access:                               # which environment's apps may read which prefix
//       - environment: production
//         prefix: /coinestate/prod/
//
// A config without `secrets:` has no secrets (secretsConfigOf returns null). Thread-safety:
// immutable once loaded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"
#include "shipgate/secrets/secret_path.h"

namespace shipgate::secrets {

struct AccessRule {
  std::string environment;
  SecretPath prefix;
};

struct SecretsConfig final : config::SectionSettings {
  std::string key_file;  // absolute once validated
  std::vector<AccessRule> access;

  // True when a rule lets apps of `environment` read `path`. Nothing is readable without a rule.
  bool mayRead(const std::string& environment, const SecretPath& path) const;
};

// The validator of `secrets:` (key "secrets").
std::unique_ptr<config::SectionValidator> secretsSection();

// The settings of a loaded config, or null when it has no `secrets:` (or the validator did not
// run).
std::shared_ptr<const SecretsConfig> secretsConfigOf(const config::Config& config);

}  // namespace shipgate::secrets
