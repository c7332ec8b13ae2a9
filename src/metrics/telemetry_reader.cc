#include "shipgate/metrics/telemetry_reader.h"

namespace shipgate::metrics {

std::optional<double> TelemetryReader::errorRate(std::string_view app, std::string_view slot,
                                                 Millis span) const {
  RequestCounts c = requests(app, slot, span);
  if (c.total == 0) return std::nullopt;
  return static_cast<double>(c.serverErrors()) / static_cast<double>(c.total);
}

}  // namespace shipgate::metrics
