// The RUM beacon: what the rum.js script POSTs to the intake, and its strict parser.
//
//   {"m":[{"n":"homepage_load_time","v":1234.5}], "p":"/"}
//
// "m" (required): a non-empty list of at most max_metrics entries, each an object with exactly
// the keys "n" (a configured metric name) and "v" (a finite number in 0..max_value_ms).
// "p" (optional): the page path, a string of at most kMaxPagePathBytes. No other keys. The body is
// sent by navigator.sendBeacon (text/plain;charset=UTF-8) or fetch (application/json); both are
// accepted, and a missing Content-Type too; any other media type is rejected.
//
// parseBeacon never throws and never crashes on any input (fuzzed: tests/fuzz/rum_beacon); every
// rejection names one RejectReason (a metric label value) and a short human-readable detail.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace shipgate::rum {

inline constexpr size_t kMaxPagePathBytes = 512;

enum class RejectReason {
  kTooLarge,        // body over max_body_bytes (413)
  kContentType,     // neither text/plain nor application/json
  kBadJson,         // not JSON at all
  kNotObject,       // JSON, but not an object
  kUnknownField,    // a key other than "m" / "p", or other than "n" / "v" in an entry
  kNoMetrics,       // "m" missing, not a list, or empty
  kTooManyMetrics,  // more than max_metrics entries
  kBadEntry,        // an entry that is not an object, or lacks "n" or "v"
  kUnknownMetric,   // "n" is not a string naming a configured metric
  kBadValue,        // "v" is not a finite number
  kOutOfRange,      // "v" below 0 or above max_value_ms
  kBadPage,         // "p" is not a string or too long
  kRateLimited,     // the client sent too many beacons (429; decided by the intake)
  kMethod,          // not POST (405; decided by the intake)
};
inline constexpr RejectReason kAllRejectReasons[] = {
    RejectReason::kTooLarge,   RejectReason::kContentType,    RejectReason::kBadJson,
    RejectReason::kNotObject,  RejectReason::kUnknownField,   RejectReason::kNoMetrics,
    RejectReason::kTooManyMetrics, RejectReason::kBadEntry,   RejectReason::kUnknownMetric,
    RejectReason::kBadValue,   RejectReason::kOutOfRange,     RejectReason::kBadPage,
    RejectReason::kRateLimited, RejectReason::kMethod};

// "too_large", "content_type", "bad_json", "not_object", "unknown_field", "no_metrics",
// "too_many_metrics", "bad_entry", "unknown_metric", "bad_value", "out_of_range", "bad_page",
// "rate_limited", "method".
std::string_view reasonName(RejectReason reason);
// The HTTP status the intake answers a rejection with: 413, 429, 405, else 400.
int reasonStatus(RejectReason reason);

struct BeaconRules {
  std::vector<std::string> metrics;  // accepted names
  double max_value_ms = 600'000;
  size_t max_metrics = 16;
  size_t max_body_bytes = 4096;
};

struct Measurement {
  std::string name;
  double value_ms = 0;
};

struct Beacon {
  std::vector<Measurement> measurements;
  std::string page;  // "" when absent
};

struct BeaconError {
  RejectReason reason;
  std::string detail;  // e.g. "m[1].v: 1e9 is above max_value_ms 600000"
};

// Whether a request's Content-Type may carry a beacon: empty, text/plain or application/json
// (parameters such as charset ignored, case-insensitive).
bool acceptableContentType(std::string_view content_type);

// Parses and checks one beacon body.
std::variant<Beacon, BeaconError> parseBeacon(std::string_view body, const BeaconRules& rules);

}  // namespace shipgate::rum
