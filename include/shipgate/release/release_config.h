// The release area's section of the config: `state:` (where the state store lives),
// `environments:` (approval, bake, triggers, scale-down delay per environment) and, per app of
// `apps:`, the `environment:` and `release:` keys (runtime, smoke checks, accessibility scan, switch steps, bake,
// scale-down delay, keep_releases; `release.runtime` is read by runtime::readRuntime). An app with a `release:` block is managed: the release
// controller runs its releases and fills its slots with their replicas (traffic marks it
// AppConfig::managed and accepts slots without endpoints).
//
// Defaults: no `environments:` means one environment "production" with approval required, bake
// 1h, triggers on, scale_down_delay 5m. An app without `environment:` is in "production" when that
// exists, else in the only environment there is (more than one: an error naming them).
// `state.dir` defaults to "shipgate-state" beside the config file. `state.url`
// (postgres://user:password@host:port/dbname) puts the state store, and the secrets store, in
// PostgreSQL instead; state.dir still holds the runtime's logs and static releases.
//
// Use: pass releaseSection().get() to config::loadFile() after traffic's section; the settings
// land in Config::sections["release"] and releaseConfigOf() finds them there.
// Thread: pure functions; a ReleaseConfig is immutable once built and shared read-only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"
#include "shipgate/config/yaml.h"
#include "shipgate/runtime/runtime_config.h"

namespace shipgate::release {

struct EnvironmentConfig {
  std::string name;
  bool approval_required = true;
  config::Millis bake{3'600'000};
  bool triggers = true;
  config::Millis scale_down_delay{300'000};
  // `migrations_tested_in: staging`: a deployment here whose release has pending migrations is
  // refused unless a succeeded deployment of the same app and version in that environment
  // applied them (its migrate step succeeded); empty = no such rule.
  std::string migrations_tested_in;
  config::Location where;
};

struct SmokeCheck {
  std::string method = "GET";
  std::string path;  // starts with '/'
  int expect_status = 200;
  std::string expect_body;  // substring; "" = no condition
  std::optional<std::string> json_pointer;
  nlohmann::json json_equals;  // compared when json_pointer is set
  config::Millis timeout{5'000};
  config::Location where;
};

struct SwitchSpec {
  std::vector<int> steps;  // percent on the new slot, increasing, last 100; empty = all at once
  config::Millis hold{30'000};
};

// `release.accessibility:` the deploy's accessibility step (release/accessibility_step.h): the
// pages loaded from the idle slot in headless Chromium with axe-core before the switch.
struct AccessibilityScan {
  std::vector<std::string> url_paths;  // each starts with '/'; empty = the step is skipped
  config::Millis timeout{60'000};      // the whole scan (all pages); > 0
  std::string runner;                  // axe-scan.js; "" = gates::defaultAxeRunner()
  config::Location where;
};

// `release.database`: the app's own PostgreSQL database, which the deploy step `migrate` brings
// up to the new release's migrations (release/migration_step.h).
//   url         postgres://user@host:port/db, a `secret:/path` reference (#version, @label) or
//               text with ${VAR}, resolved at each deployment like runtime.env values
//   migrations  the folder of YYYYMMDD_NNN_name.up.sql files: relative paths are inside the
//               release's artifact (its release directory), absolute ones are used as they are;
//               default "migrations"
//   tested_as   the app's name in the environment its migrations are tested in (the
//               environment's migrations_tested_in), e.g. api-staging; default: its own name
struct AppDatabase {
  std::string url;
  std::string migrations = "migrations";
  std::string tested_as;
  config::Location where;
  config::Location tested_as_where;
};

struct AppRelease {
  std::string app;
  std::string environment;  // resolved name
  runtime::RuntimeConfig runtime;  // read by runtime::readRuntime
  int keep_releases = 5;
  std::vector<SmokeCheck> smoke;
  SwitchSpec switch_spec;
  std::optional<config::Millis> bake;              // overrides the environment's
  std::optional<config::Millis> scale_down_delay;  // overrides the environment's
  config::Millis health_timeout{120'000};          // the health step's limit
  std::string release_root;  // process: releases live in <release_root>/<version> when set
  // process: when a secret its runtime.env references (secret:/path, not pinned by #version)
  // gets a new current version, the live version is deployed again through the normal procedure
  // (release/secret_watch.h). Default false.
  bool restart_on_secret_change = false;
  AccessibilityScan accessibility;
  std::optional<AppDatabase> database;  // none: the migrate step is skipped
  config::Location where;
};

class ReleaseConfig : public config::SectionSettings {
 public:
  ReleaseConfig();  // the defaults: production only, no managed apps, state_dir "shipgate-state"
  std::string state_dir;  // absolute once validated
  // state.url: empty for the SQLite store in state_dir, else a postgres:// or postgresql:// URL
  // (PostgresStateStore; the secrets store then lives in the same database).
  std::string state_url;
  std::vector<EnvironmentConfig> environments;
  std::vector<AppRelease> apps;  // managed apps only
  // Environment names of every app of `apps:` (managed or not).
  std::map<std::string, std::string> app_environment;

  const AppRelease* findApp(std::string_view app) const;
  const EnvironmentConfig* findEnvironment(std::string_view name) const;
  // The effective bake and scale-down delay of a managed app.
  config::Millis bakeOf(const AppRelease& app) const;
  config::Millis scaleDownDelayOf(const AppRelease& app) const;
};

inline constexpr std::string_view kReleaseSection = "release";

std::shared_ptr<const ReleaseConfig> validateReleaseConfig(const config::Config& config,
                                                           const config::YNode& document,
                                                           config::Diagnostics& diags);

// The validator to give config::loadFile() (stateless).
std::unique_ptr<config::SectionValidator> releaseSection();

// The ReleaseConfig the loader stored in `config`; a default one (production only, no managed
// apps) for a Config loaded without releaseSection().
const ReleaseConfig& releaseConfigOf(const config::Config& config);

}  // namespace shipgate::release
