#include "shipgate/release/release_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>

#include <unistd.h>

#include "shipgate/runtime/env_refs.h"
#include "shipgate/store/postgres_connection.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::release {

using config::childPath;
using config::Diagnostics;
using config::itemPath;
using config::MapView;
using config::YEntry;
using config::YNode;

namespace {

EnvironmentConfig productionDefault() {
  EnvironmentConfig env;
  env.name = "production";
  return env;
}

void loadEnvironments(const YNode& n, Diagnostics& d, ReleaseConfig& out) {
  if (!n.isMap()) {
    d.error(n.where, std::string("environments: expected a map of environment name to settings, "
                                 "got ") + n.kindName());
    return;
  }
  out.environments.clear();
  std::map<std::string, config::Location> tested_in_where;
  for (const YEntry& e : n.entries) {
    std::string path = childPath("environments", e.key);
    EnvironmentConfig env;
    env.name = e.key;
    env.where = e.key_where;
    if (!config::validName(env.name)) {
      d.error(e.key_where, path + ": not a valid environment name (letters, digits, - _ .)");
    }
    // Sensible defaults by name: production is guarded, the others are not.
    if (env.name != "production") env.approval_required = false;
    MapView m(e.value, path, d);
    int approval = env.approval_required ? 0 : 1;
    if (m.getChoice("approval", {"required", "none"}, approval)) {
      env.approval_required = approval == 0;
    }
    if (m.getDuration("bake", env.bake) && env.bake.count() < 0) {
      d.error(m.take("bake")->where, m.sub("bake") + ": must not be negative");
    }
    m.getBool("triggers", env.triggers);
    if (m.getString("migrations_tested_in", env.migrations_tested_in)) {
      tested_in_where[env.name] = m.take("migrations_tested_in")->where;
    }
    if (m.getDuration("scale_down_delay", env.scale_down_delay) &&
        env.scale_down_delay.count() < 0) {
      d.error(m.take("scale_down_delay")->where, m.sub("scale_down_delay") + ": must not be negative");
    }
    m.finish();
    out.environments.push_back(std::move(env));
  }
  if (out.environments.empty()) {
    d.error(n.where, "environments: names no environment (leave it out for the default "
                     "\"production\")");
  }
  // migrations_tested_in names another environment of the list.
  std::vector<std::string> names;
  for (const auto& env : out.environments) names.push_back(env.name);
  for (const auto& env : out.environments) {
    const std::string& other = env.migrations_tested_in;
    if (other.empty()) continue;
    const std::string path = childPath(childPath("environments", env.name), "migrations_tested_in");
    if (other == env.name) {
      d.error(tested_in_where[env.name],
              path + ": names its own environment; name the one migrations are tried in first "
                     "(e.g. staging)");
    } else if (std::find(names.begin(), names.end(), other) == names.end()) {
      d.error(tested_in_where[env.name], path + ": \"" + other +
                                             "\" is not an environment of environments:" +
                                             config::didYouMean(other, names));
    }
  }
}

// release.database: {url, migrations}. The URL is checked as far as it can be before it is
// resolved: a secret: reference must parse, ${VAR} must be well formed, a plain URL must be one
// libpq accepts.
void loadDatabase(const YNode& n, const std::string& path, Diagnostics& d, AppRelease& app) {
  MapView m(n, path, d);
  if (!m.isMap()) {
    d.error(n.where, path + ": expected a map {url: postgres://..., migrations: DIR}, got " +
                         n.kindName());
    return;
  }
  AppDatabase db;
  db.where = n.where;
  const YNode* url = m.take("url");
  if (url == nullptr) {
    d.error(n.where, path + ": url is required (postgres://user@host:port/db, secret:/path or "
                            "${VAR})");
  } else if (m.getString("url", db.url)) {
    auto ref = runtime::parseSecretRef(db.url);
    if (!ref.isOk()) {
      d.error(url->where, m.sub("url") + ": " + ref.status().message());
    } else if (!ref->has_value()) {
      if (db.url.find("${") != std::string::npos) {
        if (auto problem = runtime::checkVariables(db.url)) {
          d.error(url->where, m.sub("url") + ": " + problem->message);
        }
      } else if (!store::pg::isPostgresUrl(db.url)) {
        d.error(url->where, m.sub("url") + ": not a postgres:// URL, a secret:/path reference or "
                                           "${VAR} (postgres://user@host:port/dbname)");
      } else if (Status s = store::pg::validateUrl(db.url); !s.isOk()) {
        d.error(url->where, m.sub("url") + ": " + s.message());
      }
    }
  }
  if (const YNode* dir = m.take("migrations")) {
    if (m.getString("migrations", db.migrations)) {
      std::string bad;
      if (db.migrations.empty()) bad = "must name a folder";
      if (db.migrations.find('\0') != std::string::npos) bad = "holds a NUL byte";
      if (bad.empty() && db.migrations[0] != '/') {
        // Relative: inside the release's artifact, never above it.
        size_t start = 0;
        while (start <= db.migrations.size()) {
          size_t slash = db.migrations.find('/', start);
          if (slash == std::string::npos) slash = db.migrations.size();
          if (db.migrations.compare(start, slash - start, "..") == 0 && slash - start == 2) {
            bad = "a relative folder is inside the release's artifact and may not contain \"..\"";
          }
          start = slash + 1;
        }
      }
      if (!bad.empty()) d.error(dir->where, m.sub("migrations") + ": " + bad);
    }
  }
  if (m.getString("tested_as", db.tested_as)) {
    db.tested_as_where = m.take("tested_as")->where;
    if (!config::validName(db.tested_as)) {
      d.error(db.tested_as_where, m.sub("tested_as") + ": not a valid app name");
    }
  }
  m.finish();
  app.database = std::move(db);
}

void loadRuntime(const YNode& n, const std::string& path, Diagnostics& d, AppRelease& app) {
  MapView m(n, path, d);
  runtime::readRuntime(m, app.runtime);
  if (app.runtime.kind == runtime::RuntimeKind::kStatic && app.runtime.static_site.site.empty() &&
      m.isMap()) {
    d.error(n.where, path + ": static: {site: NAME} is required for kind: static");
  }
}

nlohmann::json scalarToJson(const YNode& n) {
  if (n.isNull()) return nullptr;
  if (!n.isScalar()) return nlohmann::json();  // discarded: caller reports
  if (n.quoted) return n.scalar;
  if (n.scalar == "true") return true;
  if (n.scalar == "false") return false;
  if (n.scalar == "null" || n.scalar == "~") return nullptr;
  errno = 0;
  char* end = nullptr;
  long long i = std::strtoll(n.scalar.c_str(), &end, 10);
  if (!n.scalar.empty() && *end == '\0' && errno == 0) return i;
  double x = std::strtod(n.scalar.c_str(), &end);
  if (!n.scalar.empty() && *end == '\0' && errno == 0) return x;
  return n.scalar;
}

void loadSmoke(const YNode& n, const std::string& path, Diagnostics& d, AppRelease& app) {
  if (!n.isSeq()) {
    d.error(n.where, path + ": expected a list of requests, got " + n.kindName());
    return;
  }
  for (size_t i = 0; i < n.items.size(); ++i) {
    const YNode& item = n.items[i];
    std::string ipath = itemPath(path, i);
    MapView m(item, ipath, d);
    if (!m.isMap()) continue;
    SmokeCheck c;
    c.where = item.where;
    if (!m.getString("path", c.path)) {
      if (m.take("path") == nullptr) d.error(item.where, ipath + ": path is required");
    } else if (c.path.empty() || c.path[0] != '/') {
      d.error(m.take("path")->where, m.sub("path") + ": must start with '/'");
    }
    int method = 0;
    static const std::vector<std::string_view> kMethods = {"GET", "HEAD", "POST", "OPTIONS"};
    if (m.getChoice("method", kMethods, method)) c.method = std::string(kMethods[method]);
    m.getInt("expect_status", 100, 599, c.expect_status);
    m.getString("expect_body", c.expect_body);
    m.getDuration("timeout", c.timeout);
    if (const YNode* j = m.take("expect_json")) {
      MapView jm(*j, m.sub("expect_json"), d);
      std::string pointer;
      if (jm.getString("pointer", pointer)) {
        try {
          (void)nlohmann::json::json_pointer(pointer);
          c.json_pointer = pointer;
        } catch (const std::exception& e) {
          d.error(jm.take("pointer")->where,
                  jm.sub("pointer") + ": not a JSON pointer (\"/0/id\"): " + pointer);
        }
      } else if (jm.take("pointer") == nullptr && jm.isMap()) {
        d.error(j->where, jm.path() + ": pointer is required");
      }
      if (const YNode* eq = jm.take("equals")) {
        if (eq->isScalar() || eq->isNull()) {
          c.json_equals = scalarToJson(*eq);
        } else {
          d.error(eq->where, jm.sub("equals") + ": expected a scalar value, got " + eq->kindName());
        }
      } else if (jm.isMap()) {
        d.error(j->where, jm.path() + ": equals is required");
      }
      jm.finish();
    }
    m.finish();
    app.smoke.push_back(std::move(c));
  }
}

// accessibility: {url_paths: ["/", "/properties"], timeout: 60s, runner: PATH}
void loadAccessibility(const YNode& n, const std::string& path, Diagnostics& d, AppRelease& app) {
  MapView m(n, path, d);
  if (!m.isMap()) return;
  AccessibilityScan& a = app.accessibility;
  a.where = n.where;
  if (const YNode* paths = m.take("url_paths")) {
    if (!paths->isSeq() || paths->items.empty()) {
      d.error(paths->where, m.sub("url_paths") + ": expected a list of paths like [\"/\", \"/properties\"]");
    } else {
      for (size_t i = 0; i < paths->items.size(); ++i) {
        const YNode& item = paths->items[i];
        const std::string ipath = itemPath(m.sub("url_paths"), i);
        std::string p;
        if (!config::asString(item, ipath, d, p)) continue;
        bool bad_char = std::any_of(p.begin(), p.end(), [](char c) {
          return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#' || c == '\\';
        });
        if (p.empty() || p[0] != '/' || p.rfind("//", 0) == 0) {
          d.error(item.where, ipath + ": must be a path on the app that starts with one '/', got \"" + p + "\"");
        } else if (bad_char) {
          d.error(item.where, ipath + ": no spaces, control characters, '#' or '\\' in a path: \"" + p + "\"");
        } else {
          a.url_paths.push_back(p);
        }
      }
    }
  }
  if (m.getDuration("timeout", a.timeout) && a.timeout.count() <= 0) {
    d.error(m.take("timeout")->where, m.sub("timeout") + ": must be greater than 0");
  }
  if (m.getPath("runner", a.runner) && ::access(a.runner.c_str(), R_OK) != 0) {
    d.warning(m.take("runner")->where,
              m.sub("runner") + " \"" + a.runner +
                  "\" does not exist (yet); the deploy's accessibility step fails until it does");
  }
  if (a.url_paths.empty() && m.take("url_paths") == nullptr) {
    d.error(n.where, path + ": url_paths is required (the pages to scan, e.g. [\"/\"])");
  }
  m.finish();
}

void loadSwitch(const YNode& n, const std::string& path, Diagnostics& d, AppRelease& app) {
  MapView m(n, path, d);
  if (!m.isMap()) return;
  if (const YNode* steps = m.take("steps")) {
    if (!steps->isSeq() || steps->items.empty()) {
      d.error(steps->where, m.sub("steps") + ": expected a list of percentages like [10, 50, 100]");
    } else {
      int last = 0;
      bool ok = true;
      for (size_t i = 0; i < steps->items.size(); ++i) {
        int64_t v = 0;
        if (!config::asInt(steps->items[i], itemPath(m.sub("steps"), i), d, 1, 100, v)) {
          ok = false;
          continue;
        }
        if (v <= last) {
          d.error(steps->items[i].where,
                  itemPath(m.sub("steps"), i) + ": steps must increase (" + std::to_string(v) +
                      " after " + std::to_string(last) + ")");
          ok = false;
        }
        last = static_cast<int>(v);
        app.switch_spec.steps.push_back(last);
      }
      if (ok && last != 100) {
        d.error(steps->items.back().where, m.sub("steps") + ": the last step must be 100");
      }
    }
  }
  m.getDuration("hold", app.switch_spec.hold);
  m.finish();
}

void loadAppRelease(const YEntry& e, const YNode& rel, Diagnostics& d, ReleaseConfig& out,
                    std::string env_name) {
  std::string path = childPath(childPath("apps", e.key), "release");
  AppRelease app;
  app.app = e.key;
  app.environment = std::move(env_name);
  app.where = rel.where;
  MapView m(rel, path, d);
  if (!m.isMap()) return;
  if (const YNode* rt = m.take("runtime")) {
    loadRuntime(*rt, m.sub("runtime"), d, app);
  } else {
    d.error(rel.where, path + ": runtime is required (kind: process or static)");
  }
  m.getInt("keep_releases", 1, 1000, app.keep_releases);
  if (const YNode* s = m.take("smoke")) loadSmoke(*s, m.sub("smoke"), d, app);
  if (const YNode* s = m.take("accessibility")) {
    loadAccessibility(*s, m.sub("accessibility"), d, app);
  }
  if (const YNode* s = m.take("switch")) loadSwitch(*s, m.sub("switch"), d, app);
  config::Millis ms{0};
  if (m.getDuration("bake", ms)) app.bake = ms;
  if (m.getDuration("scale_down_delay", ms)) app.scale_down_delay = ms;
  if (m.getDuration("health_timeout", app.health_timeout) && app.health_timeout.count() <= 0) {
    d.error(m.take("health_timeout")->where, m.sub("health_timeout") + ": must be greater than 0");
  }
  m.getPath("release_root", app.release_root);
  m.getBool("restart_on_secret_change", app.restart_on_secret_change);
  if (const YNode* db = m.take("database")) loadDatabase(*db, m.sub("database"), d, app);
  m.finish();
  out.apps.push_back(std::move(app));
}

void loadApps(const YNode& apps, Diagnostics& d, ReleaseConfig& out) {
  if (!apps.isMap()) return;  // traffic reports it
  std::vector<std::string> env_names;
  for (const auto& env : out.environments) env_names.push_back(env.name);
  for (const YEntry& e : apps.entries) {
    if (!e.value.isMap()) continue;
    std::string env_name;
    const YEntry* env = e.value.find("environment");
    if (env != nullptr) {
      std::string path = childPath(childPath("apps", e.key), "environment");
      if (config::asString(env->value, path, d, env_name) &&
          out.findEnvironment(env_name) == nullptr) {
        d.error(env->value.where, path + ": \"" + env_name +
                                      "\" is not an environment of environments:" +
                                      config::didYouMean(env_name, env_names));
      }
    } else if (out.findEnvironment("production") != nullptr) {
      env_name = "production";
    } else if (out.environments.size() == 1) {
      env_name = out.environments[0].name;
    } else {
      std::string list;
      for (const auto& n : env_names) list += (list.empty() ? "" : ", ") + n;
      d.error(e.key_where, childPath("apps", e.key) +
                               ": environment is required (there is no \"production\"; "
                               "environments: " + list + ")");
    }
    out.app_environment[e.key] = env_name;
    if (const YEntry* rel = e.value.find("release")) {
      loadAppRelease(e, rel->value, d, out, env_name);
    }
  }
}

// Cross-checks with traffic's section: a static runtime names a static site.
void checkAgainstTraffic(const config::Config& c, Diagnostics& d, const ReleaseConfig& rc) {
  auto traffic = c.section<traffic::TrafficConfig>(traffic::kTrafficSection);
  if (traffic == nullptr) return;
  std::vector<std::string> static_sites;
  for (const auto& s : traffic->sites) {
    if (s.kind == traffic::SiteKind::kStatic) static_sites.push_back(s.name);
  }
  for (const auto& app : rc.apps) {
    const std::string& site = app.runtime.static_site.site;
    if (app.runtime.kind != runtime::RuntimeKind::kStatic || site.empty()) continue;
    if (std::find(static_sites.begin(), static_sites.end(), site) == static_sites.end()) {
      d.error(app.where, "apps." + app.app + ".release.runtime.static.site: \"" + site +
                             "\" is not a static site of sites:" +
                             config::didYouMean(site, static_sites));
    }
  }
}

class ReleaseSection final : public config::SectionValidator {
 public:
  std::string_view key() const override { return kReleaseSection; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config& c, const YNode& document, Diagnostics& d) const override {
    return validateReleaseConfig(c, document, d);
  }
};

}  // namespace

ReleaseConfig::ReleaseConfig() : state_dir("shipgate-state") {
  environments.push_back(productionDefault());
}

const AppRelease* ReleaseConfig::findApp(std::string_view app) const {
  for (const auto& a : apps) {
    if (a.app == app) return &a;
  }
  return nullptr;
}

const EnvironmentConfig* ReleaseConfig::findEnvironment(std::string_view name) const {
  for (const auto& e : environments) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

config::Millis ReleaseConfig::bakeOf(const AppRelease& app) const {
  if (app.bake) return *app.bake;
  const EnvironmentConfig* env = findEnvironment(app.environment);
  return env != nullptr ? env->bake : config::Millis{3'600'000};
}

config::Millis ReleaseConfig::scaleDownDelayOf(const AppRelease& app) const {
  if (app.scale_down_delay) return *app.scale_down_delay;
  const EnvironmentConfig* env = findEnvironment(app.environment);
  return env != nullptr ? env->scale_down_delay : config::Millis{300'000};
}

namespace {

// state.url: empty (SQLite in state.dir) or a postgres:// / postgresql:// URL libpq can parse.
void loadStateUrl(MapView& m, ReleaseConfig& out) {
  const YNode* node = m.take("url");
  if (node == nullptr) return;
  std::string url;
  if (!config::asString(*node, m.sub("url"), m.diags(), url)) return;
  if (url.empty()) return;
  if (!store::pg::isPostgresUrl(url)) {
    const size_t colon = url.find(':');
    const std::string scheme = colon == std::string::npos ? std::string() : url.substr(0, colon);
    std::string hint = config::didYouMean(scheme, {"postgres", "postgresql"});
    if (hint.empty() && (scheme == "postgres" || scheme == "postgresql")) {
      hint = " (write " + scheme + "://user@host:port/dbname)";
    }
    m.diags().error(node->where,
                    m.sub("url") + ": the state store URL must start with postgres:// or "
                                   "postgresql://" +
                        (scheme.empty() ? std::string() : ", not " + scheme + ":") + hint +
                        "; leave state.url out to keep the state in SQLite under state.dir");
    return;
  }
  const Status valid = store::pg::validateUrl(url);
  if (!valid.isOk()) {
    m.diags().error(node->where, m.sub("url") + ": " + valid.message());
    return;
  }
  out.state_url = url;
}

}  // namespace

std::shared_ptr<const ReleaseConfig> validateReleaseConfig(const config::Config& c,
                                                           const YNode& document,
                                                           Diagnostics& d) {
  auto errorCount = [&d] {
    size_t n = 0;
    for (const auto& diag : d.sorted()) n += diag.severity == config::Diagnostic::Severity::kError;
    return n;
  };
  const size_t errors_before = errorCount();
  auto out = std::make_shared<ReleaseConfig>();
  out->state_dir = config::resolvePath(document, "shipgate-state");
  if (!document.isMap()) return out;
  if (const YEntry* st = document.find("state")) {
    MapView m(st->value, "state", d);
    m.getPath("dir", out->state_dir);
    loadStateUrl(m, *out);
    m.finish();
  }
  if (const YEntry* envs = document.find("environments")) loadEnvironments(envs->value, d, *out);
  if (const YEntry* apps = document.find("apps")) loadApps(apps->value, d, *out);
  // The seed's container_security.non_root_user reaches each process runtime (run_as.h).
  if (auto it = c.container_security.find("non_root_user"); it != c.container_security.end()) {
    const bool on = it->second == "true" || it->second == "yes" || it->second == "on";
    for (auto& app : out->apps) app.runtime.non_root_user = on;
  }
  checkAgainstTraffic(c, d, *out);
  // release.database.tested_as names an app of apps:.
  for (const auto& app : out->apps) {
    if (!app.database || app.database->tested_as.empty()) continue;
    const std::string& other = app.database->tested_as;
    if (out->app_environment.count(other) == 0) {
      std::vector<std::string> names;
      for (const auto& [name, env] : out->app_environment) names.push_back(name);
      d.error(app.database->tested_as_where,
              "apps." + app.app + ".release.database.tested_as: \"" + other +
                  "\" is not an app of apps:" + config::didYouMean(other, names));
    }
  }
  if (errorCount() > errors_before) return nullptr;
  return out;
}

std::unique_ptr<config::SectionValidator> releaseSection() {
  return std::make_unique<ReleaseSection>();
}

const ReleaseConfig& releaseConfigOf(const config::Config& config) {
  return config.sectionOrDefault<ReleaseConfig>(kReleaseSection);
}

}  // namespace shipgate::release
