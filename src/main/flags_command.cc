// `shipgate flags get|set|list|history`: the feature flags of an environment in the state store
// (state.dir, or state.url for PostgreSQL), in flagd's flag-definition JSON.
//
//   shipgate flags set --env production --file flags.json --reason "beta for staff"
//   shipgate flags set --env production new-checkout --file one-flag.json --cas 3
//   shipgate flags get --env production new-checkout [--version N] [--json]
//   shipgate flags list --env production [--json]
//   shipgate flags history --env production [new-checkout] [--json]
//
// `set` reads a whole flagd document ({"flags": {...}, "$evaluators": {...}}) or, with KEY, one
// flag's definition, from --file or stdin. Bad JSON is named by line:col, a bad definition by
// flag and JSON pointer. Exit statuses, as `shipgate secrets`: 0 done, 1 refused or failed (not
// found, CAS mismatch, invalid definitions), 2 usage, config or store errors.
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "shipgate/common/clock.h"
#include "shipgate/config/loader.h"
#include "shipgate/flags/flag_store.h"
#include "shipgate/release/release_config.h"

namespace shipgate::cli {
namespace {

using flags::FlagStore;
using flags::FlagVersion;
using json = nlohmann::json;

std::string actorOf(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("SHIPGATE_ACTOR"); env != nullptr && *env != '\0') return env;
  if (const struct passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "unknown";
}

std::string timeText(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int fail(const Status& status) {
  std::cerr << "shipgate flags: " << status.message() << "\n";
  switch (status.code()) {
    case Status::Code::kNotFound:
    case Status::Code::kFailedPrecondition:
      return 1;
    default:
      return 2;
  }
}

std::unique_ptr<FlagStore> openStore(const std::string& config_path) {
  config::LoadResult loaded = config::loadFile(config_path, configSections());
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kError) std::cerr << d.toString() << "\n";
  }
  if (loaded.config == nullptr) return nullptr;
  const release::ReleaseConfig& cfg = release::releaseConfigOf(*loaded.config);
  auto store = flags::openFlagStore(cfg.state_dir, cfg.state_url);
  if (!store.isOk()) {
    std::cerr << "shipgate flags: " << store.status().message() << "\n";
    return nullptr;
  }
  return std::move(store).value();
}

json versionJson(const FlagVersion& v) {
  return {{"environment", v.environment}, {"key", v.key},
          {"version", v.version},         {"definition", v.definition},
          {"created_at", timeText(v.created_at)}, {"created_by", v.created_by},
          {"reason", v.reason}};
}

void printLine(const FlagVersion& v) {
  const json& d = v.definition;
  std::cout << v.key << "\tv" << v.version << "\t" << d.value("state", "?") << "\tdefault "
            << (d.contains("defaultVariant") && d["defaultVariant"].is_string()
                    ? d["defaultVariant"].get<std::string>()
                    : std::string("(code)"))
            << (d.contains("targeting") ? "\ttargeting" : "") << "\t" << timeText(v.created_at)
            << "\t" << v.created_by << (v.reason.empty() ? "" : "\t" + v.reason) << "\n";
}

Result<std::string> readInput(const std::string& file) {
  std::stringstream ss;
  if (file.empty() || file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(file);
    if (!in) return Status::invalidArgument("--file " + file + ": cannot be read");
    ss << in.rdbuf();
  }
  std::string text = ss.str();
  if (text.size() > flags::kMaxDocumentBytes) {
    return Status::invalidArgument("more than the " + std::to_string(flags::kMaxDocumentBytes) +
                                   " bytes a flag document may have");
  }
  return text;
}

int runSet(FlagStore& store, const FlagsOptions& o) {
  auto text = readInput(o.file);
  if (!text.isOk()) return fail(text.status());
  const std::string where = o.file.empty() || o.file == "-" ? "stdin" : o.file;
  const flags::ParsedDefinitions parsed = flags::parseDefinitions(
      *text, o.key.empty() ? std::nullopt : std::optional<std::string>(o.key));
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) std::cerr << where << ": " << e.toString() << "\n";
    return 1;
  }
  auto out = store.set(o.env, parsed.flags, o.cas, actorOf(o.actor), o.reason,
                       RealClock::instance().wallMillis());
  if (!out.isOk()) return fail(out.status());
  if (o.json) {
    json j = {{"written", json::array()}, {"unchanged", out->unchanged}};
    for (const auto& v : out->written) j["written"].push_back(versionJson(v));
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& v : out->written) {
    std::cout << o.env << "/" << v.key << " version " << v.version << "\n";
  }
  for (const auto& k : out->unchanged) std::cout << o.env << "/" << k << " unchanged\n";
  return 0;
}

}  // namespace

CLI::App* addFlagsCommand(CLI::App& app, FlagsOptions& o) {
  auto* cmd = app.add_subcommand("flags", "Feature flags per environment (flagd JSON, OFREP)");
  cmd->require_subcommand(1);
  cmd->add_option("-c,--config", o.config_path, "Config file (state.dir or state.url)")
      ->capture_default_str();
  cmd->add_option("--actor", o.actor, "Who is writing (audited; default $SHIPGATE_ACTOR, else "
                                      "the login name)");
  auto sub = [&](const char* name, const char* what) {
    auto* c = cmd->add_subcommand(name, what);
    c->add_option("--env", o.env, "Environment, e.g. production")->required();
    c->add_flag("--json", o.json, "JSON output");
    c->callback([&o, name] { o.command = name; });
    return c;
  };
  auto* get = sub("get", "A flag's definition (newest version unless --version)");
  get->add_option("key", o.key, "Flag key")->required();
  get->add_option("--version", o.version, "Version number");
  sub("list", "Every flag of the environment (newest versions)");
  auto* history = sub("history", "Every version of KEY (or of every flag)");
  history->add_option("key", o.key, "Flag key");
  auto* set = sub("set", "Write a flagd document, or with KEY one flag, from --file or stdin");
  set->add_option("key", o.key, "Flag key: the input is that one flag's definition");
  set->add_option("--file", o.file, "Read from this file (default: stdin)");
  set->add_option("--reason", o.reason, "Why (kept with the version and in the audit log)");
  set->add_option("--cas", o.cas, "Only if KEY's newest version is N (0: only if absent)");
  return cmd;
}

int runFlags(const FlagsOptions& o) {
  std::unique_ptr<FlagStore> store = openStore(o.config_path);
  if (!store) return 2;
  if (o.command == "set") return runSet(*store, o);
  if (o.command == "get") {
    auto v = store->get(o.env, o.key, o.version);
    if (!v.isOk()) return fail(v.status());
    if (o.json) {
      std::cout << versionJson(*v).dump(2) << "\n";
    } else {
      // The definition as a flagd document: what `set` takes back.
      std::cout << json{{"flags", {{v->key, v->definition}}}}.dump(2) << "\n";
    }
    return 0;
  }
  if (o.command == "list" || o.command == "history") {
    auto rows = o.command == "list" ? store->list(o.env) : store->history(o.env, o.key);
    if (!rows.isOk()) return fail(rows.status());
    if (o.command == "history" && !o.key.empty() && rows->empty()) {
      return fail(Status::notFound("flag '" + o.key + "' not found in " + o.env));
    }
    if (o.json) {
      json j = json::array();
      for (const auto& v : *rows) j.push_back(versionJson(v));
      std::cout << j.dump(2) << "\n";
    } else {
      for (const auto& v : *rows) printLine(v);
    }
    return 0;
  }
  return 2;
}

}  // namespace shipgate::cli
