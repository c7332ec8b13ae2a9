// TelemetryReader: what a release controller reads of the gateway's recent behaviour, per app and
// slot (requests, status classes, latency quantiles), per WAF rule (matches, blocks) and per
// endpoint (health transitions), over the most recent `span` of time. Windows (windows.h) is the
// implementation over the registry; tests fake it (tests/unit/metrics/fake_telemetry_reader.h).
//
// A span is answered with whole sampling windows, newest first, until their lengths add up to
// at least `span` (a span of 0 or less: the newest window only), or with every window kept
// when the history is shorter; RequestCounts::covered says how much time was actually summed.
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "shipgate/common/clock.h"

namespace shipgate::metrics {

struct RequestCounts {
  uint64_t total = 0;
  std::array<uint64_t, 5> by_class{};  // 1xx, 2xx, 3xx, 4xx, 5xx
  Millis covered{0};                   // the length of the windows summed
  uint64_t serverErrors() const { return by_class[4]; }
};

struct RuleCounts {
  uint64_t matches = 0;  // requests the rule matched, whatever its action
  uint64_t blocks = 0;   // requests the firewall answered because of it (block, challenge, 429)
};

class TelemetryReader {
 public:
  virtual ~TelemetryReader() = default;

  // Requests answered for `app` in `slot` (every site and region).
  virtual RequestCounts requests(std::string_view app, std::string_view slot,
                                 Millis span) const = 0;
  // The q-quantile (0 <= q <= 1) of request latency in seconds, interpolated within histogram
  // buckets as Prometheus' histogram_quantile() does; nullopt without requests in the span.
  virtual std::optional<double> latencyQuantile(std::string_view app, std::string_view slot,
                                                double q, Millis span) const = 0;
  virtual RuleCounts wafRule(std::string_view rule, Millis span) const = 0;
  // Requests the firewall answered itself (blocked, challenged, rate limited), all rules.
  virtual uint64_t wafBlocked(Millis span) const = 0;
  // Health transitions of the endpoint with key `endpoint` ("app/slot/host:port") into state
  // `to` ("healthy", "unhealthy", ...; "" for any).
  virtual uint64_t healthTransitions(std::string_view endpoint, std::string_view to,
                                     Millis span) const = 0;

  // 5xx answers / all answers of app/slot; nullopt without requests in the span.
  std::optional<double> errorRate(std::string_view app, std::string_view slot, Millis span) const;
  uint64_t wafBlocks(std::string_view rule, Millis span) const {
    return wafRule(rule, span).blocks;
  }
};

}  // namespace shipgate::metrics
