// Timestamps as the release API and CLI accept them: RFC 3339 ("2026-12-03T06:30:00Z",
// "2026-12-03T07:30:00.250+01:00", what `git show -s --format=%cI` prints) turned into
// milliseconds since the Unix epoch, and back (UTC, millisecond precision).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::admin {

// InvalidArgument saying which part is wrong. Years 1970..9999; a T or a space between date and
// time; "Z" or a ±HH:MM offset is required; at most 9 fraction digits (beyond ms truncated).
Result<int64_t> parseRfc3339Millis(std::string_view text);
// "2026-12-03T06:30:00.250Z" (".250" only when the milliseconds are not 0). REQUIRES: ms >= 0.
std::string formatRfc3339Millis(int64_t ms);

}  // namespace shipgate::admin
