// Incidents opened and resolved outside a trigger's rollback (rollBackAfterSwitch keeps its own):
// the post-bake SLA watch (sla_watch.h) and emergency rollbacks. Each opening and resolution is
// written to the store, appended to the audit log and sent through the notifier, so an incident
// looks the same wherever it came from. Private to src/release.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "shipgate/release/controller.h"
#include "shipgate/store/state_store.h"

namespace shipgate::release {

// What the notifications of an incident say besides its id and reason.
struct IncidentContext {
  std::string env;
  std::string version;           // the release the incident is about
  std::string previous_version;  // may be empty
  std::string actor;             // who caused it (an operator) or "controller"
  std::map<std::string, std::string> fields;
};

// Opens `incident` (app, cause, detail_json, opened_at and deployment_id as given), appends an
// "incident_opened" audit entry and notifies incident_opened. Returns the id, or 0 when the store
// refused it (logged; nothing is notified then).
int64_t openIncident(ControllerDeps& deps, const store::IncidentRecord& incident,
                     const IncidentContext& ctx);

// Resolves incident `id` at deps.clock's wall time, appends an "incident_resolved" audit entry
// and notifies incident_resolved with `why`. False when the store refused (logged); an incident
// that was already resolved counts as resolved and is not notified again.
bool resolveIncident(ControllerDeps& deps, int64_t id, const std::string& app,
                     const std::string& deployment_id, const std::string& why,
                     const IncidentContext& ctx);

}  // namespace shipgate::release
