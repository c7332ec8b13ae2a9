// sites: section: host + path prefix -> a static release directory or an app.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "sections.h"

namespace shipgate::config::internal {
namespace {

// Lower-cases and validates one host pattern; returns "" and reports when invalid.
std::string normalizeHost(const YNode& at, const std::string& path, std::string host, Diags& d) {
  for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string_view name = host;
  if (name.rfind("*.", 0) == 0) name.remove_prefix(2);
  bool ok = !name.empty() && name.front() != '.' && name.back() != '.';
  for (char ch : name) {
    ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
                ch == '_');
  }
  if (!ok) {
    std::string why = host.find(':') != std::string::npos ? " (hosts match without the port)"
                      : host.find('*') != std::string::npos
                          ? " (a wildcard is only allowed as a leading \"*.\")"
                          : "";
    d.error(at.where, path + ": \"" + host + "\" is not a valid host name" + why);
    return "";
  }
  return host;
}

void loadStatic(const YNode& n, const std::string& path, StaticSiteConfig& st, Diags& d) {
  MapView m(n, path, d);
  if (!m.isMap()) return;
  if (m.getPath("root", st.root)) {
    std::error_code ec;
    auto status = std::filesystem::status(st.root, ec);
    const YNode* at = m.take("root");
    if (!std::filesystem::exists(status)) {
      d.warning(at->where, path + ".root: \"" + st.root +
                               "\" does not exist yet (build the site first); serve fails until "
                               "it does");
    } else if (!std::filesystem::is_directory(status)) {
      d.error(at->where, path + ".root: \"" + st.root + "\" is not a directory");
    }
  } else if (m.take("root") == nullptr) {
    d.error(n.where, path + ": root is required (the release directory to serve)");
  }
  if (m.getString("index", st.index) &&
      (st.index.empty() || st.index.find('/') != std::string::npos)) {
    d.error(m.take("index")->where, path + ".index: must be a file name");
  }
  m.getBool("spa_fallback", st.spa_fallback);
  m.getSeconds("html_max_age", st.html_max_age_s);
  m.getSeconds("immutable_max_age", st.immutable_max_age_s);
  m.finish();
}

}  // namespace

void loadSites(const YNode& n, Config& c, Diags& d) {
  if (!n.isSeq()) {
    d.error(n.where, std::string("sites: expected a list of sites, got ") + n.kindName());
    return;
  }
  std::vector<std::string> app_names;
  for (const auto& a : c.apps) app_names.push_back(a.name);
  bool have_tls = false;
  for (const auto& l : c.listeners) have_tls = have_tls || l.isTls();
  for (size_t i = 0; i < n.items.size(); ++i) {
    const YNode& item = n.items[i];
    std::string path = itemPath("sites", i);
    MapView m(item, path, d);
    if (!m.isMap()) continue;
    SiteConfig site;
    site.where = item.where;
    if (!m.getString("name", site.name)) {
      if (m.take("name") == nullptr) d.error(item.where, path + ": name is required");
    } else if (!validName(site.name)) {
      d.error(m.take("name")->where, path + ".name: \"" + site.name + "\" is not a valid name");
    } else {
      path = "sites." + site.name;
    }
    if (const YNode* hosts = m.take("hosts")) {
      std::vector<std::string> raw;
      if (asStringList(*hosts, path + ".hosts", d, raw)) {
        for (size_t h = 0; h < raw.size(); ++h) {
          const YNode& at = hosts->isSeq() ? hosts->items[h] : *hosts;
          if (raw[h] == "*") continue;  // any host, same as no hosts
          std::string host = normalizeHost(at, itemPath(path + ".hosts", h), raw[h], d);
          if (!host.empty()) site.hosts.push_back(host);
        }
        if (std::find(raw.begin(), raw.end(), "*") != raw.end()) site.hosts.clear();
      }
    }
    if (m.getString("path_prefix", site.path_prefix) &&
        (site.path_prefix.empty() || site.path_prefix[0] != '/')) {
      d.error(m.take("path_prefix")->where, path + ".path_prefix: must start with '/'");
    }
    if (m.getBool("redirect_https", site.redirect_https) && site.redirect_https && !have_tls) {
      d.warning(m.take("redirect_https")->where,
                path +
                    ".redirect_https: no listener has tls, so the redirect target will not "
                    "answer");
    }
    int port = 0;
    if (m.getInt("https_port", 1, 65535, port)) site.https_port = static_cast<uint16_t>(port);
    const YNode* st = m.take("static");
    const YNode* app = m.take("app");
    if (st != nullptr && app != nullptr) {
      d.error(item.where, path + ": a site serves either static: or app:, not both");
    } else if (st != nullptr) {
      site.kind = SiteKind::kStatic;
      loadStatic(*st, path + ".static", site.static_site, d);
    } else if (app != nullptr) {
      site.kind = SiteKind::kApp;
      if (asString(*app, path + ".app", d, site.app) && c.findApp(site.app) == nullptr) {
        d.error(app->where,
                path + ".app: unknown app \"" + site.app + "\"" + didYouMean(site.app, app_names));
      }
    } else {
      d.error(item.where, path + ": a site needs static: {root: ...} or app: NAME");
    }
    m.finish();
    for (const auto& other : c.sites) {
      if (!site.name.empty() && other.name == site.name) {
        d.error(item.where, path + ": duplicate site name \"" + site.name + "\" (first at " +
                                other.where.toString() + ")");
        continue;
      }
      if (other.path_prefix != site.path_prefix) continue;
      bool overlap = other.hosts.empty() && site.hosts.empty();
      for (const auto& h : site.hosts) {
        overlap =
            overlap || std::find(other.hosts.begin(), other.hosts.end(), h) != other.hosts.end();
      }
      if (overlap) {
        d.error(item.where, path + ": same hosts and path_prefix \"" + site.path_prefix +
                                "\" as site \"" + other.name + "\" (" + other.where.toString() +
                                "), which would hide this one");
      }
    }
    c.sites.push_back(std::move(site));
  }
}

}  // namespace shipgate::config::internal
