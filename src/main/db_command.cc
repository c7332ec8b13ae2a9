// `shipgate db status|migrate|rollback --migration ID|verify` (see commands.h and
// migrate/migrations.h). The database and the folder come from --config (its `database:`
// section) or from --database-url and --dir.
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "shipgate/config/loader.h"
#include "shipgate/migrate/migrate_config.h"
#include "shipgate/migrate/migrations.h"

namespace shipgate::cli {
namespace {

std::string userName() {
  if (const char* env = std::getenv("SHIPGATE_ACTOR"); env != nullptr && *env != '\0') return env;
  if (const struct passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "uid:" + std::to_string(geteuid());
}

int fail(const DbOptions& o, const std::string& message, int code) {
  std::cerr << "shipgate db " << o.command << ": " << message << "\n";
  return code;
}

}  // namespace

CLI::App* addDbCommand(CLI::App& app, DbOptions& o) {
  auto* db = app.add_subcommand("db", "Database migrations (PostgreSQL)");
  db->require_subcommand(1);
  auto common = [&o](CLI::App* c) {
    c->add_option("-c,--config", o.config_path, "Config file with a database: section");
    c->add_option("--database-url", o.database_url, "postgres:// URL (instead of --config)");
    c->add_option("--dir", o.dir, "Migrations folder (instead of --config)");
    c->callback([&o, c] { o.command = c->get_name(); });
  };
  common(db->add_subcommand("status", "Each migration: applied, pending, drifted or missing"));
  auto* migrate = db->add_subcommand("migrate", "Apply the pending migrations");
  common(migrate);
  migrate->add_option("--by", o.by, "Recorded as applied_by (default: $SHIPGATE_ACTOR, else the user)");
  migrate->add_option("--deployment", o.deployment, "Deployment id recorded with each migration");
  auto* rollback = db->add_subcommand(
      "rollback", "Run the down files of ID and every newer applied migration, newest first");
  common(rollback);
  rollback->add_option("--migration", o.migration, "The oldest migration to roll back (YYYYMMDD_NNN)")
      ->required();
  common(db->add_subcommand("verify", "Compare applied migrations' checksums with the files"));
  return db;
}

int runDb(const DbOptions& o) {
  std::string url = o.database_url, dir = o.dir;
  if (!o.config_path.empty()) {
    if (!url.empty() || !dir.empty()) {
      return fail(o, "give --config, or --database-url and --dir, not both", 2);
    }
    std::vector<const config::SectionValidator*> sections = configSections();
    static const std::unique_ptr<config::SectionValidator> database = migrate::databaseSection();
    bool has = false;
    for (auto* s : sections) has = has || s->key() == "migrate";
    if (!has) sections.push_back(database.get());
    config::LoadResult loaded = config::loadFile(o.config_path, sections);
    bool errors = loaded.config == nullptr;
    for (const auto& d : loaded.diagnostics) {
      if (d.severity == config::Diagnostic::Severity::kError) {
        errors = true;
        std::cerr << d.toString() << "\n";
      }
    }
    if (errors) return 2;
    auto settings = migrate::databaseConfigOf(*loaded.config);
    if (!settings) return fail(o, o.config_path + ": no database: section", 2);
    url = settings->url;
    dir = settings->migrations_dir;
  } else if (url.empty() || dir.empty()) {
    return fail(o, "needs --config F, or --database-url URL and --dir DIR", 2);
  }
  if (Status s = store::pg::validateUrl(url); !s.isOk()) return fail(o, s.message(), 2);
  auto migrations = migrate::loadMigrations(dir);
  if (!migrations.isOk()) return fail(o, migrations.status().message(), 2);
  auto conn = store::pg::PgConnection::connect(url);
  if (!conn.isOk()) return fail(o, conn.status().message(), 1);
  store::pg::PgConnection& c = **conn;

  if (o.command == "status" || o.command == "verify") {
    auto entries = migrate::status(c, *migrations);
    if (!entries.isOk()) return fail(o, entries.status().message(), 1);
    int bad = 0;
    for (const auto& e : *entries) {
      bool drift = e.state == migrate::State::kDrifted || e.state == migrate::State::kMissing;
      bad += drift;
      if (o.command == "verify" && !drift) continue;
      std::cout << e.id << "_" << e.name << " " << migrate::stateName(e.state);
      if (!e.applied_at.empty()) std::cout << " " << e.applied_at << " by " << e.applied_by;
      if (!e.deployment.empty()) std::cout << " deployment " << e.deployment;
      std::cout << "\n";
    }
    if (o.command == "verify") {
      if (bad == 0) {
        std::cout << "ok: every applied migration matches its file\n";
        return 0;
      }
      std::cerr << "shipgate db verify: " << bad << " applied migration(s) do not match their files\n";
      return 1;
    }
    return 0;
  }
  if (o.command == "migrate") {
    migrate::ApplyOptions options{o.by.empty() ? userName() : o.by, o.deployment};
    auto done = migrate::migrate(c, *migrations, options);
    if (!done.isOk()) return fail(o, done.status().message(), 1);
    for (const auto& label : *done) std::cout << "applied " << label << "\n";
    if (done->empty()) std::cout << "nothing to apply\n";
    return 0;
  }
  if (o.command == "rollback") {
    if (!migrate::parseMigrationFileName(o.migration + "_x.up.sql").isOk() ||
        o.migration.size() != 12) {
      return fail(o, "--migration: expected an id YYYYMMDD_NNN, got \"" + o.migration + "\"", 2);
    }
    auto done = migrate::rollback(c, *migrations, o.migration);
    if (!done.isOk()) return fail(o, done.status().message(), 1);
    for (const auto& label : *done) std::cout << "rolled back " << label << "\n";
    return 0;
  }
  return fail(o, "unknown command", 2);
}

}  // namespace shipgate::cli
