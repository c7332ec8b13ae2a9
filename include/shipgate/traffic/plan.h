// TrafficPlan: the immutable routing snapshot the data plane reads. Built from a Config and the
// persistent HealthRegistry; swapped atomically by the gateway on reload or slot switch, so a
// request that started on one plan finishes on it.
//
// route(): host (exact, then longest "*.suffix" wildcard, then sites with no hosts) + longest path
// prefix -> site. pick(): slot (active, or weighted with optional sticky cookie) -> region by
// priority (stay while healthy fraction >= min_healthy_fraction; spill to the next priority, unless
// that region is failover_policy manual_approval and the RoutingOverlay has not approved it) ->
// balancer
// (round robin or least request) over endpoints that are active-healthy and not ejected.
// Thread-safety: all const methods may be called from any thread concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/traffic/endpoint.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::traffic {

class HealthRegistry;
class Resolver;

struct RouteMatch {
  const SiteConfig* site = nullptr;
  int site_index = -1;
  int app_index = -1;                   // index into trafficConfig().apps; -1 for static sites
};

struct PickRequest {
  std::string_view sticky_cookie;       // value of the app's sticky cookie ("" when absent)
  uint64_t random = 0;                  // randomness from the caller (per-worker PRNG)
  const Endpoint* exclude = nullptr;    // an endpoint that just failed (retry elsewhere)
};

// Traffic would spill into `region` of `app` but its manual_approval failover is not approved.
struct ApprovalWait {
  std::string app;
  std::string region;
};

struct Pick {
  const Endpoint* endpoint = nullptr;   // nullptr: nothing healthy; see error
  Slot slot = Slot::kBlue;
  std::string error;                    // human-readable reason when endpoint == nullptr
  // Set when endpoint == nullptr because a failover approval is missing.
  std::optional<ApprovalWait> waiting_approval;
  std::string set_cookie;               // full Set-Cookie value to add to the response, or ""
};

// The text a client gets when pick found nothing: Pick::error, plus the command that approves
// the failover when one is missing ("no healthy upstream for app <name>" when error is empty).
std::string unavailableMessage(const Pick& pick, std::string_view app);

// Live view of one region of one slot, for status output and metrics (see TrafficPlan::regions).
struct RegionStatus {
  std::string name;
  int priority = 0;                     // 0 = highest
  config::FailoverPolicy failover = config::FailoverPolicy::kAutomatic;
  int endpoints = 0;
  int available = 0;                    // active-healthy and not ejected, now
  bool approved = false;                // failover into it approved (manual_approval regions)
  bool waiting_for_approval = false;    // traffic would spill here but approval is missing
};

class TrafficPlan {
 public:
  // REQUIRES: config was validated by the loader; registry outlives the plan. Resolves endpoint
  // addresses; an unresolvable host is an error naming the endpoint's config location. An
  // endpoint whose address (host:port) `previous` already resolved reuses that resolution: a
  // reload resolves only the endpoints it adds or changes. `resolver` defaults to
  // systemResolver().
  static Result<std::shared_ptr<const TrafficPlan>> build(
      std::shared_ptr<const config::Config> config, HealthRegistry& registry,
      const TrafficPlan* previous = nullptr, const Resolver* resolver = nullptr);
  ~TrafficPlan();

  const config::Config& config() const;
  const TrafficConfig& trafficConfig() const;  // trafficConfigOf(config())
  const std::shared_ptr<const config::Config>& configPtr() const;

  std::optional<RouteMatch> route(std::string_view host, std::string_view path) const;
  Pick pick(int app_index, const PickRequest& request) const;

  // Passive health: call onRequestStart when a request is sent to an endpoint and onRequestEnd
  // with its outcome (updates in-flight counts, consecutive failures and ejections).
  void onRequestStart(const Endpoint& endpoint) const;
  void onRequestEnd(const Endpoint& endpoint, Outcome outcome) const;

  // All endpoints of an app (both slots), for status and health checking.
  const std::vector<Endpoint>& endpoints(int app_index) const;
  int appIndex(std::string_view app_name) const;  // -1 when absent
  // The slot's regions in priority order with their current availability (empty for a bad index).
  std::vector<RegionStatus> regions(int app_index, Slot slot) const;

 private:
  struct Impl;
  explicit TrafficPlan(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shipgate::traffic
