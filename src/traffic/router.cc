// Router: host + path -> site.
// Host tiers, tried in order: exact names, "*.suffix" wildcards (longest suffix first; a wildcard
// matches any depth of subdomain but not the bare suffix), then sites without hosts. Within a tier
// the site with the longest matching path_prefix wins; when no site of a tier matches the path the
// next tier is tried. A prefix matches at a path-segment boundary: "/api" matches "/api",
// "/api/x" and "/api?q" but not "/apix"; a prefix ending in "/" matches anything below it.
#include <algorithm>

#include "plan_impl.h"
#include "shipgate/common/strings.h"

namespace shipgate::traffic::internal {
namespace {

// "Example.com:8080" -> "Example.com"; "[::1]:8080" -> "::1"; a trailing dot is dropped.
std::string_view stripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close != std::string_view::npos) return host.substr(1, close - 1);
    return host;
  }
  size_t colon = host.find(':');
  if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

bool prefixMatches(std::string_view prefix, std::string_view path) {
  if (prefix.empty() || prefix == "/") return true;
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  if (prefix.back() == '/' || path.size() == prefix.size()) return true;
  char next = path[prefix.size()];
  return next == '/' || next == '?' || next == '#';
}

size_t prefixLength(const SiteConfig& site) {
  return site.path_prefix.empty() ? 1 : site.path_prefix.size();
}

// Best site among candidates for path: longest matching prefix, first in config order on ties.
template <typename Iter, typename SiteOf>
int bestByPath(const TrafficConfig& config, Iter begin, Iter end, SiteOf site_of,
               std::string_view path) {
  int best = -1;
  size_t best_len = 0;
  for (Iter it = begin; it != end; ++it) {
    int idx = site_of(*it);
    const SiteConfig& site = config.sites[idx];
    if (!prefixMatches(site.path_prefix, path)) continue;
    size_t len = prefixLength(site);
    if (best < 0 || len > best_len) {
      best = idx;
      best_len = len;
    }
  }
  return best;
}

}  // namespace

RouteTable buildRouteTable(const TrafficConfig& config) {
  RouteTable table;
  for (int i = 0; i < static_cast<int>(config.sites.size()); ++i) {
    const SiteConfig& site = config.sites[i];
    int app_index = -1;
    if (site.kind == SiteKind::kApp) {
      for (size_t a = 0; a < config.apps.size(); ++a) {
        if (config.apps[a].name == site.app) app_index = static_cast<int>(a);
      }
    }
    table.site_app.push_back(app_index);
    if (site.hosts.empty()) {
      table.any_host.push_back(i);
      continue;
    }
    for (const std::string& h : site.hosts) {
      std::string name = asciiLowerCopy(stripPort(h));
      if (name == "*") {
        table.any_host.push_back(i);
      } else if (name.size() > 2 && name[0] == '*' && name[1] == '.') {
        table.wildcard.push_back({name.substr(1), i});
      } else {
        table.exact.push_back({name, i});
      }
    }
  }
  std::stable_sort(table.wildcard.begin(), table.wildcard.end(),
                   [](const HostEntry& a, const HostEntry& b) {
                     if (a.host.size() != b.host.size()) return a.host.size() > b.host.size();
                     return a.host < b.host;
                   });
  return table;
}

std::optional<RouteMatch> routeIn(const TrafficConfig& config, const RouteTable& table,
                                  std::string_view raw_host, std::string_view path) {
  const std::string_view host = stripPort(raw_host);
  auto make = [&](int idx) { return RouteMatch{&config.sites[idx], idx, table.site_app[idx]}; };
  auto site_of_entry = [](const HostEntry& e) { return e.site_index; };

  // Exact names. Several sites may share a name (different path prefixes).
  {
    int best = -1;
    size_t best_len = 0;
    for (const HostEntry& e : table.exact) {
      if (!equalsIgnoreCase(e.host, host)) continue;
      const SiteConfig& site = config.sites[e.site_index];
      if (!prefixMatches(site.path_prefix, path)) continue;
      if (best < 0 || prefixLength(site) > best_len) {
        best = e.site_index;
        best_len = prefixLength(site);
      }
    }
    if (best >= 0) return make(best);
  }
  // Wildcards, longest suffix first; entries with the same suffix form one group.
  for (size_t i = 0; i < table.wildcard.size();) {
    size_t j = i;
    while (j < table.wildcard.size() && table.wildcard[j].host == table.wildcard[i].host) ++j;
    const std::string& suffix = table.wildcard[i].host;  // ".example.com"
    if (host.size() > suffix.size() && equalsIgnoreCase(host.substr(host.size() - suffix.size()), suffix)) {
      const auto first = table.wildcard.begin() + static_cast<std::ptrdiff_t>(i);
      const auto last = table.wildcard.begin() + static_cast<std::ptrdiff_t>(j);
      int best = bestByPath(config, first, last, site_of_entry, path);
      if (best >= 0) return make(best);
    }
    i = j;
  }
  int best = bestByPath(
      config, table.any_host.begin(), table.any_host.end(), [](int idx) { return idx; }, path);
  if (best >= 0) return make(best);
  return std::nullopt;
}

}  // namespace shipgate::traffic::internal
