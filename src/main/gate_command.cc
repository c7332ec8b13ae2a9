// `shipgate release create` (a release with its reports, uploaded to the admin API) and
// `shipgate gate check` (the quality gates of a release, from the state store). Exit statuses in
// commands.h.
#include <CLI/CLI.hpp>
#include <httplib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "admin_client.h"
#include "commands.h"
#include "shipgate/admin/timestamp.h"
#include "shipgate/config/loader.h"
#include "shipgate/gates/gates_config.h"
#include "shipgate/release/gate_check.h"
#include "shipgate/release/release_config.h"
#include "shipgate/store/open_state_store.h"

namespace shipgate::cli {
namespace {

constexpr int kUsage = 2, kRefused = 1, kUnreachable = 4;

bool validVersionText(const std::string& v) {
  if (v.empty() || v.size() > 64) return false;
  for (unsigned char c : v) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-')) return false;
  }
  return true;
}

// Reads at most the report limit (+1 to tell a larger file).
bool readReport(const std::string& path, std::string& out, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = path + ": not a readable file";
    return false;
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    error = path + ": " + ec.message();
    return false;
  }
  if (size > static_cast<uintmax_t>(store::kMaxReleaseReportBytes)) {
    error = path + " is " + std::to_string(size) + " bytes; a report may be at most " +
            std::to_string(store::kMaxReleaseReportBytes) + " bytes (16 MiB)";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  out = buf.str();
  return true;
}

}  // namespace

CLI::App* addReleaseCommand(CLI::App& app, ReleaseCreateOptions& o,
                            const std::function<void(CLI::App*)>& add_client_opts) {
  auto* release = app.add_subcommand("release", "Record releases ahead of their deployment");
  release->require_subcommand(1);
  auto* create = release->add_subcommand(
      "create", "Record a release with the reports its quality gates read (admin API)");
  add_client_opts(create);
  create->add_option("--app", o.app, "App name")->required();
  create->add_option("--version", o.version, "Release version, e.g. v2")->required();
  create->add_option("--artifact", o.artifact,
                     "Release directory (process apps; measured by a performance_budget gate) "
                     "or static folder / .tar.gz");
  create->add_option("--commit", o.commit_sha, "Commit SHA");
  create->add_option("--commit-time", o.commit_time,
                     "Commit time: RFC 3339 or ms since the epoch (needs --commit)");
  create->add_option("--report", o.reports,
                     "KIND=FILE, repeatable; KIND: lcov, cobertura, junit, npm-audit, sarif, "
                     "trivy, axe");
  return create;
}

int runReleaseCreate(const ClientOptions& client, const ReleaseCreateOptions& o) {
  const char* what = "release create";
  if (!validAppName(o.app, what)) return kUsage;
  if (!validVersionText(o.version)) {
    std::cerr << "shipgate release create: --version must be 1..64 of letters, digits, '.', '_', "
                 "'+', '-' (got '"
              << o.version << "')\n";
    return kUsage;
  }
  if (!o.commit_time.empty() && o.commit_sha.empty()) {
    std::cerr << "shipgate release create: --commit-time needs --commit\n";
    return kUsage;
  }
  httplib::MultipartFormDataItems items;
  items.push_back({"version", o.version, "", ""});
  if (!o.artifact.empty()) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(o.artifact, ec);
    items.push_back({"artifact", ec ? o.artifact : abs.lexically_normal().string(), "", ""});
  }
  if (!o.commit_sha.empty()) items.push_back({"commit_sha", o.commit_sha, "", ""});
  if (!o.commit_time.empty()) items.push_back({"commit_time", o.commit_time, "", ""});
  for (const std::string& spec : o.reports) {
    const size_t eq = spec.find('=');
    gates::ReportKind kind;
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      std::cerr << "shipgate release create: --report " << spec << ": expected KIND=FILE\n";
      return kUsage;
    }
    const std::string kind_name = spec.substr(0, eq), path = spec.substr(eq + 1);
    if (!gates::parseReportKind(kind_name, kind)) {
      std::cerr << "shipgate release create: --report " << spec << ": unknown kind \""
                << kind_name << "\" (lcov, cobertura, junit, npm-audit, sarif, trivy, axe)\n";
      return kUsage;
    }
    std::string content, error;
    if (!readReport(path, content, error)) {
      std::cerr << "shipgate release create: --report " << kind_name << ": " << error << "\n";
      return kUsage;
    }
    items.push_back({kind_name, std::move(content),
                     std::filesystem::path(path).filename().string(), "application/octet-stream"});
  }
  auto t = resolveTarget(client);
  if (!t) {
    std::cerr << "shipgate release create: " << t.status().message() << "\n";
    return kUsage;
  }
  httplib::Client cli(t->host, t->port);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(120, 0);
  cli.set_write_timeout(120, 0);
  httplib::Headers headers = {{"Authorization", "Bearer " + t->token}};
  if (!t->actor.empty()) headers.emplace("X-Shipgate-Actor", t->actor);
  auto r = cli.Post(("/api/v1/apps/" + o.app + "/releases").c_str(), headers, items);
  if (!r) {
    std::cerr << "shipgate release create: cannot reach the admin API at " << t->host << ":"
              << t->port << ": " << httplib::to_string(r.error()) << "\n";
    return kUnreachable;
  }
  nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status == 201 && body.is_object()) {
    std::cout << "release " << o.app << " " << o.version << " recorded";
    const auto& reports = body.value("reports", nlohmann::json::array());
    std::cout << " with " << reports.size() << " report(s)\n";
    for (const auto& rep : reports) {
      std::cout << "  " << rep.value("kind", "") << "  " << rep.value("name", "") << "  "
                << rep.value("size", 0) << " bytes  sha256 " << rep.value("sha256", "") << "\n";
    }
    return 0;
  }
  std::string message = body.is_object() && body.contains("error") && body["error"].is_string()
                            ? body["error"].get<std::string>()
                            : r->body.substr(0, 300);
  std::cerr << "shipgate release create: refused (" << r->status << "): " << message << "\n";
  if (r->status == 401) return kUsage;
  return kRefused;
}

CLI::App* addGateCommand(CLI::App& app, GateCheckOptions& o) {
  auto* gate = app.add_subcommand("gate", "Quality gates");
  gate->require_subcommand(1);
  auto* check = gate->add_subcommand(
      "check", "Evaluate the quality gates of a release against its stored reports");
  check->add_option("-c,--config", o.config_path, "Config file (quality_gates, gates, state)")
      ->capture_default_str();
  check->add_option("--app", o.app, "App name")->required();
  check->add_option("--version", o.version, "Release version")->required();
  check->add_flag("--json", o.json, "Print JSON");
  return check;
}

int runGateCheck(const GateCheckOptions& o) {
  config::LoadResult loaded = config::loadFile(o.config_path, configSections());
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::cerr << d.toString() << "\n";
    return kUsage;
  }
  auto gates_config = gates::gatesConfigOf(*loaded.config);
  if (gates_config == nullptr || gates_config->gates.empty()) {
    std::cerr << "shipgate gate check: " << o.config_path
              << " has no quality_gates: block; nothing to check\n";
    return kUsage;
  }
  const release::ReleaseConfig& rc = release::releaseConfigOf(*loaded.config);
  const release::AppRelease* app = rc.findApp(o.app);
  auto store = store::openStateStore(rc.state_dir, rc.state_url);
  if (!store.isOk()) {
    std::cerr << "shipgate gate check: " << store.status().message() << "\n";
    return kUsage;
  }
  auto rel = (*store)->findRelease(o.app, o.version);
  if (!rel) {
    std::cerr << "shipgate gate check: " << rel.status().message()
              << " (shipgate release create --app " << o.app << " --version " << o.version
              << " --report KIND=FILE ...)\n";
    return kUsage;
  }
  release::GateCheckInput in{o.app, o.version, app != nullptr ? app->environment : "",
                             rel->artifact};
  auto check = release::checkGates(*gates_config, **store, in);
  if (!check) {
    std::cerr << "shipgate gate check: " << check.status().message() << "\n";
    return kUsage;
  }
  if (o.json) {
    std::cout << check->toJson().dump(2) << "\n";
  } else {
    std::cout << check->toText();
    const int rc_code = check->exitCode();
    std::cout << (rc_code == 0   ? "all gates pass"
                  : rc_code == 1 ? "a gate fails"
                                 : "a report is missing or unreadable")
              << " (" << o.app << " " << o.version
              << (in.environment.empty() ? "" : ", environment " + in.environment) << ")\n";
  }
  return check->exitCode();
}

}  // namespace shipgate::cli
