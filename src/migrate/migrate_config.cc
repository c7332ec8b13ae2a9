// The `database:` section validator (see migrate/migrate_config.h).
#include "shipgate/migrate/migrate_config.h"

#include "shipgate/config/yaml.h"
#include "shipgate/store/postgres_connection.h"

namespace shipgate::migrate {
namespace {

using config::MapView;
using config::YEntry;
using config::YNode;

class DatabaseSection final : public config::SectionValidator {
 public:
  std::string_view key() const override { return "migrate"; }

  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config&, const YNode& document, config::Diagnostics& d) const override {
    const YEntry* entry = document.isMap() ? document.find("database") : nullptr;
    if (entry == nullptr || entry->value.isNull()) return nullptr;
    const bool had_errors = d.hasErrors();
    auto out = std::make_shared<DatabaseConfig>();
    MapView m(entry->value, "database", d);
    if (!m.isMap()) {
      d.error(entry->value.where, "database: expected a map {url, migrations}, found " +
                                      std::string(entry->value.kindName()));
      return nullptr;
    }
    if (const YNode* url = m.take("url"); url == nullptr) {
      d.error(m.node().where, "database.url: missing (postgres://user@host:port/dbname)");
    } else if (m.getString("url", out->url)) {
      if (Status s = store::pg::validateUrl(out->url); !s.isOk()) {
        d.error(url->where, "database.url: " + s.message());
      }
    }
    if (m.take("migrations") == nullptr) {
      d.error(m.node().where, "database.migrations: missing (the folder of migration files)");
    } else {
      m.getPath("migrations", out->migrations_dir);
    }
    m.finish("x-");
    if (!had_errors && d.hasErrors()) return nullptr;
    return out;
  }
};

}  // namespace

std::unique_ptr<config::SectionValidator> databaseSection() {
  return std::make_unique<DatabaseSection>();
}

std::shared_ptr<const DatabaseConfig> databaseConfigOf(const config::Config& config) {
  return config.section<DatabaseConfig>("migrate");
}

}  // namespace shipgate::migrate
