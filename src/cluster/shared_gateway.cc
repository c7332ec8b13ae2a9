#include "shipgate/cluster/shared_gateway.h"

#include "shipgate/cluster/pg_session.h"
#include "shipgate/common/log.h"
#include "shipgate/release/live_gateway_control.h"
#include "shipgate/store/state_store.h"

namespace shipgate::cluster {
namespace {

using json = nlohmann::json;

// "host:port" or "[v6]:port" (HostPort::toString's forms); port 1..65535, digits only.
std::optional<config::HostPort> parseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  const std::string digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) return std::nullopt;
  config::HostPort hp;
  hp.host = text.substr(0, colon);
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  if (hp.host.empty()) return std::nullopt;
  hp.port = static_cast<uint16_t>(port);
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

std::string servedStateToJson(const ServedState& state) {
  json j = {{"slots", json::object()}, {"static_roots", json::object()}};
  for (const auto& [key, eps] : state.slots) {
    json list = json::array();
    for (const auto& hp : eps) list.push_back(hp.toString());
    j["slots"][key.first][key.second == 0 ? "blue" : "green"] = list;
  }
  for (const auto& [site, root] : state.static_roots) j["static_roots"][site] = root;
  return j.dump();
}

Result<ServedState> parseServedState(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  const std::string what = std::string(kServedKey) + ": ";
  if (!j.is_object()) return Status::invalidArgument(what + "not a JSON object");
  ServedState out;
  const json slots = j.value("slots", json::object());
  const json roots = j.value("static_roots", json::object());
  if (!slots.is_object() || !roots.is_object()) {
    return Status::invalidArgument(what + "\"slots\" and \"static_roots\" must be objects");
  }
  for (const auto& [app, per_slot] : slots.items()) {
    if (!per_slot.is_object())
      return Status::invalidArgument(what + "slots." + app + " is not an object");
    for (const auto& [slot_name, list] : per_slot.items()) {
      const int s = slot_name == "blue" ? 0 : slot_name == "green" ? 1 : -1;
      if (s < 0) return Status::invalidArgument(what + "unknown slot " + app + "." + slot_name);
      if (!list.is_array())
        return Status::invalidArgument(what + app + "." + slot_name + " is not a list");
      std::vector<config::HostPort> eps;
      for (const auto& e : list) {
        auto hp = e.is_string() ? parseHostPort(e.get<std::string>()) : std::nullopt;
        if (!hp)
          return Status::invalidArgument(what + app + "." + slot_name + ": bad endpoint " +
                                         e.dump());
        eps.push_back(*hp);
      }
      out.slots[{app, s}] = std::move(eps);
    }
  }
  for (const auto& [site, root] : roots.items()) {
    if (!root.is_string())
      return Status::invalidArgument(what + "static_roots." + site + " is not a string");
    out.static_roots[site] = root.get<std::string>();
  }
  return out;
}

SharedGateway::SharedGateway(release::LiveGatewayControl& live, store::StateStore& store)
    : live_(live), store_(store) {}

std::shared_ptr<const config::Config> SharedGateway::config() const { return live_.config(); }

Status SharedGateway::publishLocked() {
  ServedState state{endpoints_, static_roots_};
  return store_.putRuntimeState(kServedKey, servedStateToJson(state), wallMs());
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
  return Status::success();  // this node serves them; the next change (or term) shares them again
}

Status SharedGateway::setStaticRoot(const std::string& site, const std::string& root) {
  SG_RETURN_IF_ERROR(live_.setStaticRoot(site, root));
  MutexLock lock(mu_);
  static_roots_[site] = root;
  Status st = publishLocked();
  if (!st.isOk()) {
    log::warn("cluster: the static root of " + site +
              " was not shared with the other nodes: " + st.message());
  }
  return Status::success();
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
  ServedState served;
  if (text->has_value()) {
    auto parsed = parseServedState(**text);
    if (!parsed) return parsed.status();
    served = std::move(parsed).value();
  }
  const auto& want = served.slots;
  const auto& roots = served.static_roots;
  MutexLock lock(mu_);
  Status first = Status::success();
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
      Status st =
          live_.setSlotEndpoints(it->first.first, static_cast<traffic::Slot>(it->first.second), {});
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
