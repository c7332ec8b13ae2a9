// The Prometheus text exposition format (version 0.0.4) of a Snapshot: for each family, in the
// snapshot's order, # HELP and # TYPE, then its series. Label values are escapes (backslash,
// double quote, newline); histograms get cumulative _bucket lines ending with le="+Inf", then
// _sum and _count. The output passes `promtool check metrics`.
#pragma once

#include <string>
#include <string_view>

#include "shipgate/metrics/snapshot.h"

namespace shipgate::metrics {

// Appends `value` escaped for a label value (backslash, double quote, newline) to `out`: for
// collectors that write their own series lines.
void appendEscapedLabelValue(std::string& out, std::string_view value);

// Appends the text of `snapshot` to `out`.
void renderPrometheusText(const Snapshot& snapshot, std::string& out);

}  // namespace shipgate::metrics
