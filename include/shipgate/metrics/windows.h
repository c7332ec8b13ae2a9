// Windows: the registry sampled at a fixed interval of the injected Clock. Each tick() that finds
// a full interval elapsed takes a snapshot, keeps the deltas against the previous one as one
// window, and pushes it into a ring of the last WindowsOptions::windows windows. The reader side
// (TelemetryReader) sums the newest windows of a span.
//
//   metrics::Windows windows(registry, clock, {.interval = Millis(10'000), .windows = 60});
//   metrics::Sampler sampler(windows);  // or call windows.tick() from a control loop
//   sampler.start();
//   windows.errorRate("api", "green", Millis(60'000));
//
// Tracked: the counter and histogram series of WindowsOptions::families (by default those the
// reader answers from: requests, latency, WAF rule matches and blocks, WAF blocked requests,
// endpoint health transitions). A counter that went down (a series recreated) counts from 0; a
// series that first appears counts whole in the window where it appeared.
//
// Bounded: at most `windows` windows of at most `max_series` deltas each (only non-zero deltas
// are kept); series past max_series are not tracked and are counted in droppedSeries().
// The request path never touches a Windows: it only increments the registry's cells.
// Thread-safety: tick() may be called from any thread (calls are serialised); readers never block
// the registry's writers and see whole windows only (each tick publishes a new immutable ring).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/metrics/telemetry_reader.h"

namespace shipgate::metrics {

struct WindowsOptions {
  Millis interval{10'000};  // length of one window
  size_t windows = 60;      // windows kept (10 minutes at the default interval)
  size_t max_series = 4096;
  std::vector<std::string> families = defaultFamilies();
  static std::vector<std::string> defaultFamilies();
};

class Windows final : public TelemetryReader {
 public:
  // Takes the baseline snapshot now; the first window closes one interval later.
  // `registry` and `clock` must outlive the Windows. An interval under 1 ms is taken as 1 ms,
  // fewer than one window as one.
  Windows(const Registry& registry, Clock& clock, WindowsOptions options = {});
  ~Windows() override;

  // Closes a window when at least one interval has passed since the last one closed (after a
  // longer pause, the one window closed covers the whole pause). Returns whether it closed one.
  bool tick();
  // Time until tick() will close the next window (zero or less: due now).
  Clock::time_point::duration untilNextWindow() const;
  const WindowsOptions& options() const { return options_; }

  size_t windowCount() const;      // windows held now (at most options().windows)
  uint64_t closedWindows() const;  // windows closed since construction
  // Series left untracked because of max_series: one count per such series per tick.
  uint64_t droppedSeries() const;
  // The sum over the span (see telemetry_reader.h) of the deltas of counter family `name`
  // whose labels include all of `match`.
  uint64_t counterDelta(std::string_view name, const Labels& match, Millis span) const;

  RequestCounts requests(std::string_view app, std::string_view slot, Millis span) const override;
  std::optional<double> latencyQuantile(std::string_view app, std::string_view slot, double q,
                                        Millis span) const override;
  RuleCounts wafRule(std::string_view rule, Millis span) const override;
  uint64_t wafBlocked(Millis span) const override;
  uint64_t healthTransitions(std::string_view endpoint, std::string_view to,
                             Millis span) const override;

  struct Window;   // internal: one interval's deltas
  struct Ring;     // internal: the windows, oldest first
  struct Sampled;  // internal: every tracked series' value at the previous snapshot

 private:
  std::shared_ptr<const Ring> ring() const;
  // The newest windows whose lengths add up to at least `span`, newest first.
  std::vector<const Window*> windowsFor(const Ring& ring, Millis span, Millis* covered) const;
  void baseline() REQUIRES(tick_mu_);
  bool tracked(std::string_view family) const;

  const Registry& registry_;
  Clock& clock_;
  const WindowsOptions options_;

  mutable Mutex tick_mu_;
  Clock::time_point last_close_ GUARDED_BY(tick_mu_);
  Clock::time_point next_close_ GUARDED_BY(tick_mu_);
  std::unique_ptr<Sampled> last_ GUARDED_BY(tick_mu_);

  mutable Mutex ring_mu_;
  std::shared_ptr<const Ring> ring_ GUARDED_BY(ring_mu_);
  std::atomic<int64_t> next_close_ns_{0};  // next_close_, for untilNextWindow() without a lock
  std::atomic<uint64_t> closed_{0};
  std::atomic<uint64_t> dropped_series_{0};
};

}  // namespace shipgate::metrics
