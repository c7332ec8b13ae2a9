// The Prometheus text of the Notifier's counters (see notify/notifier.h).
#include "shipgate/notify/notifier.h"

namespace shipgate::notify {

void renderNotifierMetrics(const NotifierStats& stats, std::string& out) {
  if (stats.counters.empty()) return;
  out += "# HELP shipgate_notifications_total Notification deliveries by channel and result "
         "(retrying: attempts that failed and will be retried).\n"
         "# TYPE shipgate_notifications_total counter\n";
  for (const auto& c : stats.counters) {
    // Channel and result names are fixed identifiers: nothing to escape.
    out += "shipgate_notifications_total{channel=\"" + c.channel + "\",result=\"" + c.result +
           "\"} " + std::to_string(c.count) + "\n";
  }
  out += "# HELP shipgate_notifications_pending Notification deliveries queued or in flight.\n"
         "# TYPE shipgate_notifications_pending gauge\n"
         "shipgate_notifications_pending " + std::to_string(stats.pending) + "\n";
}

}  // namespace shipgate::notify
