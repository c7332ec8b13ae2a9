#include "shipgate/cluster/shared_gateway.h"

#include "shipgate/cluster/pg_session.h"
#include "shipgate/common/log.h"
#include "shipgate/release/live_gateway_control.h"
#include "shipgate/store/state_store.h"

namespace shipgate::cluster {
namespace {

using json = nlohmann::json;

std::optional<config::HostPort> parseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  config::HostPort hp;
  hp.host = text.substr(0, colon);
  try {
    const int port = std::stoi(text.substr(colon + 1));
    if (port <= 0 || port > 65535) return std::nullopt;
    hp.port = static_cast<uint16_t>(port);
  } catch (...) {
    return std::nullopt;
  }
  return hp;
}

bool sameEndpoints(const std::vector<config::HostPort>& a, const std::vector<config::HostPort>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].host != b[i].host || a[i].port != b[i].port) return false;
  }
  return true;
}

}  // namespace

SharedGateway::SharedGateway(release::LiveGatewayControl& live, store::StateStore& store)
    : live_(live), store_(store) {}

std::shared_ptr<const config::Config> SharedGateway::config() const { return live_.config(); }

Status SharedGateway::publishLocked() {
  json j = {{"slots", json::object()}, {"static_roots", json::object()}};
  for (const auto& [key, eps] : endpoints_) {
    json list = json::array();
    for (const auto& hp : eps) list.push_back(hp.toString());
    j["slots"][key.first][traffic::slotName(static_cast<traffic::Slot>(key.second))] = list;
  }
  for (const auto& [site, root] : static_roots_) j["static_roots"][site] = root;
  return store_.putRuntimeState(kServedKey, j.dump(), wallMs());
}

Status SharedGateway::setSlotEndpoints(const std::string& app, traffic::Slot slot,
                                       const std::vector<config::HostPort>& endpoints) {
  SG_RETURN_IF_ERROR(live_.setSlotEndpoints(app, slot, endpoints));
  MutexLock lock(mu_);
  endpoints_[{app, static_cast<int>(slot)}] = endpoints;
  Status st = publishLocked();
  if (!st.isOk()) {
    log::warn("cluster: the endpoints of " + app + "/" + traffic::slotName(slot) +
              " were not shared with the other nodes: " + st.message());
  }
  return Status::ok();  // this node serves them; the next change (or term) shares them again
}

Status SharedGateway::setStaticRoot(const std::string& site, const std::string& root) {
  SG_RETURN_IF_ERROR(live_.setStaticRoot(site, root));
  MutexLock lock(mu_);
  static_roots_[site] = root;
  Status st = publishLocked();
  if (!st.isOk()) {
    log::warn("cluster: the static root of " + site + " was not shared with the other nodes: " +
              st.message());
  }
  return Status::ok();
}

Status SharedGateway::switchSlot(const std::string& app, traffic::Slot slot) {
  return live_.switchSlot(app, slot);
}

Status SharedGateway::setWeights(const std::string& app, int blue, int green) {
  return live_.setWeights(app, blue, green);
}

Result<traffic::EffectiveSlot> SharedGateway::effective(const std::string& app) const {
  return live_.effective(app);
}

std::vector<release::EndpointHealthStatus> SharedGateway::slotHealth(const std::string& app,
                                                                     traffic::Slot slot) const {
  return live_.slotHealth(app, slot);
}

Status SharedGateway::restoreRouting() { return live_.restoreRouting(); }

Status SharedGateway::applyFromStore() {
  auto text = store_.getRuntimeState(kServedKey);
  if (!text) return text.status();
  std::map<SlotKey, std::vector<config::HostPort>> want;
  std::map<std::string, std::string> roots;
  if (text->has_value()) {
    json j = json::parse(**text, nullptr, false);
    if (!j.is_object()) return Status::internal(std::string(kServedKey) + " is not a JSON object");
    const json all_slots = j.value("slots", json::object());
    const json all_roots = j.value("static_roots", json::object());
    for (const auto& [app, slots] : all_slots.items()) {
      if (!slots.is_object()) continue;
      for (const auto& [slot_name, list] : slots.items()) {
        const int s = slot_name == "blue" ? 0 : slot_name == "green" ? 1 : -1;
        if (s < 0 || !list.is_array()) continue;
        std::vector<config::HostPort> eps;
        for (const auto& e : list) {
          if (!e.is_string()) continue;
          if (auto hp = parseHostPort(e.get<std::string>())) eps.push_back(*hp);
        }
        want[{app, s}] = std::move(eps);
      }
    }
    for (const auto& [site, root] : all_roots.items()) {
      if (root.is_string()) roots[site] = root.get<std::string>();
    }
  }
  MutexLock lock(mu_);
  Status first = Status::ok();
  for (const auto& [key, eps] : want) {
    auto it = endpoints_.find(key);
    if (it != endpoints_.end() && sameEndpoints(it->second, eps)) continue;
    Status st = live_.setSlotEndpoints(key.first, static_cast<traffic::Slot>(key.second), eps);
    if (st.isOk()) {
      endpoints_[key] = eps;
    } else if (first.isOk()) {
      first = st;
    }
  }
  for (auto it = endpoints_.begin(); it != endpoints_.end();) {
    if (want.count(it->first) == 0 && !it->second.empty()) {
      Status st = live_.setSlotEndpoints(it->first.first, static_cast<traffic::Slot>(it->first.second), {});
      if (!st.isOk() && first.isOk()) first = st;
      it = endpoints_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [site, root] : roots) {
    auto it = static_roots_.find(site);
    if (it != static_roots_.end() && it->second == root) continue;
    Status st = live_.setStaticRoot(site, root);
    if (st.isOk()) {
      static_roots_[site] = root;
    } else if (first.isOk()) {
      first = st;
    }
  }
  Status routed = live_.restoreRouting();
  if (!routed.isOk() && first.isOk()) first = routed;
  return first;
}

void SharedGateway::beginLeaderTerm() {
  MutexLock lock(mu_);
  for (auto& [key, eps] : endpoints_) {
    if (eps.empty()) continue;
    Status st = live_.setSlotEndpoints(key.first, static_cast<traffic::Slot>(key.second), {});
    if (!st.isOk()) log::warn("cluster: cannot clear followed endpoints: " + st.message());
  }
  endpoints_.clear();
}

}  // namespace shipgate::cluster
