// libFuzzer entry point for the shield's untrusted-input parsers: the sg_clearance cookie value
// (Challenge::verifyCookie), the Cookie header scan (findClearanceCookie) and, since operators
// write it, the rate shorthand (parseRateShorthand). The corpus holds a valid cookie for the
// fixed secret, clock, IP and user agent below, so mutations reach every verification step.
#include <openssl/sha.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "shipgate/shield/challenge.h"
#include "shipgate/shield/rate_policy.h"

namespace {

constexpr std::string_view kIp = "203.0.113.7";
constexpr std::string_view kUa = "Mozilla/5.0 fuzz";

const shipgate::shield::Challenge& challenge() {
  static shipgate::SimulatedClock* clock = new shipgate::SimulatedClock();  // 1.7e12 ms
  static shipgate::shield::Challenge* ch = [] {
    shipgate::shield::ChallengeConfig c;
    c.secret = "fuzz-secret-0123456789abcdef";
    c.difficulty_bits = 8;
    c.ttl = std::chrono::seconds(86400 * 365);
    return std::move(shipgate::shield::Challenge::create(c, *clock)).value().release();
  }();
  return *ch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto& ch = challenge();
  auto check = ch.verifyCookie(input, kIp, kUa);
  if (check.valid) {
    // Invariant: anything accepted carries the proof of work.
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(data, size, d);
    if (shipgate::shield::leadingZeroBits(d) < ch.difficultyBits()) std::abort();
  }
  (void)shipgate::shield::toString(check.reason);
  if (auto v = shipgate::shield::findClearanceCookie(input)) {
    if (v->size() > size) std::abort();
    (void)ch.verifyCookie(*v, kIp, kUa);
  }
  auto rate = shipgate::shield::parseRateShorthand(input);
  if (rate.isOk()) {
    if (rate->requests <= 0 || rate->period.count() <= 0) std::abort();
    auto again = shipgate::shield::parseRateShorthand(shipgate::shield::formatRate(*rate));
    if (!again.isOk() || !(*again == *rate)) std::abort();
  }
  return 0;
}
