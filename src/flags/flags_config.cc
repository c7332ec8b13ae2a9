#include "shipgate/flags/flags_config.h"

#include <fstream>
#include <sstream>

#include "shipgate/config/yaml.h"
#include "shipgate/flags/flag_store.h"

namespace shipgate::flags {
namespace {

class FlagsSection final : public config::SectionValidator {
 public:
  std::string_view key() const override { return "flags"; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config&, const config::YNode& document,
      config::Diagnostics& d) const override {
    const bool had_errors = d.hasErrors();
    auto out = std::make_shared<FlagsConfig>();
    const config::YEntry* e = document.isMap() ? document.find("flags") : nullptr;
    if (e != nullptr && !e->value.isNull()) {
      config::MapView m(e->value, "flags", d);
      if (m.isMap()) {
        if (m.getString("environment", out->environment) &&
            !validEnvironment(out->environment)) {
          d.error(m.take("environment")->where,
                  "flags.environment: \"" + out->environment +
                      "\" is not an environment name (lowercase letters, digits, _ and -)");
        }
        m.getBool("ofrep", out->ofrep);
        if (m.getPath("token_file", out->token_file)) {
          std::ifstream in(out->token_file);
          std::stringstream ss;
          ss << in.rdbuf();
          out->token = ss.str();
          while (!out->token.empty() && std::isspace(static_cast<unsigned char>(out->token.back()))) {
            out->token.pop_back();
          }
          if (!in || out->token.empty()) {
            d.error(m.take("token_file")->where,
                    "flags.token_file: " + out->token_file + " cannot be read or is empty");
          }
        }
        if (m.getSize("max_body_bytes", 64, out->max_body_bytes) &&
            out->max_body_bytes > 1024 * 1024) {
          d.error(m.take("max_body_bytes")->where, "flags.max_body_bytes: at most 1MiB");
        }
        if (m.getDuration("poll_interval", out->poll_interval) &&
            (out->poll_interval < Millis(50) || out->poll_interval > Millis(60'000))) {
          d.error(m.take("poll_interval")->where, "flags.poll_interval: between 50ms and 60s");
        }
        m.finish("x-");
      }
    }
    if (!had_errors && d.hasErrors()) return nullptr;
    return out;
  }
};

}  // namespace

std::unique_ptr<config::SectionValidator> flagsSection() {
  return std::make_unique<FlagsSection>();
}

std::shared_ptr<const FlagsConfig> flagsConfigOf(const config::Config& config) {
  auto s = config.section<FlagsConfig>("flags");
  if (s) return s;
  static const auto kDefaults = std::make_shared<const FlagsConfig>();
  return kDefaults;
}

}  // namespace shipgate::flags
