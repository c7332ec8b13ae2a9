#include "flags_routes.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "http_util.h"
#include "release_routes.h"
#include "shipgate/admin/timestamp.h"
#include "shipgate/common/clock.h"
#include "shipgate/flags/flag_store.h"

namespace shipgate::admin {
namespace {

using nlohmann::json;

constexpr const char* kPattern = R"(/api/v1/flags/([^/]+)(?:/([^/]+))?(/history)?)";

json versionJson(const flags::FlagVersion& v) {
  return {{"environment", v.environment},
          {"key", v.key},
          {"version", v.version},
          {"definition", v.definition},
          {"created_at", formatRfc3339Millis(v.created_at)},
          {"created_by", v.created_by},
          {"reason", v.reason}};
}

bool parseCount(const std::string& text, int64_t min, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && out >= min;
}

}  // namespace

void FlagsRoutes::install(httplib::Server& s) {
  s.Get(kPattern, [this](const httplib::Request& req, httplib::Response& res) { get(req, res); });
  s.Put(kPattern, [this](const httplib::Request& req, httplib::Response& res) { put(req, res); });
}

void FlagsRoutes::get(const httplib::Request& req, httplib::Response& res) {
  if (store_ == nullptr) return sendError(res, 503, "the flag store is not open");
  const std::string env = req.matches[1];
  const std::string key = req.matches[2];
  const bool history = req.matches[3].length() > 0;
  if (!checkQuery(req, res, {"version"})) return;
  if (!flags::validEnvironment(env)) return sendError(res, 400, "bad environment \"" + env + "\"");
  if (key.empty()) {
    if (history) return sendError(res, 404, "no such route");
    auto rows = store_->list(env);
    if (!rows.isOk()) return sendError(res, httpStatusFor(rows.status()), rows.status().message());
    json out = json::array();
    for (const auto& v : *rows) out.push_back(versionJson(v));
    return sendJson(res, 200, json{{"flags", out}});
  }
  if (history) {
    auto rows = store_->history(env, key);
    if (!rows.isOk()) return sendError(res, httpStatusFor(rows.status()), rows.status().message());
    if (rows->empty()) return sendError(res, 404, "flag '" + key + "' not found in " + env);
    json out = json::array();
    for (const auto& v : *rows) out.push_back(versionJson(v));
    return sendJson(res, 200, json{{"versions", out}});
  }
  std::optional<int64_t> version;
  if (req.has_param("version")) {
    int64_t n = 0;
    if (!parseCount(req.get_param_value("version"), 1, n)) {
      return sendError(res, 400, "query parameter \"version\" must be a number >= 1", "version");
    }
    version = n;
  }
  auto v = store_->get(env, key, version);
  if (!v.isOk()) return sendError(res, httpStatusFor(v.status()), v.status().message());
  sendJson(res, 200, versionJson(*v));
}

void FlagsRoutes::put(const httplib::Request& req, httplib::Response& res) {
  if (store_ == nullptr) return sendError(res, 503, "the flag store is not open");
  const std::string env = req.matches[1];
  const std::string key = req.matches[2];
  if (req.matches[3].length() > 0) return sendError(res, 405, "history is read-only");
  if (!checkQuery(req, res, {"reason", "cas"})) return;
  if (!flags::validEnvironment(env)) return sendError(res, 400, "bad environment \"" + env + "\"");
  bool actor_ok = false;
  const std::string actor = actorOf(req, &actor_ok);
  if (!actor_ok) {
    return sendError(res, 400, "header X-Shipgate-Actor must be 1..128 printable characters");
  }
  std::optional<int64_t> cas;
  if (req.has_param("cas")) {
    int64_t n = 0;
    if (!parseCount(req.get_param_value("cas"), 0, n)) {
      return sendError(res, 400, "query parameter \"cas\" must be a number >= 0", "cas");
    }
    cas = n;
  }
  if (req.body.size() > flags::kMaxDocumentBytes) {
    return sendError(res, 413, "a flag document is at most " +
                                   std::to_string(flags::kMaxDocumentBytes) + " bytes");
  }
  const flags::ParsedDefinitions parsed = flags::parseDefinitions(
      req.body, key.empty() ? std::nullopt : std::optional<std::string>(key));
  if (!parsed.ok()) {
    json errors = json::array();
    for (const auto& e : parsed.errors) {
      errors.push_back({{"flag", e.flag}, {"pointer", e.pointer}, {"message", e.toString()}});
    }
    return sendJson(res, 422, json{{"error", parsed.errors[0].toString()}, {"errors", errors}});
  }
  const std::string reason = req.has_param("reason") ? req.get_param_value("reason") : "";
  auto out = store_->set(env, parsed.flags, cas, actor, reason,
                         RealClock::instance().wallMillis());
  if (!out.isOk()) return sendError(res, httpStatusFor(out.status()), out.status().message());
  if (!out->written.empty() && changed_) changed_();
  json written = json::array();
  for (const auto& v : out->written) written.push_back(versionJson(v));
  sendJson(res, 200, json{{"written", written}, {"unchanged", out->unchanged}});
}

}  // namespace shipgate::admin
