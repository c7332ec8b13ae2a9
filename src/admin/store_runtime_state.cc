#include "shipgate/admin/store_runtime_state.h"

#include "shipgate/store/state_store.h"

namespace shipgate::admin {

using nlohmann::json;
using traffic::Slot;

namespace {

json weightsJson(const traffic::SlotWeights& w) {
  return w ? json::array({(*w)[0], (*w)[1]}) : json(nullptr);
}

Status fault(const std::string& where, const std::string& what) {
  return Status::invalidArgument("runtime state \"" + std::string(kRoutingOverlayKey) +
                                 "\": " + where + ": " + what);
}

Result<Slot> readSlot(const json& v, const std::string& where) {
  if (v == "blue") return Slot::kBlue;
  if (v == "green") return Slot::kGreen;
  return fault(where, "expected \"blue\" or \"green\", got " + v.dump());
}

Result<traffic::SlotWeights> readWeights(const json& v, const std::string& where) {
  if (v.is_null()) return traffic::SlotWeights{};
  if (!v.is_array() || v.size() != 2) return fault(where, "expected [blue, green] or null");
  std::array<int, 2> w{};
  for (int i = 0; i < 2; ++i) {
    if (!v[i].is_number_unsigned() || v[i].get<uint64_t>() > 100) {
      return fault(where + "/" + std::to_string(i), "expected 0..100, got " + v[i].dump());
    }
    w[i] = static_cast<int>(v[i].get<uint64_t>());
  }
  return traffic::SlotWeights{w};
}

}  // namespace

json overlayToJson(const traffic::RoutingOverlay& overlay) {
  json apps = json::object();
  for (const auto& [name, entry] : overlay.apps) {
    json a;
    if (entry.slot) {
      a["slot"] = {{"active", traffic::slotName(entry.slot->active_slot)},
                   {"weights", weightsJson(entry.slot->weights)},
                   {"file_slot", traffic::slotName(entry.slot->file_slot)},
                   {"file_weights", weightsJson(entry.slot->file_weights)}};
    } else {
      a["slot"] = nullptr;
    }
    a["approved_regions"] = entry.approved_regions;
    apps[name] = std::move(a);
  }
  return {{"format", 1}, {"apps", std::move(apps)}};
}

Result<traffic::RoutingOverlay> overlayFromJson(const json& doc) {
  if (!doc.is_object()) return fault("/", "expected an object");
  if (doc.value("format", json()) != 1) {
    return fault("/format", "expected 1, got " + doc.value("format", json()).dump());
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "format" && it.key() != "apps") return fault("/" + it.key(), "unknown key");
  }
  traffic::RoutingOverlay overlay;
  const json apps = doc.value("apps", json::object());
  if (!apps.is_object()) return fault("/apps", "expected an object");
  for (auto it = apps.begin(); it != apps.end(); ++it) {
    const std::string where = "/apps/" + it.key();
    const json& a = it.value();
    if (it.key().empty()) return fault(where, "empty app name");
    if (!a.is_object()) return fault(where, "expected an object");
    traffic::AppOverlay entry;
    for (auto f = a.begin(); f != a.end(); ++f) {
      if (f.key() == "slot") {
        const json& s = f.value();
        if (s.is_null()) continue;
        if (!s.is_object()) return fault(where + "/slot", "expected an object or null");
        for (auto k = s.begin(); k != s.end(); ++k) {
          if (k.key() != "active" && k.key() != "weights" && k.key() != "file_slot" &&
              k.key() != "file_weights") {
            return fault(where + "/slot/" + k.key(), "unknown key");
          }
        }
        traffic::SlotOverride o;
        auto active = readSlot(s.value("active", json()), where + "/slot/active");
        if (!active) return active.status();
        auto file_slot = readSlot(s.value("file_slot", json()), where + "/slot/file_slot");
        if (!file_slot) return file_slot.status();
        auto weights = readWeights(s.value("weights", json()), where + "/slot/weights");
        if (!weights) return weights.status();
        auto file_weights =
            readWeights(s.value("file_weights", json()), where + "/slot/file_weights");
        if (!file_weights) return file_weights.status();
        o.active_slot = *active;
        o.file_slot = *file_slot;
        o.weights = *weights;
        o.file_weights = *file_weights;
        entry.slot = o;
      } else if (f.key() == "approved_regions") {
        const json& r = f.value();
        if (!r.is_array()) return fault(where + "/approved_regions", "expected a list");
        for (size_t i = 0; i < r.size(); ++i) {
          if (!r[i].is_string() || r[i].get_ref<const std::string&>().empty()) {
            return fault(where + "/approved_regions/" + std::to_string(i),
                         "expected a region name, got " + r[i].dump());
          }
          entry.approved_regions.push_back(r[i].get<std::string>());
        }
      } else {
        return fault(where + "/" + f.key(), "unknown key");
      }
    }
    if (entry.slot || !entry.approved_regions.empty()) overlay.apps[it.key()] = std::move(entry);
  }
  return overlay;
}

StoreRuntimeState::StoreRuntimeState(store::StateStore& store, const Clock& clock, std::string key)
    : store_(store), clock_(clock), key_(std::move(key)) {}

Status StoreRuntimeState::save(const traffic::RoutingOverlay& overlay) {
  return store_.putRuntimeState(key_, overlayToJson(overlay).dump(), clock_.wallMillis());
}

Result<traffic::RoutingOverlay> StoreRuntimeState::load() {
  auto text = store_.getRuntimeState(key_);
  if (!text) return text.status();
  if (!text->has_value()) return traffic::RoutingOverlay{};
  json doc = json::parse(**text, nullptr, false);
  if (doc.is_discarded()) {
    return Status::invalidArgument("runtime state \"" + key_ + "\" is not valid JSON");
  }
  return overlayFromJson(doc);
}

}  // namespace shipgate::admin
