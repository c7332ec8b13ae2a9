// The managed rules' part of the firewall's section (see firewall_config.h): the exclusions of
// waf.managed_rules.crs parsed for the engine, and the engine loaded once per distinct settings.
#include <sys/stat.h>

#include <dirent.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/firewall/firewall_config.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::firewall {
namespace {

// What decides an engine: the settings, and each rule file's size and modification time.
std::string engineKey(const managed::CrsSettings& s) {
  std::string key = s.rules_dir + "\n" + s.setup_file + "\n" +
                    std::to_string(s.paranoia_level) + "\n" +
                    std::to_string(s.inbound_threshold) + "\n" +
                    (s.include_exclusion_templates ? "t" : "f") +
                    (s.confirm_matches ? "c" : "n") + "\n";
  for (const auto& e : s.exclusions) {
    key += "x:";
    for (const auto& r : e.ids) key += std::to_string(r.first) + "-" + std::to_string(r.last) + ",";
    key += "|" + e.tag + "|";
    for (const auto& t : e.targets) {
      key += std::string(managed::varName(t.var)) + ":" + (t.selector_is_regex ? "/" : "") +
             t.selector + (t.count ? "&" : "") + ";";
    }
    key += "\n";
  }
  for (const auto& [name, text] : s.extra_files) key += "f:" + name + "\n" + text + "\n";
  auto stamp = [&key](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      key += path + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
             "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
    }
  };
  stamp(s.setup_file);
  if (DIR* dir = ::opendir(s.rules_dir.c_str())) {
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) names.emplace_back(e->d_name);
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      if (n != "." && n != "..") stamp(s.rules_dir + "/" + n);
    }
  }
  return key;
}

struct EngineCache {
  std::mutex mu;
  std::string key;                             // GUARDED_BY(mu)
  std::weak_ptr<const managed::Engine> engine;  // GUARDED_BY(mu)
  std::vector<std::string> report;             // GUARDED_BY(mu)
};

EngineCache& engineCache() {
  static EngineCache* cache = new EngineCache();  // never destroyed: used until exit
  return *cache;
}

}  // namespace

std::optional<managed::CrsSettings> crsSettingsOf(const config::WafCrsConfig& crs,
                                                  config::Diagnostics& d) {
  managed::CrsSettings s;
  s.rules_dir = crs.rules_dir;
  s.setup_file = crs.setup_file;
  s.paranoia_level = crs.paranoia_level;
  s.inbound_threshold = crs.inbound_threshold;
  s.confirm_matches = crs.confirm_matches;
  bool ok = true;
  for (size_t i = 0; i < crs.exclusions.size(); ++i) {
    const config::WafCrsExclusion& x = crs.exclusions[i];
    const std::string path = "waf.managed_rules.crs.exclusions[" + std::to_string(i) + "]";
    managed::Exclusion e;
    e.where = path;
    e.tag = x.tag;
    if (!x.ids.empty()) {
      auto ids = managed::parseIdRanges(x.ids);
      if (!ids.isOk()) {
        d.error(x.ids_where, path + ": \"" + x.ids + "\" is not a rule id or id range such as " +
                                 "942100 or \"942100-942199\": " + ids.status().message());
        ok = false;
      } else {
        e.ids = std::move(ids.value());
      }
    } else if (x.tag.empty()) {
      ok = false;  // the loader reported it (needs one of id, ids, tag)
    }
    for (size_t t = 0; t < x.targets.size(); ++t) {
      const config::Location& at = t < x.targets_where.size() ? x.targets_where[t] : x.where;
      std::string text = x.targets[t];
      if (!text.empty() && text[0] == '!') {
        d.error(at, path + ".targets[" + std::to_string(t) + "]: write the target without '!' (\"" +
                        text.substr(1) + "\"): an exclusion always removes it");
        ok = false;
        continue;
      }
      auto parsed = managed::parseTargets(text);
      if (!parsed.isOk() || parsed->size() != 1) {
        d.error(at, path + ".targets[" + std::to_string(t) + "]: \"" + text +
                        "\" is not one target such as ARGS:password or REQUEST_COOKIES:/^sess/" +
                        (parsed.isOk() ? std::string() : ": " + parsed.status().message()));
        ok = false;
        continue;
      }
      e.targets.push_back(std::move(parsed.value()[0]));
    }
    s.exclusions.push_back(std::move(e));
  }
  if (!ok) return std::nullopt;
  return s;
}

Result<std::shared_ptr<const managed::Engine>> loadCrsEngine(const managed::CrsSettings& settings,
                                                             std::vector<std::string>* report) {
  EngineCache& cache = engineCache();
  std::string key = engineKey(settings);
  std::lock_guard<std::mutex> lock(cache.mu);
  if (key == cache.key) {
    if (auto engine = cache.engine.lock()) {
      if (report != nullptr) *report = cache.report;
      return engine;
    }
  }
  std::vector<std::string> lines;
  auto loaded = managed::Engine::load(settings, &lines);
  if (!loaded.isOk()) return loaded.status();
  cache.key = std::move(key);
  cache.engine = loaded.value();
  cache.report = lines;
  if (report != nullptr) *report = std::move(lines);
  return loaded.value();
}

}  // namespace shipgate::firewall
