// AdminServer: the admin HTTP API on its own listener (loopback by default), served by
// cpp-httplib on its own threads, away from the data plane. Every call needs
// "Authorization: Bearer <token>" with the token read from the configured file.
//
//   GET  /api/v1/status                      apps, slots, endpoints, health, regions (JSON)
//   POST /api/v1/apps/{app}/switch           {"slot":"green"} or {"weights":{"blue":90,"green":10}}
//   POST /api/v1/apps/{app}/failover/approve {"region":"eu-west-1"}
//   POST /api/v1/reload                      re-read the config file
//   GET  /metrics                            Prometheus text format
//
// Releases (answered by the release controller; shapes in release/release_controller.h):
//   POST /api/v1/deployments                 {"app", "version", "env"?, "artifact"?,
//                                             "commit_sha"? (hex), "commit_time"? (ms since the
//                                             epoch, or RFC 3339 text; needs commit_sha),
//                                             "reason"?} -> 202 {"id", "deployment", "events"}
//   GET  /api/v1/deployments[?app=A&limit=N] {"deployments": [...]} newest first (N 1..1000, 50)
//   GET  /api/v1/deployments/{id}            the deployment with every step
//   POST /api/v1/deployments/{id}/approve    {} -> 200 the deployment (idempotent)
//   POST /api/v1/deployments/{id}/reject     {"reason"} -> 200 the deployment (idempotent)
//   GET  /api/v1/deployments/{id}/events     Server-Sent Events (text/event-stream): per event
//                                            "id: <seq>", "event: <type>", "data: {"seq", "at",
//                                            "type", "data"}"; resumes after Last-Event-ID (or
//                                            ?after=N); ": keep-alive" comments every 15 s; the
//                                            stream ends once the deployment has finished
//   POST /api/v1/apps/{app}/rollback         {"reason", "to"?: version, "emergency"?: bool}
//                                            -> 202 {"id", "deployment", "events"}
//   GET  /api/v1/apps/{app}/releases         slots and releases of the app
//   GET  /api/v1/incidents[?app=A&open=true&limit=N]  {"incidents": [{"id", "app",
//                                            "deployment_id", "cause", "detail", "opened_at",
//                                            "resolved_at", "open", "time_to_recover_ms"}]}
// Secrets (the store `shipgate serve` opened; the same operations as `shipgate secrets`). PATH is a
// secret path (/coinestate/prod/database/url); a bad one is 400 with the reason. Only GET of a
// path answers a value; nothing else (lists, history, errors) ever holds one:
//   PUT    /api/v1/secrets{PATH}[?cas=N]      body = the value (raw, at most 64 KiB, else 413)
//                                            -> 201 (first version) / 200 {"path", "version"};
//                                            CAS mismatch 409
//   GET    /api/v1/secrets{PATH}[?version=N | ?label=L][&environment=E]  the value, raw
//                                            (application/octet-stream, Cache-Control: no-store);
//                                            with environment: 403 when the secrets.access rules
//                                            do not let that environment's apps read PATH
//   GET    /api/v1/secrets{PREFIX}/[?recursive=1&deleted=1]  (trailing '/'; /api/v1/secrets/ is
//                                            everything) {"prefix", "secrets": [{"path",
//                                            "current_version", "created_at", "updated_at",
//                                            "deleted_at"}]}
//   GET    /api/v1/secrets{PATH}:history     {"path", "versions": [{"version", "created_at",
//                                            "created_by", "destroyed_at", "labels"}]}
//   DELETE /api/v1/secrets{PATH}             soft delete -> {"path", "deleted": true}
//   POST   /api/v1/secrets{PATH}:undelete    {} -> {"path", "deleted": false}
//   POST   /api/v1/secrets{PATH}:destroy     {"version": N} -> {"path", "version", "destroyed"}
//   POST   /api/v1/secrets{PATH}:label       {"version": N, "label": "stable"}
//   POST   /api/v1/secrets:rotate-key        {"new_key_file": "/etc/shipgate/new.key"}
//   GET    /api/v1/secrets:audit             {"intact", "entries", "first_broken"?, "problem"?}
// Every call is in the secrets audit log with the actor below. 404: unknown path, version,
// label or verb; 503: no secrets: section (no store).
// The actor recorded for a change (deploy, approve, reject, rollback, switch, reload) is the
// request's X-Shipgate-Actor header (1..128 printable characters, else 400), or "admin-api".
//
// A body is a JSON object with only the fields the call names (reload and approve take none; an
// empty body is {}). Errors are JSON {"error": "...", "field": "weights.blue"} ("field" when one
// field of the body or query is at fault) with 400 (not JSON, not an object, unknown field or
// query parameter, wrong type, missing required field), 401 (token), 404 (unknown
// app/region/deployment/version/route), 409 (the change needs what the app lacks, e.g. endpoints
// in the slot; a deployment already running; approving a finished deployment), 422 (a value out
// of range, e.g. a weight outside 0..100, a bad version or commit SHA, or a config that does not
// load), 503 (the release controller or the state store is not running; too many event streams;
// the routing state could not be saved, nothing changed). Nothing is narrowed or silently
// dropped.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"

namespace httplib {
class Server;
}
namespace shipgate::metrics {
class Registry;
}
namespace shipgate::release {
class ReleaseController;
}
namespace shipgate::store {
class StateStore;
}
namespace shipgate::secrets {
class SecretsStore;
struct SecretsConfig;
}  // namespace shipgate::secrets
namespace shipgate::flags {
class FlagStore;
}

namespace shipgate::admin {

class Controller;
class ReleaseRoutes;
class SecretsRoutes;
class FlagsRoutes;

// Cluster (several nodes on one PostgreSQL): a follower hands the calls on shared state to the
// leader. After the token check, every routed request is offered to the forwarder; a response it
// returns is the answer, std::nullopt means "answer here" (this node is the leader, or the call is
// local to the node).
struct ForwardRequest {
  std::string method;
  std::string target;  // path and query, as received
  std::string authorization;
  std::string actor;         // X-Shipgate-Actor, empty when absent
  std::string forwarded_by;  // X-Shipgate-Forwarded-By, empty when absent
  std::string content_type;
  std::string body;
};
struct ForwardResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  // Set for a stream (an event stream relayed from the leader): called once on the worker
  // thread with a writer (false once the client is gone); the answer ends when it returns.
  std::function<void(const std::function<bool(const std::string&)>& write)> stream;
};
using Forwarder = std::function<std::optional<ForwardResponse>(const ForwardRequest&)>;

class AdminServer {
 public:
  // `releases` and `store` may be null: the routes that need them answer 503.
  // REQUIRES: every argument outlives the server.
  AdminServer(Controller& controller, metrics::Registry& metrics,
              release::ReleaseController* releases = nullptr, store::StateStore* store = nullptr);
  ~AdminServer();

  // The secrets routes' store and access rules (secrets_routes.h); without a call they answer
  // 503. REQUIRES: before start(); the store outlives the server.
  void setSecrets(secrets::SecretsStore* store,
                  std::function<std::shared_ptr<const secrets::SecretsConfig>()> access);
  // The feature flag routes' store (flags_routes.h: /api/v1/flags/...); `changed` runs after a
  // write. Without a call they answer 503. REQUIRES: before start(); the store outlives the
  // server.
  void setFlags(flags::FlagStore* store, std::function<void()> changed);
  // Reads the token file and binds; port 0 picks a free port (see port()).
  Status start(const config::AdminConfig& config);
  uint16_t port() const { return port_; }
  // The release controller has started: the release routes answer from now on (503 "starting"
  // before, so no call reaches a controller that has not reconciled yet).
  void releasesReady();
  // REQUIRES: called before start().
  void setForwarder(Forwarder forwarder) { forwarder_ = std::move(forwarder); }
  // Ends the open event streams (clients reconnect), then stops serving.
  void stop();

 private:
  Controller& controller_;
  metrics::Registry& metrics_;
  std::unique_ptr<ReleaseRoutes> release_routes_;
  std::unique_ptr<SecretsRoutes> secrets_routes_;
  std::unique_ptr<FlagsRoutes> flags_routes_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::string token_;
  uint16_t port_ = 0;
  Forwarder forwarder_;
};

// Reads a bearer token file: trimmed content, must be non-empty.
Result<std::string> readTokenFile(const std::string& path);

}  // namespace shipgate::admin
