// Passive health (outlier detection), after Envoy's outlier detector:
// - kHttp5xx counts toward consecutive_5xx; connect failures, resets and timeouts count toward
//   consecutive_gateway_failures (and, being 5xx to the client, toward consecutive_5xx too).
// - Reaching a threshold ejects the endpoint for base_ejection x (number of ejections), capped at
//   max_ejection, unless that would put more than max_ejection_percent of the slot's endpoints
//   in ejection (one endpoint may always be ejected).
// - A success resets the consecutive counters; once an endpoint has served successfully for
//   max_ejection after its last ejection ended, its ejection count starts again from zero.
#include <algorithm>
#include <string>

#include "plan_impl.h"
#include "shipgate/common/log.h"

namespace shipgate::traffic {
namespace {

using internal::AppPlan;

const AppPlan* findApp(const std::vector<std::unique_ptr<AppPlan>>& apps, const Endpoint& e) {
  for (const auto& ap : apps) {
    if (!ap->endpoints.empty() && &e >= ap->endpoints.data() &&
        &e < ap->endpoints.data() + ap->endpoints.size()) {
      return ap.get();
    }
  }
  for (const auto& ap : apps) {
    if (ap->app->name == e.app) return ap.get();  // an endpoint of an older plan
  }
  return nullptr;
}

// May one more endpoint of this slot be ejected now?
bool ejectionAllowed(const AppPlan& ap, const Endpoint& target, int percent, int64_t now_ms) {
  const auto& slot = ap.slots[static_cast<int>(target.slot)];
  int ejected = 0;
  int total = 0;
  for (int i : slot.endpoints) {
    const Endpoint& e = ap.endpoints[i];
    ++total;
    if (e.state.get() != target.state.get() &&
        e.state->ejected_until_ms.load(std::memory_order_relaxed) > now_ms) {
      ++ejected;
    }
  }
  if (ejected == 0) return true;
  return (ejected + 1) * 100 <= percent * total;
}

}  // namespace

void TrafficPlan::onRequestStart(const Endpoint& endpoint) const {
  endpoint.state->in_flight.fetch_add(1, std::memory_order_relaxed);
  endpoint.state->requests.fetch_add(1, std::memory_order_relaxed);
}

void TrafficPlan::onRequestEnd(const Endpoint& endpoint, Outcome outcome) const {
  EndpointState& st = *endpoint.state;
  st.in_flight.fetch_sub(1, std::memory_order_relaxed);
  const AppPlan* ap = findApp(impl_->apps, endpoint);
  if (ap == nullptr) return;
  const OutlierConfig& oc = ap->app->outlier;
  const int64_t now_ms = internal::monoMillis(impl_->registry->clock());

  if (outcome == Outcome::kSuccess) {
    st.consecutive_5xx.store(0, std::memory_order_relaxed);
    st.consecutive_gateway_failures.store(0, std::memory_order_relaxed);
    const int64_t until = st.ejected_until_ms.load(std::memory_order_relaxed);
    if (st.ejections.load(std::memory_order_relaxed) > 0 && until > 0 &&
        now_ms >= until + oc.max_ejection.count()) {
      st.ejections.store(0, std::memory_order_relaxed);
    }
    return;
  }
  if (!oc.enabled) return;
  const bool gateway = outcome != Outcome::kHttp5xx;
  const int c5xx = st.consecutive_5xx.fetch_add(1, std::memory_order_relaxed) + 1;
  const int cgw =
      gateway ? st.consecutive_gateway_failures.fetch_add(1, std::memory_order_relaxed) + 1 : 0;
  const bool trip_gateway =
      gateway && oc.consecutive_gateway_failures > 0 && cgw >= oc.consecutive_gateway_failures;
  const bool trip_5xx = oc.consecutive_5xx > 0 && c5xx >= oc.consecutive_5xx;
  if (!trip_gateway && !trip_5xx) return;
  int64_t until = st.ejected_until_ms.load(std::memory_order_relaxed);
  if (until > now_ms) return;  // already ejected
  if (!ejectionAllowed(*ap, endpoint, oc.max_ejection_percent, now_ms)) return;

  const int n = st.ejections.load(std::memory_order_relaxed) + 1;
  const int64_t duration = std::min<int64_t>(oc.base_ejection.count() * n, oc.max_ejection.count());
  // Only one of several threads tripping at once performs the ejection.
  if (!st.ejected_until_ms.compare_exchange_strong(until, now_ms + duration,
                                                   std::memory_order_relaxed)) {
    return;
  }
  st.ejections.fetch_add(1, std::memory_order_relaxed);
  st.consecutive_5xx.store(0, std::memory_order_relaxed);
  st.consecutive_gateway_failures.store(0, std::memory_order_relaxed);
  log::warn("endpoint " + endpoint.key + " ejected for " + std::to_string(duration) + "ms (" +
            (trip_gateway ? std::to_string(cgw) + " consecutive gateway failures"
                          : std::to_string(c5xx) + " consecutive 5xx") +
            ", ejection #" + std::to_string(n) + ")");
}

}  // namespace shipgate::traffic
