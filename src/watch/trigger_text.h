// Private helpers shared by the watch library's sources: number and rule formatting, limits, and
// the value grammar the wording parser and the structured form share.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "shipgate/watch/triggers.h"

namespace shipgate::watch {

inline constexpr double kMaxBaselinePercent = 100'000;
inline constexpr double kMaxLatencyMs = 3'600'000;
inline constexpr double kMaxCount = 1'000'000'000;
inline constexpr double kMaxWafRate = 1e12;
inline constexpr Millis kMinSample{1'000};
inline constexpr Millis kMaxSample{3'600'000};
inline constexpr Millis kMaxWindow{86'400'000};
inline constexpr size_t kMaxWordingBytes = 512;

// Shortest fixed-point text that reads back as the same double ("5", "0.25", "1000").
std::string formatNumber(double v);
// A measured value for humans: 4 significant digits below 1000, whole numbers above.
std::string formatMeasured(double v);
// "/s" or "/min".
std::string ratePerName(Millis per);
// The threshold as written in the canonical text: "5%", "200% of baseline", "800ms", "3
// consecutive", "1000/min".
std::string thresholdText(const TriggerSpec& s);
// describe() without the parenthesised sampling options.
std::string describeRule(const TriggerSpec& s);
bool usesMinRequests(TriggerMetric m);
// Equal as rules (wording and location aside).
bool sameRule(const TriggerSpec& a, const TriggerSpec& b);

// Reads a threshold written alone, as the structured form's above:/below: value ("5%", "800ms",
// "2s", "200% of baseline", "3", "1000/min", "20 per second"), for `spec.metric`; sets threshold,
// and baseline / rate_per when the text says. A bare number is ms for latency and per minute for
// waf_blocks. Returns false with `error` (offset into text) when it cannot.
bool parseThresholdText(std::string_view text, TriggerSpec& spec, WordingError& error);

}  // namespace shipgate::watch
