// The `secrets:` section validator (see secrets/secrets_config.h).
#include "shipgate/secrets/secrets_config.h"

#include <optional>

#include "shipgate/config/yaml.h"

namespace shipgate::secrets {
namespace {

using config::MapView;
using config::YEntry;
using config::YNode;

bool validEnvironment(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

class SecretsSection final : public config::SectionValidator {
 public:
  std::string_view key() const override { return "secrets"; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config&, const YNode& document, config::Diagnostics& d) const override {
    const YEntry* entry = document.isMap() ? document.find("secrets") : nullptr;
    if (entry == nullptr || entry->value.isNull()) return nullptr;
    const bool had_errors = d.hasErrors();
    auto out = std::make_shared<SecretsConfig>();
    MapView m(entry->value, "secrets", d);
    if (m.isMap()) read(m, *out);
    if (!had_errors && d.hasErrors()) return nullptr;
    return out;
  }

 private:
  static void read(MapView& m, SecretsConfig& out) {
    config::Diagnostics& d = m.diags();
    if (m.take("key_file") == nullptr) {
      d.error(m.node().where, "secrets.key_file: missing (the root key file, mode 0600)");
    } else {
      m.getPath("key_file", out.key_file);
    }
    if (const YNode* access = m.take("access")) {
      if (!access->isSeq()) {
        d.error(access->where, "secrets.access: expected a list of {environment, prefix}, found " +
                                   std::string(access->kindName()));
      } else {
        for (size_t i = 0; i < access->items.size(); ++i) readRule(access->items[i], i, d, out);
      }
    }
    m.finish("x-");
  }

  static void readRule(const YNode& item, size_t i, config::Diagnostics& d, SecretsConfig& out) {
    const std::string path = config::itemPath("secrets.access", i);
    MapView rule(item, path, d);
    if (!rule.isMap()) {
      d.error(item.where, path + ": expected a map {environment, prefix}, found " +
                              std::string(item.kindName()));
      return;
    }
    std::string environment;
    std::string prefix_text;
    if (rule.take("environment") == nullptr) d.error(item.where, path + ".environment: missing");
    if (rule.take("prefix") == nullptr) d.error(item.where, path + ".prefix: missing");
    const bool has_env = rule.getString("environment", environment);
    const bool has_prefix = rule.getString("prefix", prefix_text);
    if (has_env && !validEnvironment(environment)) {
      d.error(rule.entry("environment")->value.where,
              path + ".environment: \"" + environment +
                  "\" is not an environment name (letters, digits, _ and -, at most 64)");
    }
    std::optional<SecretPath> prefix;
    if (has_prefix) {
      Result<SecretPath> parsed = SecretPath::parsePrefix(prefix_text);
      if (!parsed.isOk()) {
        d.error(rule.entry("prefix")->value.where, path + ".prefix: " + parsed.status().message());
      } else {
        prefix = std::move(parsed).value();
      }
    }
    rule.finish("x-");
    if (!has_env || !prefix || !validEnvironment(environment)) return;
    for (const AccessRule& r : out.access) {
      if (r.environment == environment && r.prefix == *prefix) {
        d.warning(item.where,
                  path + ": repeats the rule for " + environment + " on " + prefix->str());
        return;
      }
    }
    out.access.push_back({environment, std::move(*prefix)});
  }
};

}  // namespace

bool SecretsConfig::mayRead(const std::string& environment, const SecretPath& path) const {
  for (const AccessRule& r : access) {
    if (r.environment == environment && path.isUnder(r.prefix)) return true;
  }
  return false;
}

std::unique_ptr<config::SectionValidator> secretsSection() {
  return std::make_unique<SecretsSection>();
}

std::shared_ptr<const SecretsConfig> secretsConfigOf(const config::Config& config) {
  return config.section<SecretsConfig>("secrets");
}

}  // namespace shipgate::secrets
