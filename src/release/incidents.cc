// Incidents outside a trigger's rollback (see incidents.h).
#include "incidents.h"

#include <nlohmann/json.hpp>

#include "shipgate/common/log.h"
#include "shipgate/notify/notifier.h"

namespace shipgate::release {
namespace {

void appendAudit(ControllerDeps& deps, const std::string& action, int64_t id,
                 const std::string& actor, const std::string& reason,
                 const nlohmann::json& detail) {
  store::AuditEntry a;
  a.at = deps.clock.wallMillis();
  a.actor = actor;
  a.action = action;
  a.subject = std::to_string(id);
  a.reason = reason;
  a.detail_json = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto added = deps.store.appendAudit(a);
  if (!added)
    log::error("incident " + a.subject +
               ": cannot write the audit log: " + added.status().message());
}

void send(ControllerDeps& deps, notify::EventKind kind, int64_t id, const std::string& app,
          const std::string& deployment_id, const std::string& reason, const IncidentContext& ctx) {
  if (deps.notifier == nullptr) return;
  notify::Event e;
  e.kind = kind;
  e.app = app;
  e.env = ctx.env;
  e.version = ctx.version;
  e.previous_version = ctx.previous_version;
  e.deployment_id = deployment_id;
  e.incident_id = std::to_string(id);
  e.actor = ctx.actor;
  e.reason = reason;
  e.fields = ctx.fields;
  e.at_ms = deps.clock.wallMillis();
  deps.notifier->notify(std::move(e));
}

}  // namespace

int64_t openIncident(ControllerDeps& deps, const store::IncidentRecord& incident,
                     const IncidentContext& ctx) {
  auto id = deps.store.openIncident(incident);
  if (!id) {
    log::error("app " + incident.app + ": cannot open an incident (" + incident.cause +
               "): " + id.status().message());
    return 0;
  }
  log::warn("app " + incident.app + ": incident " + std::to_string(*id) +
            " opened: " + incident.cause);
  appendAudit(deps, "incident_opened", *id, ctx.actor, incident.cause,
              {{"app", incident.app}, {"deployment_id", incident.deployment_id}});
  send(deps, notify::EventKind::kIncidentOpened, *id, incident.app, incident.deployment_id,
       incident.cause, ctx);
  return *id;
}

bool resolveIncident(ControllerDeps& deps, int64_t id, const std::string& app,
                     const std::string& deployment_id, const std::string& why,
                     const IncidentContext& ctx) {
  Status st = deps.store.resolveIncident(id, deps.clock.wallMillis());
  if (st.code() == Status::Code::kFailedPrecondition) return true;  // resolved already
  if (!st.isOk()) {
    log::error("app " + app + ": cannot resolve incident " + std::to_string(id) + ": " +
               st.message());
    return false;
  }
  log::info("app " + app + ": incident " + std::to_string(id) + " resolved: " + why);
  appendAudit(deps, "incident_resolved", id, "controller", why,
              {{"app", app}, {"deployment_id", deployment_id}});
  send(deps, notify::EventKind::kIncidentResolved, id, app, deployment_id, why, ctx);
  return true;
}

}  // namespace shipgate::release
