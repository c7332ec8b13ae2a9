// ReleaseMetrics: the release controller's series on the metrics registry.
//   shipgate_deployments_total{app,result}   counter; result = the terminal state
//   shipgate_rollbacks_total{app,trigger}    counter; trigger = the rule's metric name, "manual"
//                                            or "emergency"
//   shipgate_release_info{app,slot,version}  gauge 1 for the release in each running slot
//   shipgate_trigger_value{app,rule}         gauge, the latest value of each rollback rule
// The gauges are rendered by a registry collector from a table this object keeps.
// Thread-safety: every method is thread-safe. REQUIRES: registry outlives this (the collector
// keeps a shared pointer to the table, so it outlives this object).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "shipgate/common/mutex.h"
#include "shipgate/metrics/registry.h"

namespace shipgate::release {

inline constexpr std::string_view kDeploymentsTotal = "shipgate_deployments_total";
inline constexpr std::string_view kRollbacksTotal = "shipgate_rollbacks_total";
inline constexpr std::string_view kReleaseInfo = "shipgate_release_info";
inline constexpr std::string_view kTriggerValue = "shipgate_trigger_value";

class ReleaseMetrics {
 public:
  explicit ReleaseMetrics(metrics::Registry& registry);
  void deploymentFinished(const std::string& app, const std::string& result);
  void rolledBack(const std::string& app, const std::string& trigger);
  // version empty: the slot runs nothing.
  void slotRelease(const std::string& app, const std::string& slot, const std::string& version);
  void triggerValue(const std::string& app, const std::string& rule, double value);
  void clearTriggerValues(const std::string& app);

  struct Gauges {
    Mutex mu;
    std::map<std::pair<std::string, std::string>, std::string> release GUARDED_BY(mu);
    std::map<std::pair<std::string, std::string>, double> trigger GUARDED_BY(mu);
  };

 private:
  metrics::Registry& registry_;
  std::shared_ptr<Gauges> gauges_;
};

}  // namespace shipgate::release
