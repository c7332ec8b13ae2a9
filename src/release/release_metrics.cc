#include "release_metrics.h"

#include <cmath>
#include <cstdio>

#include "shipgate/metrics/prometheus.h"

namespace shipgate::release {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  metrics::appendEscapedLabelValue(out, v);
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

ReleaseMetrics::ReleaseMetrics(metrics::Registry& registry)
    : registry_(registry), gauges_(std::make_shared<Gauges>()) {
  registry_.describe(kDeploymentsTotal, "Deployments finished, by app and terminal state.");
  registry_.describe(kRollbacksTotal,
                     "Rollbacks, by app and what caused them (a trigger's metric, manual or "
                     "emergency).");
  std::shared_ptr<Gauges> gauges = gauges_;
  registry_.addCollector([gauges](std::string& out) {
    MutexLock lock(gauges->mu);
    out += "# HELP shipgate_release_info The release running in each slot of each managed app.\n";
    out += "# TYPE shipgate_release_info gauge\n";
    for (const auto& [key, version] : gauges->release) {
      out += "shipgate_release_info{app=\"" + escape(key.first) + "\",slot=\"" +
             escape(key.second) + "\",version=\"" + escape(version) + "\"} 1\n";
    }
    out += "# HELP shipgate_trigger_value The latest measured value of each rollback rule "
           "during a deployment's switch and bake, in the rule's unit.\n";
    out += "# TYPE shipgate_trigger_value gauge\n";
    for (const auto& [key, value] : gauges->trigger) {
      out += "shipgate_trigger_value{app=\"" + escape(key.first) + "\",rule=\"" +
             escape(key.second) + "\"} " + number(value) + "\n";
    }
  });
}

void ReleaseMetrics::deploymentFinished(const std::string& app, const std::string& result) {
  registry_.counter(kDeploymentsTotal, {{"app", app}, {"result", result}}).add();
}

void ReleaseMetrics::rolledBack(const std::string& app, const std::string& trigger) {
  registry_.counter(kRollbacksTotal, {{"app", app}, {"trigger", trigger}}).add();
}

void ReleaseMetrics::slotRelease(const std::string& app, const std::string& slot,
                                 const std::string& version) {
  MutexLock lock(gauges_->mu);
  if (version.empty()) {
    gauges_->release.erase({app, slot});
  } else {
    gauges_->release[{app, slot}] = version;
  }
}

void ReleaseMetrics::triggerValue(const std::string& app, const std::string& rule, double value) {
  MutexLock lock(gauges_->mu);
  gauges_->trigger[{app, rule}] = value;
}

void ReleaseMetrics::clearTriggerValues(const std::string& app) {
  MutexLock lock(gauges_->mu);
  for (auto it = gauges_->trigger.begin(); it != gauges_->trigger.end();) {
    it = it->first.first == app ? gauges_->trigger.erase(it) : std::next(it);
  }
}

}  // namespace shipgate::release
