// SlaWatch: the performance SLAs of each managed app's live release once it has baked. During the
// bake an SLA past its alert_threshold rolls the release back (deployment_run.cc); after the bake
// the release stays and an incident is opened instead, resolved when the SLA is back within its
// alert threshold. Private to src/release.
//
// Once per second of deps.clock, for every managed app whose environment has triggers on, that
// has a live release and no deployment running (the bake judges that one), each SLA of
// performance_slas is evaluated (watch::evaluateSla) against LiveSlaSource. Per app and SLA at
// most one incident is open: an alert opens it; ok or over_target resolves it; no data leaves it
// as it is (nothing says the release recovered). Open incidents this watch opened before a
// restart (detail "source": "sla_watch") are adopted, so a restart opens no duplicate.
//
// Thread: start() runs the watch on a thread of its own; stop() (also the destructor) joins it.
// The controller starts it after reconciling and stops it before its worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "shipgate/common/mutex.h"
#include "shipgate/watch/sla.h"

namespace shipgate::metrics {
class TelemetryReader;
}
namespace shipgate::rum {
class RumStore;
}

namespace shipgate::release {

class DeployController;

// The SLA source of the release `version` of `app` live in `slot`: the gateway's latency of the
// slot for api_response_time, the RUM store for the others (beacons attributed to
// "<app>@<version>"; to "<app>@<slot>" while none are).
class LiveSlaSource final : public watch::SlaSource {
 public:
  LiveSlaSource(const metrics::TelemetryReader& telemetry, const rum::RumStore* rum,
                std::string app, std::string slot, std::string version);
  std::optional<double> percentile(std::string_view metric, double p,
                                   std::chrono::milliseconds window) const override;
  int64_t count(std::string_view metric, std::chrono::milliseconds window) const override;

 private:
  std::string label(std::string_view metric, std::chrono::milliseconds window) const;
  const metrics::TelemetryReader& telemetry_;
  const rum::RumStore* rum_;
  std::string app_, slot_, version_;
};

class SlaWatch {
 public:
  static constexpr int64_t kEveryMs = 1'000;

  explicit SlaWatch(DeployController& controller);
  ~SlaWatch();
  SlaWatch(const SlaWatch&) = delete;
  SlaWatch& operator=(const SlaWatch&) = delete;

  void start();
  void stop();

 private:
  struct Open {
    int64_t id = 0;
    std::string deployment_id;
  };
  void run();
  // Waits until `deadline_mono_ms` of the clock; false when stopping.
  bool sleepUntil(int64_t deadline_mono_ms);
  void pass();
  void adopt();

  DeployController& c_;
  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
  // Only the watch thread touches these.
  bool adopted_ = false;
  std::map<std::pair<std::string, std::string>, Open> open_;  // (app, metric) -> its incident
};

}  // namespace shipgate::release
