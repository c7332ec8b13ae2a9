// The apps: and sites: sections and the traffic area's section validator (see
// traffic/traffic_config.h).
#include "shipgate/traffic/traffic_config.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/common/strings.h"

namespace shipgate::traffic {
namespace {

using config::asBool;
using config::asHostPort;
using config::asInt;
using config::asString;
using config::asStringList;
using config::childPath;
using config::didYouMean;
using config::itemPath;
using config::MapView;
using config::validName;
using config::YEntry;
using config::YNode;

void loadEndpoints(const YNode& n, const std::string& path, SlotConfig& slot,
                   config::Diagnostics& d) {
  if (!n.isSeq()) {
    d.error(n.where, path + ": expected a list of endpoints, got " + n.kindName());
    return;
  }
  for (size_t i = 0; i < n.items.size(); ++i) {
    const YNode& item = n.items[i];
    std::string ipath = itemPath(path, i);
    EndpointConfig ep;
    ep.where = item.where;
    bool ok = false;
    if (item.isScalar()) {
      ok = asHostPort(item, ipath, d, ep.address);
    } else {
      MapView m(item, ipath, d);
      if (!m.isMap()) continue;
      ok = m.getAddress("address", ep.address);
      if (m.take("address") == nullptr) d.error(item.where, ipath + ": address is required");
      m.getString("region", ep.region);
      m.getInt("weight", 1, 1000, ep.weight);
      m.finish();
    }
    if (!ok) continue;
    if (ep.address.host == "*") {
      d.error(item.where, ipath + ": an endpoint needs a host, not \"*\"");
      continue;
    }
    for (const auto& other : slot.endpoints) {
      if (other.address.host == ep.address.host && other.address.port == ep.address.port) {
        d.error(item.where, ipath + ": duplicate endpoint " + ep.address.toString() +
                                " (first at " + other.where.toString() + ")");
      }
    }
    slot.endpoints.push_back(std::move(ep));
  }
}

void loadRegions(const YNode& n, const std::string& path, AppConfig& app, const config::Config& c,
                 config::Diagnostics& d) {
  if (!n.isMap()) {
    d.error(n.where, path + ": expected a map of region name to {priority, failover_policy}, got " +
                         n.kindName());
    return;
  }
  for (const auto& e : n.entries) {
    std::string rpath = childPath(path, e.key);
    RegionConfig r;
    r.name = e.key;
    r.where = e.key_where;
    if (!validName(r.name)) d.error(e.key_where, rpath + ": not a valid region name");
    MapView m(e.value, rpath, d);
    m.getInt("priority", 0, 1000, r.priority);
    int policy = -1;
    bool explicit_policy = m.getChoice("failover_policy", {"automatic", "manual_approval"}, policy);
    if (explicit_policy) r.failover = static_cast<config::FailoverPolicy>(policy);
    // The seed's health_checks block names a failover_policy per region; it applies to every app
    // region of that name unless the region sets its own.
    for (const auto& hc : c.health_checks) {
      if (hc.region != r.name) continue;
      if (!explicit_policy) {
        r.failover = hc.failover;
      } else if (hc.failover != r.failover) {
        d.warning(m.take("failover_policy")->where,
                  rpath + ".failover_policy overrides health_checks." + hc.name + " (" +
                      hc.where.toString() + ") for this app");
      }
    }
    m.finish();
    app.regions.push_back(std::move(r));
  }
}

void checkEndpointRegions(const AppConfig& app, const std::string& path, config::Diagnostics& d) {
  std::vector<std::string> names;
  for (const auto& r : app.regions) names.push_back(r.name);
  for (int s = 0; s < 2; ++s) {
    for (const auto& ep : app.slots[s].endpoints) {
      if (app.regions.empty()) {
        if (!ep.region.empty() && ep.region != "default") {
          d.error(ep.where, path + ": endpoint " + ep.address.toString() + " names region \"" +
                                ep.region + "\" but the app declares no regions (add " + path +
                                ".regions)");
        }
        continue;
      }
      if (ep.region.empty()) {
        d.error(ep.where, path + ": endpoint " + ep.address.toString() +
                              " needs a region because the app declares regions");
        continue;
      }
      bool declared = false;
      for (const auto& r : app.regions) declared = declared || r.name == ep.region;
      if (!declared) {
        d.error(ep.where, path + ": endpoint " + ep.address.toString() + " names region \"" +
                              ep.region + "\", which " + path + ".regions does not declare" +
                              didYouMean(ep.region, names));
      }
    }
  }
}

void loadApp(const YEntry& e, const config::Config& c, config::Diagnostics& d, TrafficConfig& out) {
  std::string path = childPath("apps", e.key);
  AppConfig app;
  app.name = e.key;
  app.where = e.key_where;
  if (!validName(app.name)) {
    d.error(e.key_where, path + ": not a valid app name (letters, digits, - _ .)");
  }
  MapView m(e.value, path, d);
  if (!m.isMap()) return;
  int balance = 0;
  if (m.getChoice("balance", {"round_robin", "least_request"}, balance)) {
    app.balance = static_cast<Balance>(balance);
  }
  int slot = 0;
  if (m.getChoice("active_slot", {"blue", "green"}, slot))
    app.active_slot = static_cast<Slot>(slot);
  if (const YNode* w = m.take("weights")) {
    MapView wm(*w, m.sub("weights"), d);
    std::array<int, 2> weights{0, 0};
    bool ok = wm.isMap();
    for (int s = 0; s < 2 && wm.isMap(); ++s) {
      const YNode* v = wm.take(slotName(static_cast<Slot>(s)));
      int64_t x = 0;
      if (v != nullptr) {
        ok = asInt(*v, wm.sub(slotName(static_cast<Slot>(s))), d, 0, 100, x) && ok;
        weights[s] = static_cast<int>(x);
      }
    }
    wm.finish();
    if (ok && weights[0] + weights[1] == 0) {
      d.error(w->where, path + ".weights: at least one slot needs a weight above 0");
    } else if (ok) {
      app.weights = weights;
    }
  }
  if (const YNode* st = m.take("sticky")) {
    if (st->isScalar()) {
      asBool(*st, m.sub("sticky"), d, app.sticky.enabled);
    } else {
      MapView sm(*st, m.sub("sticky"), d);
      app.sticky.enabled = sm.isMap();
      sm.getBool("enabled", app.sticky.enabled);
      if (sm.getString("cookie", app.sticky.cookie) &&
          (app.sticky.cookie.empty() ||
           app.sticky.cookie.find_first_of(" \t;,=\"") != std::string::npos)) {
        d.error(sm.take("cookie")->where, sm.sub("cookie") + ": not a valid cookie name");
      }
      if (sm.getSeconds("ttl", app.sticky.ttl_s) && app.sticky.ttl_s <= 0) {
        d.error(sm.take("ttl")->where, sm.sub("ttl") + ": must be greater than 0");
      }
      sm.finish();
    }
    if (app.sticky.enabled && !app.weights) {
      d.warning(st->where, path +
                               ".sticky has no effect without weights (all traffic goes to "
                               "the active slot)");
    }
  }
  for (auto [key, field] : {std::pair{"connect_timeout", &app.connect_timeout},
                            std::pair{"read_timeout", &app.read_timeout}}) {
    if (m.getDuration(key, *field) && field->count() <= 0) {
      d.error(m.take(key)->where, m.sub(key) + ": must be greater than 0");
    }
  }
  m.getBool("retry_idempotent", app.retry_idempotent);
  m.getBool("pass_server_header", app.pass_server_header);
  if (m.getDouble("min_healthy_fraction", 0.0, 1.0, app.min_healthy_fraction) &&
      app.min_healthy_fraction <= 0) {
    d.error(m.take("min_healthy_fraction")->where, path + ".min_healthy_fraction: must be > 0");
  }
  if (const YNode* r = m.take("regions")) loadRegions(*r, m.sub("regions"), app, c, d);
  if (const YNode* h = m.take("health")) {
    MapView hm(*h, m.sub("health"), d);
    if (hm.isMap()) {
      health::HealthCheckConfig hc;
      health::readHealthCheck(hm, hc);
      hm.finish();
      app.health = hc;
    }
  }
  if (const YNode* o = m.take("outlier")) {
    MapView om(*o, m.sub("outlier"), d);
    OutlierConfig& oc = app.outlier;
    om.getBool("enabled", oc.enabled);
    om.getInt("consecutive_5xx", 1, 1000, oc.consecutive_5xx);
    om.getInt("consecutive_gateway_failures", 1, 1000, oc.consecutive_gateway_failures);
    om.getDuration("base_ejection", oc.base_ejection);
    om.getDuration("max_ejection", oc.max_ejection);
    om.getInt("max_ejection_percent", 0, 100, oc.max_ejection_percent);
    if (oc.max_ejection < oc.base_ejection) {
      const YNode* at = om.take("max_ejection");
      d.error(at != nullptr ? at->where : o->where,
              om.path() + ": max_ejection is shorter than base_ejection");
    }
    om.finish();
  }
  // `environment` and `release` belong to the release controller (release/release_config.h),
  // which validates them; here they only mark the app as managed.
  m.take("environment");
  app.managed = m.take("release") != nullptr;
  const YNode* slots = m.take("slots");
  if (slots != nullptr) {
    MapView sm(*slots, m.sub("slots"), d);
    for (int s = 0; s < 2; ++s) {
      const char* name = slotName(static_cast<Slot>(s));
      if (const YNode* eps = sm.take(name)) loadEndpoints(*eps, sm.sub(name), app.slots[s], d);
    }
    sm.finish();
  }
  m.finish();
  checkEndpointRegions(app, path, d);
  // Every slot that can receive traffic needs endpoints, unless the app is managed: then the
  // release controller fills its slots with the replicas of the releases it starts.
  for (int s = 0; s < 2 && !app.managed; ++s) {
    bool receives = app.weights ? (*app.weights)[s] > 0 : s == static_cast<int>(app.active_slot);
    if (receives && app.slots[s].endpoints.empty()) {
      const char* name = slotName(static_cast<Slot>(s));
      const YEntry* at = slots != nullptr && slots->isMap() ? slots->find(name) : nullptr;
      d.error(at != nullptr ? at->key_where : e.key_where,
              path + ": slot " + name + (app.weights ? " has weight > 0" : " is the active slot") +
                  " but has no endpoints (or give the app a release: block to have " +
                  "shipgate run its releases)");
    }
  }
  out.apps.push_back(std::move(app));
}

void loadApps(const YNode& n, const config::Config& c, config::Diagnostics& d, TrafficConfig& out) {
  if (!n.isMap()) {
    d.error(n.where,
            std::string("apps: expected a map of app name to settings, got ") + n.kindName());
    return;
  }
  for (const auto& e : n.entries) loadApp(e, c, d, out);
}

// Lower-cases and validates one host pattern; returns "" and reports when invalid.
std::string normalizeHost(const YNode& at, const std::string& path, std::string_view raw_host,
                          config::Diagnostics& d) {
  std::string host = asciiLowerCopy(raw_host);
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

void loadSites(const YNode& n, const config::Config& c, config::Diagnostics& d,
               TrafficConfig& out) {
  if (!n.isSeq()) {
    d.error(n.where, std::string("sites: expected a list of sites, got ") + n.kindName());
    return;
  }
  std::vector<std::string> app_names;
  for (const auto& a : out.apps) app_names.push_back(a.name);
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
      staticsite::readStaticSite(*st, path + ".static", d, site.static_site);
    } else if (app != nullptr) {
      site.kind = SiteKind::kApp;
      if (asString(*app, path + ".app", d, site.app) && out.findApp(site.app) == nullptr) {
        d.error(app->where,
                path + ".app: unknown app \"" + site.app + "\"" + didYouMean(site.app, app_names));
      }
    } else {
      d.error(item.where, path + ": a site needs static: {root: ...} or app: NAME");
    }
    m.finish();
    for (const auto& other : out.sites) {
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
    out.sites.push_back(std::move(site));
  }
}

// Warnings for health_checks regions that no app declares.
void checkHealthCheckRegions(const config::Config& c, const TrafficConfig& out,
                             config::Diagnostics& d) {
  for (const auto& hc : c.health_checks) {
    if (hc.region.empty()) continue;
    bool used = false;
    for (const auto& app : out.apps) {
      for (const auto& r : app.regions) used = used || r.name == hc.region;
    }
    if (!used) {
      d.warning(hc.where, "health_checks." + hc.name + ": no app declares region \"" + hc.region +
                              "\", so its failover_policy is not in effect");
    }
  }
}

class TrafficSection : public config::SectionValidator {
 public:
  std::string_view key() const override { return kTrafficSection; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config& config, const YNode& document,
      config::Diagnostics& diags) const override {
    return validateTrafficConfig(config, document, diags);
  }
};

}  // namespace

const char* slotName(Slot s) { return s == Slot::kBlue ? "blue" : "green"; }

const AppConfig* TrafficConfig::findApp(const std::string& name) const {
  for (const auto& a : apps) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::shared_ptr<const TrafficConfig> validateTrafficConfig(const config::Config& config,
                                                           const YNode& document,
                                                           config::Diagnostics& d) {
  bool had_errors = d.hasErrors();
  auto out = std::make_shared<TrafficConfig>();
  auto section = [&](std::string_view key) -> const YNode* {
    const YEntry* e = document.isMap() ? document.find(key) : nullptr;
    return e != nullptr && !e->value.isNull() ? &e->value : nullptr;
  };
  if (const YNode* n = section("apps")) loadApps(*n, config, d, *out);
  if (const YNode* n = section("sites")) loadSites(*n, config, d, *out);
  checkHealthCheckRegions(config, *out, d);
  if (config.listeners.empty() && (!out->sites.empty() || !out->apps.empty())) {
    d.warning(document.where, "no listeners: serve will not accept any traffic");
  }
  if (!had_errors && d.hasErrors()) return nullptr;
  return out;
}

const config::SectionValidator& trafficSection() {
  static const TrafficSection section;
  return section;
}

const TrafficConfig& trafficConfigOf(const config::Config& config) {
  return config.sectionOrDefault<TrafficConfig>(kTrafficSection);
}

TrafficConfig& trafficConfigForTest(config::Config& config) {
  return config.mutableSectionForTest<TrafficConfig>(kTrafficSection);
}

}  // namespace shipgate::traffic
