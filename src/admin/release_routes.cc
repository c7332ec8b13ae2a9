#include "release_routes.h"

#include <charconv>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "http_util.h"
#include "shipgate/admin/sse.h"
#include "shipgate/admin/timestamp.h"
#include "shipgate/common/log.h"
#include "shipgate/release/release_controller.h"
#include "shipgate/store/state_store.h"

namespace shipgate::admin {

using nlohmann::json;

namespace {

constexpr size_t kMaxReasonBytes = 1000;
constexpr size_t kMaxTextBytes = 4096;

// A name that goes into a URL path segment: an app or a deployment id.
bool plainName(const std::string& s) {
  if (s.empty() || s.size() > 128 || s == "." || s == "..") return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// Reads an optional string field into `out`. Writes 400 (not a string) or 422 (too long, or
// `required` and absent/empty) naming the field; returns false then.
bool stringField(const json& body, const char* field, std::string& out, httplib::Response& res,
                 bool required, size_t max_bytes = kMaxTextBytes) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    if (required) {
      sendError(res, 400, std::string("body needs \"") + field + "\"", field);
      return false;
    }
    return true;
  }
  if (!it->is_string()) {
    sendError(res, 400,
              std::string("\"") + field + "\" must be a string, not " + it->type_name(), field);
    return false;
  }
  out = it->get<std::string>();
  if (required && out.empty()) {
    sendError(res, 422, std::string("\"") + field + "\" must not be empty", field);
    return false;
  }
  if (out.size() > max_bytes) {
    sendError(res, 422,
              std::string("\"") + field + "\" is longer than " + std::to_string(max_bytes) +
                  " bytes",
              field);
    return false;
  }
  return true;
}

bool boolField(const json& body, const char* field, bool& out, httplib::Response& res) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_boolean()) {
    sendError(res, 400,
              std::string("\"") + field + "\" must be true or false, not " + it->dump(), field);
    return false;
  }
  out = it->get<bool>();
  return true;
}

// commit_time: milliseconds since the epoch (an integer >= 0) or an RFC 3339 string.
bool timeField(const json& body, const char* field, int64_t& out, httplib::Response& res) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return true;
  if (it->is_string()) {
    auto ms = parseRfc3339Millis(it->get_ref<const std::string&>());
    if (!ms) {
      sendError(res, 422, "\"" + std::string(field) + "\": " + ms.status().message(), field);
      return false;
    }
    out = *ms;
    return true;
  }
  if (!it->is_number_integer()) {
    sendError(res, 400,
              std::string("\"") + field +
                  "\" must be milliseconds since the epoch (an integer) or an RFC 3339 string, "
                  "not " + it->dump(),
              field);
    return false;
  }
  if (!it->is_number_unsigned() || it->get<uint64_t>() > 253402300799999ull) {
    sendError(res, 422,
              std::string("\"") + field + "\" must be 0..253402300799999 ms (got " + it->dump() +
                  ")",
              field);
    return false;
  }
  out = static_cast<int64_t>(it->get<uint64_t>());
  return true;
}

bool hexSha(const std::string& s) {
  if (s.size() < 4 || s.size() > 64) return false;
  for (unsigned char c : s) {
    if (!std::isxdigit(c)) return false;
  }
  return true;
}

bool parseNonNegative(const std::string& text, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && out >= 0;
}

void sendStatusError(httplib::Response& res, const Status& st, const std::string& field = "") {
  const int status = httpStatusFor(st);
  sendError(res, status, st.message(), status == 404 ? "" : field);
}

json incidentJson(const store::IncidentRecord& r) {
  auto ms = [](int64_t v) { return v == 0 ? json(nullptr) : json(v); };
  json detail = r.detail_json.empty() ? json::object() : json::parse(r.detail_json, nullptr, false);
  if (detail.is_discarded()) detail = r.detail_json;
  return {{"id", r.id},
          {"app", r.app},
          {"deployment_id", r.deployment_id.empty() ? json(nullptr) : json(r.deployment_id)},
          {"cause", r.cause},
          {"detail", detail},
          {"opened_at", r.opened_at},
          {"resolved_at", ms(r.resolved_at)},
          {"open", r.resolved_at == 0},
          {"time_to_recover_ms", r.resolved_at == 0 ? json(nullptr) : json(r.time_to_recover_ms)}};
}

}  // namespace

std::string actorOf(const httplib::Request& req, bool* ok) {
  *ok = true;
  if (!req.has_header("X-Shipgate-Actor")) return "admin-api";
  std::string actor = req.get_header_value("X-Shipgate-Actor");
  bool good = !actor.empty() && actor.size() <= 128;
  for (unsigned char c : actor) good = good && c >= 0x20 && c != 0x7f;
  if (!good) {
    *ok = false;
    return "";
  }
  return actor;
}

ReleaseRoutes::ReleaseRoutes(release::ReleaseController* releases, store::StateStore* store,
                             StreamSettings settings)
    : releases_(releases), store_(store), settings_(settings) {}

void ReleaseRoutes::install(Routes& s) {
  // Every release route needs the controller: without it (serve without managed apps would still
  // have one; a test server may not) they answer 503.
  auto need = [this](httplib::Response& res) {
    if (releases_ != nullptr && ready_.load()) return true;
    sendError(res, 503, releases_ == nullptr ? "the release controller is not running"
                                             : "the release controller is starting; try again");
    return false;
  };
  auto actor = [](const httplib::Request& req, httplib::Response& res, std::string& out) {
    bool ok = false;
    out = actorOf(req, &ok);
    if (!ok) {
      sendError(res, 400,
                "header X-Shipgate-Actor must be 1..128 printable characters (who is asking)");
    }
    return ok;
  };

  s.Post("/api/v1/deployments", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!need(res)) return;
    auto body = parseBody(req, res, {"app", "version", "env", "artifact", "commit_sha",
                                     "commit_time", "reason", "override_gates"});
    if (!body) return;
    release::DeployRequest r;
    if (!actor(req, res, r.actor)) return;
    if (!stringField(*body, "app", r.app, res, true) ||
        !stringField(*body, "version", r.version, res, true) ||
        !stringField(*body, "env", r.env, res, false) ||
        !stringField(*body, "artifact", r.artifact, res, false) ||
        !stringField(*body, "commit_sha", r.commit_sha, res, false) ||
        !timeField(*body, "commit_time", r.commit_time, res) ||
        !stringField(*body, "reason", r.reason, res, false, kMaxReasonBytes) ||
        !boolField(*body, "override_gates", r.override_gates, res)) {
      return;
    }
    if (r.override_gates && r.reason.empty()) {
      return sendError(res, 400,
                       "\"override_gates\" needs a \"reason\" (it is recorded with the actor)",
                       "reason");
    }
    if (!plainName(r.app)) {
      return sendError(res, 422, "\"app\" must be an app name (letters, digits, '-', '_', '.')",
                       "app");
    }
    if (!r.commit_sha.empty() && !hexSha(r.commit_sha)) {
      return sendError(res, 422, "\"commit_sha\" must be 4..64 hex digits (got \"" +
                                     r.commit_sha.substr(0, 80) + "\")",
                       "commit_sha");
    }
    if (body->contains("commit_time") && !(*body)["commit_time"].is_null() &&
        r.commit_sha.empty()) {
      return sendError(res, 422, "\"commit_time\" needs \"commit_sha\"", "commit_time");
    }
    auto id = releases_->deploy(r);
    if (!id) return sendStatusError(res, id.status());
    sendJson(res, 202, json{{"id", *id},
                            {"deployment", "/api/v1/deployments/" + *id},
                            {"events", "/api/v1/deployments/" + *id + "/events"}});
  });

  s.Get("/api/v1/deployments", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!need(res) || !checkQuery(req, res, {"app", "limit"})) return;
    const std::string app = req.get_param_value("app");
    if (req.has_param("app") && !plainName(app)) {
      return sendError(res, 400, "query parameter \"app\" must be an app name", "app");
    }
    int64_t limit = 50;
    if (req.has_param("limit") &&
        (!parseNonNegative(req.get_param_value("limit"), limit) || limit < 1 || limit > 1000)) {
      return sendError(res, 400, "query parameter \"limit\" must be 1..1000", "limit");
    }
    auto list = releases_->deployments(app, static_cast<int>(limit));
    if (!list) return sendStatusError(res, list.status());
    sendJson(res, 200, *list);
  });

  s.Get(R"(/api/v1/deployments/([^/]+))", [=, this](const httplib::Request& req,
                                                    httplib::Response& res) {
    if (!need(res) || !checkQuery(req, res, {})) return;
    auto d = releases_->deployment(req.matches[1]);
    if (!d) return sendStatusError(res, d.status());
    sendJson(res, 200, *d);
  });

  s.Post(R"(/api/v1/deployments/([^/]+)/approve)", [=, this](const httplib::Request& req,
                                                            httplib::Response& res) {
    if (!need(res)) return;
    auto body = parseBody(req, res, {});
    if (!body) return;
    std::string who;
    if (!actor(req, res, who)) return;
    const std::string id = req.matches[1];
    Status st = releases_->approve(id, who);
    if (!st.isOk()) return sendStatusError(res, st);
    auto d = releases_->deployment(id);
    if (!d) return sendStatusError(res, d.status());
    sendJson(res, 200, *d);
  });

  s.Post(R"(/api/v1/deployments/([^/]+)/reject)", [=, this](const httplib::Request& req,
                                                           httplib::Response& res) {
    if (!need(res)) return;
    auto body = parseBody(req, res, {"reason"});
    if (!body) return;
    std::string who, reason;
    if (!actor(req, res, who)) return;
    if (!stringField(*body, "reason", reason, res, true, kMaxReasonBytes)) return;
    const std::string id = req.matches[1];
    Status st = releases_->reject(id, who, reason);
    if (!st.isOk()) return sendStatusError(res, st);
    auto d = releases_->deployment(id);
    if (!d) return sendStatusError(res, d.status());
    sendJson(res, 200, *d);
  });

  s.Get(R"(/api/v1/deployments/([^/]+)/events)",
        [this](const httplib::Request& req, httplib::Response& res) { events(req, res); });

  s.Post(R"(/api/v1/apps/([^/]+)/rollback)", [=, this](const httplib::Request& req,
                                                      httplib::Response& res) {
    if (!need(res)) return;
    auto body = parseBody(req, res, {"reason", "to", "emergency", "with_migrations"});
    if (!body) return;
    release::RollbackRequest r;
    r.app = req.matches[1];
    if (!actor(req, res, r.actor)) return;
    std::string to;
    if (!stringField(*body, "reason", r.reason, res, true, kMaxReasonBytes) ||
        !stringField(*body, "to", to, res, false) ||
        !boolField(*body, "emergency", r.emergency, res) ||
        !boolField(*body, "with_migrations", r.with_migrations, res)) {
      return;
    }
    if (body->contains("to") && !(*body)["to"].is_null()) {
      if (to.empty()) return sendError(res, 422, "\"to\" must name a version", "to");
      r.to_version = to;
    }
    auto id = releases_->rollback(r);
    if (!id) return sendStatusError(res, id.status());
    sendJson(res, 202, json{{"id", *id},
                            {"deployment", "/api/v1/deployments/" + *id},
                            {"events", "/api/v1/deployments/" + *id + "/events"}});
  });

  s.Post(R"(/api/v1/apps/([^/]+)/releases)", [=, this](const httplib::Request& req,
                                                      httplib::Response& res) {
    if (!need(res)) return;
    std::string who;
    if (!actor(req, res, who)) return;
    createRelease(req, res, who);
  });

  s.Get(R"(/api/v1/apps/([^/]+)/releases)", [=, this](const httplib::Request& req,
                                                     httplib::Response& res) {
    if (!need(res) || !checkQuery(req, res, {})) return;
    auto r = releases_->releases(req.matches[1]);
    if (!r) return sendStatusError(res, r.status());
    sendJson(res, 200, *r);
  });

  s.Get("/api/v1/incidents", [this](const httplib::Request& req, httplib::Response& res) {
    if (store_ == nullptr) return sendError(res, 503, "the state store is not open");
    if (!checkQuery(req, res, {"app", "open", "limit"})) return;
    const std::string app = req.get_param_value("app");
    if (req.has_param("app") && !plainName(app)) {
      return sendError(res, 400, "query parameter \"app\" must be an app name", "app");
    }
    bool open_only = false;
    if (req.has_param("open")) {
      const std::string v = req.get_param_value("open");
      if (v != "true" && v != "false") {
        return sendError(res, 400, "query parameter \"open\" must be true or false", "open");
      }
      open_only = v == "true";
    }
    int64_t limit = 50;
    if (req.has_param("limit") &&
        (!parseNonNegative(req.get_param_value("limit"), limit) || limit < 1 || limit > 1000)) {
      return sendError(res, 400, "query parameter \"limit\" must be 1..1000", "limit");
    }
    auto list = store_->listIncidents(app, open_only, static_cast<int>(limit));
    if (!list) return sendStatusError(res, list.status());
    json out = json::array();
    for (const auto& r : *list) out.push_back(incidentJson(r));
    sendJson(res, 200, json{{"incidents", out}});
  });
}

// GET /api/v1/deployments/{id}/events: Server-Sent Events. Each event: "id: <seq>", "event:
// <type>", "data: <the event as JSON: seq, at, type, data>". Starts after Last-Event-ID (or
// ?after=N); ends once the deployment is finished and every event was sent; a comment every
// keep_alive when nothing happens.
void ReleaseRoutes::events(const httplib::Request& req, httplib::Response& res) {
  if (releases_ == nullptr || !ready_.load()) {
    return sendError(res, 503, "the release controller is not running (yet)");
  }
  if (!checkQuery(req, res, {"after"})) return;
  int64_t after = 0;
  std::string from = req.get_header_value("Last-Event-ID");
  const char* what = "header Last-Event-ID";
  if (req.has_param("after")) {
    from = req.get_param_value("after");
    what = "query parameter \"after\"";
  }
  if (!from.empty() && !parseNonNegative(from, after)) {
    return sendError(res, 400, std::string(what) + " must be an event number (got \"" +
                                   from.substr(0, 40) + "\")");
  }
  const std::string id = req.matches[1];
  // Unknown id: a plain 404 answer, before any stream starts.
  auto first = releases_->events(id, after, std::chrono::milliseconds(0));
  if (!first) return sendStatusError(res, first.status());
  if (streams_.fetch_add(1) >= settings_.max_streams) {
    streams_.fetch_sub(1);
    return sendError(res, 503,
                     "too many open event streams (" + std::to_string(settings_.max_streams) +
                         "); try again later");
  }

  struct StreamState {
    int64_t after;
    json pending;  // a batch fetched but not written yet
    std::chrono::steady_clock::time_point last_write;
    bool finished = false;
  };
  auto state = std::make_shared<StreamState>();
  state->after = after;
  state->pending = std::move(first).value();
  state->last_write = std::chrono::steady_clock::now();

  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.status = 200;
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, id, state](size_t, httplib::DataSink& sink) {
        // Never write 0 bytes: httplib ends the stream on an empty write.
        if (state->finished || stopping_.load()) {
          sink.done();
          return true;
        }
        json batch = std::move(state->pending);
        state->pending = json();
        if (batch.is_null()) {
          auto next = releases_->events(id, state->after, settings_.poll);
          if (!next) {
            std::string out = formatSseEvent("", "error",
                                              json{{"error", next.status().message()}}.dump());
            sink.write(out.data(), out.size());
            sink.done();
            return true;
          }
          batch = std::move(next).value();
        }
        std::string out;
        const json& list = batch.contains("events") ? batch["events"] : json::array();
        for (const auto& e : list) {
          const int64_t seq = e.value("seq", int64_t{0});
          if (seq <= state->after) continue;
          state->after = seq;
          out += formatSseEvent(std::to_string(seq), e.value("type", std::string("message")),
                                e.dump(-1, ' ', false, json::error_handler_t::replace));
        }
        const auto now = std::chrono::steady_clock::now();
        if (out.empty() && now - state->last_write >= settings_.keep_alive) {
          out = formatSseComment("keep-alive");
        }
        if (!out.empty()) {
          state->last_write = now;
          if (!sink.write(out.data(), out.size())) return false;
        }
        if (batch.value("finished", false)) {
          state->finished = true;
          sink.done();
        }
        return true;
      },
      [this](bool) { streams_.fetch_sub(1); });
}

}  // namespace shipgate::admin
