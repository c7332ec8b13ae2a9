// SectionValidator: how an area above config/ validates its own section of the config. The loader
// reads the YAML into the plain model (config.h) and reports what it can check alone; then each
// validator passed to loadFile()/loadString() checks its area's part of the model (compiling what
// needs compiling), reports located diagnostics, and returns typed settings. The loader stores them
// in Config::sections under key(), so the area builds its runtime object from them without
// validating or compiling again. config/ knows no area: the caller (the composition root) passes
// the validators it wants.
//
// Thread: validate() is called on the loading thread; implementations must be stateless (one
// validator object may serve concurrent loads).
#pragma once

#include <memory>
#include <string_view>

#include "shipgate/config/config.h"
#include "shipgate/config/diagnostics.h"

namespace shipgate::config {

class SectionValidator {
 public:
  virtual ~SectionValidator() = default;
  // The key of Config::sections the settings are stored under ("firewall").
  virtual std::string_view key() const = 0;
  // Validates `config`'s section, reporting to `diags`. Returns the typed settings, or null when
  // the section has errors (they are in `diags`).
  virtual std::shared_ptr<const SectionSettings> validate(const Config& config,
                                                          Diagnostics& diags) const = 0;
};

}  // namespace shipgate::config
