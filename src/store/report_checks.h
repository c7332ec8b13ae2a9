// Private to the store: the argument checks both backends make on a release report.
#pragma once

#include <string>

#include "shipgate/store/state_store.h"

namespace shipgate::store {

inline Status checkReleaseReport(const ReleaseReportRecord& r) {
  if (r.app.empty() || r.version.empty()) {
    return Status::invalidArgument("release report: empty app or version");
  }
  if (r.kind.empty() || r.name.empty()) {
    return Status::invalidArgument("report of " + r.app + " " + r.version + ": empty kind or name");
  }
  if (static_cast<int64_t>(r.content.size()) > kMaxReleaseReportBytes) {
    return Status::invalidArgument("report " + r.name + " of " + r.app + " " + r.version +
                                   " is " + std::to_string(r.content.size()) +
                                   " bytes; the limit is " +
                                   std::to_string(kMaxReleaseReportBytes) + " bytes (16 MiB)");
  }
  return Status::success();
}

}  // namespace shipgate::store
