#include "shipgate/release/store_adapters.h"

#include "shipgate/common/log.h"

namespace shipgate::release {

using json = nlohmann::json;

namespace {

json weightsJson(const traffic::SlotWeights& w) {
  if (!w) return nullptr;
  return json::array({(*w)[0], (*w)[1]});
}

bool slotFrom(const json& j, traffic::Slot& out) {
  if (!j.is_string()) return false;
  if (j == "blue") out = traffic::Slot::kBlue;
  else if (j == "green") out = traffic::Slot::kGreen;
  else return false;
  return true;
}

bool weightsFrom(const json& j, traffic::SlotWeights& out) {
  if (j.is_null()) {
    out.reset();
    return true;
  }
  if (!j.is_array() || j.size() != 2 || !j[0].is_number_integer() || !j[1].is_number_integer()) {
    return false;
  }
  out = std::array<int, 2>{j[0].get<int>(), j[1].get<int>()};
  return true;
}

}  // namespace

json overlayToJson(const traffic::RoutingOverlay& overlay) {
  json apps = json::object();
  for (const auto& [name, app] : overlay.apps) {
    json slot = nullptr;
    if (app.slot) {
      slot = {{"active_slot", traffic::slotName(app.slot->active_slot)},
              {"weights", weightsJson(app.slot->weights)},
              {"file_slot", traffic::slotName(app.slot->file_slot)},
              {"file_weights", weightsJson(app.slot->file_weights)}};
    }
    apps[name] = {{"slot", slot}, {"approved_regions", app.approved_regions}};
  }
  return {{"apps", apps}};
}

Result<traffic::RoutingOverlay> overlayFromJson(const json& j) {
  traffic::RoutingOverlay out;
  if (!j.is_object() || !j.contains("apps") || !j["apps"].is_object()) {
    return Status::invalidArgument("routing overlay: expected {\"apps\": {...}}");
  }
  for (const auto& [name, app] : j["apps"].items()) {
    traffic::AppOverlay a;
    if (!app.is_object()) return Status::invalidArgument("routing overlay: app " + name);
    if (app.contains("slot") && !app["slot"].is_null()) {
      const json& s = app["slot"];
      traffic::SlotOverride o;
      if (!s.is_object() || !slotFrom(s.value("active_slot", json()), o.active_slot) ||
          !slotFrom(s.value("file_slot", json()), o.file_slot) ||
          !weightsFrom(s.value("weights", json()), o.weights) ||
          !weightsFrom(s.value("file_weights", json()), o.file_weights)) {
        return Status::invalidArgument("routing overlay: bad slot override of app " + name);
      }
      a.slot = o;
    }
    if (app.contains("approved_regions")) {
      if (!app["approved_regions"].is_array()) {
        return Status::invalidArgument("routing overlay: approved_regions of app " + name);
      }
      for (const auto& r : app["approved_regions"]) {
        if (!r.is_string()) {
          return Status::invalidArgument("routing overlay: approved_regions of app " + name);
        }
        a.approved_regions.push_back(r.get<std::string>());
      }
    }
    out.apps[name] = std::move(a);
  }
  return out;
}

StoreRuntimeStateStore::StoreRuntimeStateStore(store::StateStore& store, const Clock& clock)
    : store_(store), clock_(clock) {}

Status StoreRuntimeStateStore::save(const traffic::RoutingOverlay& overlay) {
  return store_.putRuntimeState(kRoutingOverlayKey, overlayToJson(overlay).dump(),
                                clock_.wallMillis());
}

Result<traffic::RoutingOverlay> StoreRuntimeStateStore::load() {
  auto text = store_.getRuntimeState(kRoutingOverlayKey);
  if (!text) return text.status();
  if (!*text) return traffic::RoutingOverlay{};
  json j = json::parse(**text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::invalidArgument("routing overlay in the state store is not JSON");
  }
  return overlayFromJson(j);
}

StoreDeliveryLog::StoreDeliveryLog(store::StateStore& store) : store_(store) {}

void StoreDeliveryLog::record(const notify::DeliveryAttempt& a) {
  store::DeliveryRecord r;
  r.at = a.at_ms;
  r.channel = a.channel;
  r.event = std::string(notify::eventKindName(a.kind));
  r.subject = !a.incident_id.empty()     ? a.incident_id
              : !a.deployment_id.empty() ? a.deployment_id
                                         : a.dedup_key;
  r.attempt = std::max(1, a.attempt);
  switch (a.result) {
    case notify::DeliveryResult::kDelivered:
      r.outcome = store::DeliveryOutcome::kDelivered;
      break;
    case notify::DeliveryResult::kRetrying:
      r.outcome = store::DeliveryOutcome::kFailed;
      break;
    default:
      r.outcome = store::DeliveryOutcome::kGaveUp;
      break;
  }
  r.http_status = a.http_status;
  r.error = a.error.empty() && a.result != notify::DeliveryResult::kDelivered
                ? std::string(notify::deliveryResultName(a.result))
                : a.error;
  auto id = store_.recordDelivery(r);
  if (!id) log::warn("notification delivery log: " + id.status().message());
}

}  // namespace shipgate::release
