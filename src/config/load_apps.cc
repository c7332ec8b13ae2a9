// apps: section: slots, endpoints, regions, balancing, health and outlier settings.
#include <string>
#include <vector>

#include "sections.h"

namespace shipgate::config::internal {
namespace {

void loadEndpoints(const YNode& n, const std::string& path, SlotConfig& slot, Diags& d) {
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

void loadRegions(const YNode& n, const std::string& path, AppConfig& app, const Config& c,
                 Diags& d) {
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
    if (explicit_policy) r.failover = static_cast<FailoverPolicy>(policy);
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

void checkEndpointRegions(const AppConfig& app, const std::string& path, Diags& d) {
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

void loadApp(const YEntry& e, Config& c, Diags& d) {
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
      HealthCheckConfig hc;
      readHealthCheck(hm, hc);
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
  // Every slot that can receive traffic needs endpoints.
  for (int s = 0; s < 2; ++s) {
    bool receives = app.weights ? (*app.weights)[s] > 0 : s == static_cast<int>(app.active_slot);
    if (receives && app.slots[s].endpoints.empty()) {
      const char* name = slotName(static_cast<Slot>(s));
      const YEntry* at = slots != nullptr && slots->isMap() ? slots->find(name) : nullptr;
      d.error(at != nullptr ? at->key_where : e.key_where,
              path + ": slot " + name + (app.weights ? " has weight > 0" : " is the active slot") +
                  " but has no endpoints");
    }
  }
  c.apps.push_back(std::move(app));
}

}  // namespace

void loadApps(const YNode& n, Config& c, Diags& d) {
  if (!n.isMap()) {
    d.error(n.where,
            std::string("apps: expected a map of app name to settings, got ") + n.kindName());
    return;
  }
  for (const auto& e : n.entries) loadApp(e, c, d);
}

}  // namespace shipgate::config::internal
