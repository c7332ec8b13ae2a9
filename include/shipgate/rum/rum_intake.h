// RumIntake: the gateway's answer to RUM traffic on the public listener, independent of the event
// loop so it is tested without sockets. Two paths (from rum: config): POST <path> takes a beacon
// (204 when accepted; 400/405/413/429 with a one-line reason otherwise), GET/HEAD <path>.js serves
// the rum.js script. An accepted beacon's measurements are recorded in the RumStore under the
// release its sg_rel cookie names (kUnknownRelease when it has none or a malformed one).
//
// Metrics (in the registry given at creation; names below):
//   shipgate_rum_beacons_total{result="accepted",reason="ok"}, {result="rejected",reason=<RejectReason>}
//   shipgate_rum_unattributed_beacons_total      accepted beacons without a usable sg_rel cookie
//   shipgate_rum_measurements_total{metric}      measurements recorded, per configured metric
//   shipgate_rum_stored_samples{metric,release}  samples held in the store within max_age
//                                                (a collector: addRumCollector)
//
// One RumIntake per gateway snapshot; create() reuses the previous one's rate-limit state when
// the rate settings did not change. Thread-safety: handle() is const and may be called from every
// worker thread at once (the limiter and the store lock internally).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/rum/beacon.h"
#include "shipgate/rum/client_rate_limiter.h"
#include "shipgate/rum/release_labels.h"
#include "shipgate/rum/rum_config.h"
#include "shipgate/rum/rum_store.h"

namespace shipgate::rum {

inline constexpr std::string_view kBeaconsMetric = "shipgate_rum_beacons_total";
inline constexpr std::string_view kUnattributedMetric = "shipgate_rum_unattributed_beacons_total";
inline constexpr std::string_view kMeasurementsMetric = "shipgate_rum_measurements_total";
inline constexpr std::string_view kStoredSamplesMetric = "shipgate_rum_stored_samples";

struct IntakeRequest {
  std::string_view method;
  std::string_view path;            // without the query
  std::string_view content_type;    // "" when absent
  std::string_view body;
  std::string_view client_ip;
  std::string_view release_cookie;  // the sg_rel cookie's value, "" when absent
};

struct IntakeAnswer {
  int status = 0;
  std::string body;                 // "" for 204
  std::string_view content_type;    // of body
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // static strings only
  std::string_view reason;          // rejection reason name, "" when accepted or the script
};

class RumIntake {
 public:
  // What a beacon's sg_rel cookie may name: a label "<app>@<version>" is trusted when `apps`
  // lists the app (or site) and `labels` knows the version (release_labels.h); anything else is
  // recorded as kUnknownRelease, so clients cannot grow the store's series with made-up releases.
  struct Attribution {
    const ReleaseLabels* labels = nullptr;  // null: rum::SlotReleaseLabels
    std::vector<std::string> apps;          // the config's app and site names
  };

  // `store` may be null (beacons are checked and counted, not kept). REQUIRES: registry, clock,
  // store and attribution.labels outlive the intake.
  static std::shared_ptr<const RumIntake> create(std::shared_ptr<const RumConfig> config,
                                                 RumStore* store, metrics::Registry& registry,
                                                 const Clock& clock, Attribution attribution,
                                                 const RumIntake* previous = nullptr);

  // Whether the request is for the intake (the beacon path or the script); false when disabled.
  bool matches(std::string_view path) const;
  // REQUIRES: matches(request.path).
  IntakeAnswer handle(const IntakeRequest& request) const;

  const RumConfig& config() const { return *config_; }
  const std::vector<std::string>& apps() const { return apps_; }
  // The release a cookie value attributes a beacon to: the value, or kUnknownRelease.
  std::string_view attribute(std::string_view cookie_value) const;

 private:
  RumIntake() = default;
  IntakeAnswer reject(RejectReason reason, std::string_view detail) const;

  std::shared_ptr<const RumConfig> config_;
  BeaconRules rules_;
  RumStore* store_ = nullptr;
  const ReleaseLabels* labels_ = nullptr;
  std::vector<std::string> apps_;  // sorted
  std::shared_ptr<ClientRateLimiter> limiter_;  // shared with the next snapshot's intake; null = off
  metrics::Counter accepted_;
  std::vector<metrics::Counter> rejected_;  // by RejectReason
  metrics::Counter unattributed_;
  std::vector<std::pair<std::string, metrics::Counter>> measurements_;  // by configured metric
  std::string script_;  // rum.js for this config's path
};

// Registers the shipgate_rum_stored_samples collector; it reads the store while `store` lives.
void addRumCollector(metrics::Registry& registry, std::weak_ptr<const RumStore> store);

// The rum.js script (see rum_script.cc): `beacon_path` is where it posts.
std::string rumScript(std::string_view beacon_path);

}  // namespace shipgate::rum
