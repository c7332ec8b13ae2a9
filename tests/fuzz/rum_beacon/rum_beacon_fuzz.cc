// Fuzzes rum::parseBeacon, the parser of beacons any client can POST to the public listener.
// Input: a beacon body. Invariants: it never crashes or throws; an accepted beacon has 1..max
// measurements, each with a configured name and a finite value in 0..max_value_ms, and a page of
// at most kMaxPagePathBytes; a rejection names a reason with a non-empty, bounded, printable
// detail and the status 400 or (too large only) 413; a body over max_body_bytes is always
// rejected as too large; and the answer does not depend on how the bytes are held.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "shipgate/rum/beacon.h"

namespace {

using shipgate::rum::Beacon;
using shipgate::rum::BeaconError;
using shipgate::rum::BeaconRules;
using shipgate::rum::RejectReason;

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  fprintf(stderr, "rum_beacon_fuzz invariant violated: %s\ninput: %.*s\n", what,
          static_cast<int>(input.size()), input.data());
  abort();
}

const BeaconRules& rules() {
  static const BeaconRules r = [] {
    BeaconRules x;
    x.metrics = {"homepage_load_time", "api_response_time", "wallet_connection_time",
                 "transaction_confirmation"};
    x.max_value_ms = 600000;
    x.max_metrics = 16;
    x.max_body_bytes = 4096;
    return x;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  const BeaconRules& r = rules();
  auto out = shipgate::rum::parseBeacon(body, r);
  if (const auto* b = std::get_if<Beacon>(&out)) {
    check(size <= r.max_body_bytes, "accepted a body over max_body_bytes", body);
    check(!b->measurements.empty() && b->measurements.size() <= r.max_metrics,
          "measurement count out of bounds", body);
    for (const auto& m : b->measurements) {
      bool known = false;
      for (const auto& n : r.metrics) known |= n == m.name;
      check(known, "accepted an unconfigured metric", body);
      check(std::isfinite(m.value_ms) && m.value_ms >= 0 && m.value_ms <= r.max_value_ms,
            "accepted a value out of range", body);
    }
    check(b->page.size() <= shipgate::rum::kMaxPagePathBytes, "page too long", body);
  } else {
    const auto& e = std::get<BeaconError>(out);
    check(!e.detail.empty() && e.detail.size() < 200, "detail empty or unbounded", body);
    for (char c : e.detail) check(c >= 0x20 && c < 0x7f, "detail not printable ASCII", body);
    const int status = shipgate::rum::reasonStatus(e.reason);
    check(status == 400 || (status == 413 && e.reason == RejectReason::kTooLarge),
          "parser rejection with a status other than 400/413", body);
    check(e.reason != RejectReason::kRateLimited && e.reason != RejectReason::kMethod,
          "parser decided an intake-only reason", body);
    if (size > r.max_body_bytes) check(e.reason == RejectReason::kTooLarge, "oversize not 413", body);
  }
  // The same bytes in a string_view over a different buffer: the same verdict.
  std::string copy = body;
  auto again = shipgate::rum::parseBeacon(std::string_view(copy), r);
  check(again.index() == out.index(), "verdict depends on the buffer", body);
  return 0;
}
