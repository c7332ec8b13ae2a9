// SectionValidator: how an area above config/ reads and validates its own section of the config.
// The loader reads the config-wide sections (server, listeners, admin and the seed's blocks) into
// the model (config.h) and reports what it can check alone; then each validator passed to
// loadFile()/loadString(), in the order given, reads its area's top-level keys from the merged
// document (yaml.h) and/or checks its area's part of the model (compiling what needs compiling),
// reports located diagnostics, and returns typed settings. The loader stores them in
// Config::sections under key() before the next validator runs, so a later area may read an earlier
// one's settings (traffic reads health's). The area builds its runtime object from them without
// validating or compiling again. config/ knows no area: the caller (the composition root) passes
// the validators it wants.
//
// Thread: validation runs on the loading thread; implementations must be stateless (one validator
// object may serve concurrent loads).
#pragma once

#include <memory>
#include <string_view>

#include "shipgate/config/config.h"
#include "shipgate/config/diagnostics.h"
#include "shipgate/config/yaml.h"

namespace shipgate::config {

class SectionValidator {
 public:
  virtual ~SectionValidator() = default;
  // The key of Config::sections the settings are stored under ("firewall").
  virtual std::string_view key() const = 0;
  // Reads and validates the area's section: `document` is the merged config file (a map, or null;
  // kAreaSections lists the top-level keys areas read from it). Returns the typed settings, or null
  // when the section has errors (they are in `diags`). The default ignores `document` and calls
  // validate(config, diags), for areas whose section the loader reads into the model.
  virtual std::shared_ptr<const SectionSettings> validateDocument(const Config& config,
                                                                  const YNode& document,
                                                                  Diagnostics& diags) const {
    return validate(config, diags);
  }
  // Validates the area's part of the model `config`. The default returns null (no settings).
  virtual std::shared_ptr<const SectionSettings> validate(const Config& config,
                                                          Diagnostics& diags) const {
    return nullptr;
  }
};

// The section registry: the top-level keys of a config file that an area reads itself (through its
// SectionValidator), and the Config::sections key of that area. The loader knows them, so they are
// never "unknown keys", but does not read them: a load without that area's validator ignores them.
struct AreaSection {
  std::string_view key;      // top-level key of the file
  std::string_view section;  // SectionValidator::key() of the area that reads it
};
inline constexpr AreaSection kAreaSections[] = {
    {"apps", "traffic"},   // traffic/traffic_config.h
    {"checks", "health"},  // health/health_config.h
    {"notifications", "notify"},  // notify/notify_config.h
    {"sites", "traffic"},
    {"state", "release"},         // release/release_config.h
    {"environments", "release"},
    {"rollback_triggers", "watch"},  // watch/watch_config.h
    {"performance_slas", "watch"},
    {"rum", "rum"},        // rum/rum_config.h
    {"secrets", "secrets"},  // secrets/secrets_config.h
    {"database", "migrate"},  // migrate/migrate_config.h
    {"gates", "gates"},       // gates/gates_config.h (with the seed's quality_gates)
    {"flags", "flags"},       // flags/flags_config.h
};

}  // namespace shipgate::config
