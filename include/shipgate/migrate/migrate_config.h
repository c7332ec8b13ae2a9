// DatabaseConfig: the `database:` section, read and validated by databaseSection() into settings
// stored under Config::sections["migrate"]; what `shipgate db --config F` migrates.
//
//   database:
//     url: postgres://app@127.0.0.1:5432/coinestate   # the application's database (libpq URL)
//     migrations: migrations                          # folder of YYYYMMDD_NNN_name.up.sql files;
//                                                     # relative paths are beside the config file
//
// Both keys are required when the section is present. A config without `database:` has none
// (databaseConfigOf returns null). Thread-safety: immutable once loaded.
#pragma once

#include <memory>
#include <string>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"

namespace shipgate::migrate {

struct DatabaseConfig final : config::SectionSettings {
  std::string url;
  std::string migrations_dir;  // absolute once validated
};

// The validator of `database:` (key "migrate").
std::unique_ptr<config::SectionValidator> databaseSection();

std::shared_ptr<const DatabaseConfig> databaseConfigOf(const config::Config& config);

}  // namespace shipgate::migrate
