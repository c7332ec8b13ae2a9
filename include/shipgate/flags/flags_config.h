// FlagsConfig: the `flags:` section, read and validated by flagsSection() into immutable settings
// stored under Config::sections["flags"].
//
//   flags:
//     environment: production   # whose flags OFREP answers with on the public listeners
//     ofrep: true               # serve POST /ofrep/v1/evaluate/flags[/{key}] (false: 404 there)
//     token_file: ofrep.token   # optional: callers send "Authorization: Bearer T" or
//                               # "X-API-Key: T" (401 without, 403 with another)
//     max_body_bytes: 64KiB     # an evaluation request's body; 413 above
//     poll_interval: 500ms      # how often serve checks the store for flag changes
//
// Every key is optional; without `flags:` OFREP answers with the flags of "production".
// Thread-safety: immutable once loaded.
#pragma once

#include <memory>
#include <string>

#include "shipgate/common/clock.h"
#include "shipgate/config/config.h"
#include "shipgate/config/section.h"

namespace shipgate::flags {

struct FlagsConfig final : config::SectionSettings {
  std::string environment = "production";
  bool ofrep = true;
  std::string token_file;
  std::string token;  // the token file's content (trailing whitespace cut), read at load
  size_t max_body_bytes = 64 * 1024;
  Millis poll_interval{500};
};

// The validator of `flags:` (key "flags").
std::unique_ptr<config::SectionValidator> flagsSection();

// The settings of a loaded config, or the defaults. Never null.
std::shared_ptr<const FlagsConfig> flagsConfigOf(const config::Config& config);

}  // namespace shipgate::flags
