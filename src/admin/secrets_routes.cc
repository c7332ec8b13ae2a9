#include "secrets_routes.h"

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http_util.h"
#include "release_routes.h"
#include "shipgate/admin/timestamp.h"
#include "shipgate/secrets/root_key.h"
#include "shipgate/secrets/secret_path.h"
#include "shipgate/secrets/secrets_config.h"
#include "shipgate/secrets/secrets_store.h"

namespace shipgate::admin {

using nlohmann::json;
using secrets::SecretBytes;
using secrets::SecretPath;

namespace {

constexpr const char* kPattern = R"(/api/v1/secrets(|[/:].*))";

// The part of the URL after /api/v1/secrets, split into the secret's path (or prefix) and the
// verb after a ':' (':' never occurs in a path): "/a/b:history" -> {"/a/b", "history"}.
struct Target {
  std::string path;
  std::string verb;
};
Target targetOf(const httplib::Request& req) {
  std::string tail = req.matches[1];
  Target t;
  const size_t colon = tail.rfind(':');
  if (colon != std::string::npos) {
    t.verb = tail.substr(colon + 1);
    tail.resize(colon);
  }
  t.path = tail;
  return t;
}

// The store's errors: 404 not found (also deleted, destroyed, unknown label), 409 a CAS mismatch
// or a state that forbids the call, 403 refused, 422 a value out of range, 503 busy, else 500.
int statusOf(const Status& st) {
  switch (st.code()) {
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kFailedPrecondition:
    case Status::Code::kAlreadyExists:
      return 409;
    case Status::Code::kPermissionDenied:
      return 403;
    case Status::Code::kInvalidArgument:
      return 422;
    case Status::Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void sendStoreError(httplib::Response& res, const Status& st) {
  sendError(res, statusOf(st), st.message());
}

bool parsePositive(const std::string& text, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && out >= 1;
}

// A flag query parameter: absent, "1"/"true" or "0"/"false".
std::optional<bool> flagOf(const httplib::Request& req, httplib::Response& res, const char* name) {
  if (!req.has_param(name)) return false;
  const std::string v = req.get_param_value(name);
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  sendError(res, 400, std::string("query parameter \"") + name + "\" must be 1, 0, true or false",
            name);
  return std::nullopt;
}

// The actor of a request, or a 400 written.
std::optional<std::string> actorOrError(const httplib::Request& req, httplib::Response& res) {
  bool ok = false;
  std::string actor = actorOf(req, &ok);
  if (!ok) {
    sendError(res, 400, "header X-Shipgate-Actor must be 1..128 printable characters");
    return std::nullopt;
  }
  return actor;
}

// A secret's path from the URL, or a 400 with the reason.
std::optional<SecretPath> pathOrError(const std::string& text, httplib::Response& res) {
  auto p = SecretPath::parse(text);
  if (!p.isOk()) {
    sendError(res, 400, "bad secret path \"" + text + "\": " + p.status().message());
    return std::nullopt;
  }
  return *p;
}

json timeJson(int64_t ms) { return ms == 0 ? json(nullptr) : json(formatRfc3339Millis(ms)); }

}  // namespace

void SecretsRoutes::install(httplib::Server& s) {
  s.Get(kPattern, [this](const httplib::Request& req, httplib::Response& res) { get(req, res); });
  s.Put(kPattern, [this](const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& reader) { put(req, res, reader); });
  s.Delete(kPattern,
           [this](const httplib::Request& req, httplib::Response& res) { remove(req, res); });
  s.Post(kPattern, [this](const httplib::Request& req, httplib::Response& res) { post(req, res); });
}

void SecretsRoutes::get(const httplib::Request& req, httplib::Response& res) {
  if (sources_.store == nullptr) {
    return sendError(res, 503, "no secrets store (the config has no secrets: section)");
  }
  auto actor = actorOrError(req, res);
  if (!actor) return;
  const Target t = targetOf(req);
  secrets::SecretsStore& store = *sources_.store;

  if (t.verb == "audit" && t.path.empty()) {  // GET /api/v1/secrets:audit
    if (!checkQuery(req, res, {})) return;
    auto v = store.verifyAudit();
    if (!v.isOk()) return sendStoreError(res, v.status());
    json body{{"intact", v->ok()}, {"entries", v->entries}};
    if (!v->ok()) {
      body["first_broken"] = v->first_broken;
      body["problem"] = v->problem;
    }
    return sendJson(res, 200, body);
  }
  if (t.verb == "history") {
    if (!checkQuery(req, res, {})) return;
    auto path = pathOrError(t.path, res);
    if (!path) return;
    auto rows = store.history(*actor, path->str());
    if (!rows.isOk()) return sendStoreError(res, rows.status());
    json versions = json::array();
    for (const auto& v : *rows) {
      versions.push_back({{"version", v.version},
                          {"created_at", timeJson(v.created_at)},
                          {"created_by", v.created_by},
                          {"destroyed_at", timeJson(v.destroyed_at)},
                          {"labels", v.labels}});
    }
    return sendJson(res, 200, json{{"path", path->str()}, {"versions", versions}});
  }
  if (!t.verb.empty()) {
    return sendError(res, 404,
                     "no such endpoint: GET :" + t.verb +
                         " (GET takes :history, "
                         "and :audit on /api/v1/secrets)");
  }
  // A prefix (empty or ending in '/'): the list.
  if (t.path.empty() || t.path.back() == '/') {
    if (!checkQuery(req, res, {"recursive", "deleted"})) return;
    auto recursive = flagOf(req, res, "recursive");
    auto deleted = flagOf(req, res, "deleted");
    if (!recursive || !deleted) return;
    const std::string prefix_text = t.path.empty() ? "/" : t.path;
    auto prefix = SecretPath::parsePrefix(prefix_text);
    if (!prefix.isOk()) {
      return sendError(res, 400,
                       "bad secret prefix \"" + prefix_text + "\": " + prefix.status().message());
    }
    auto rows = store.list(*actor, prefix->str(), *recursive, *deleted);
    if (!rows.isOk()) return sendStoreError(res, rows.status());
    json list = json::array();
    for (const auto& m : *rows) {
      list.push_back({{"path", m.path},
                      {"current_version", m.current_version},
                      {"created_at", timeJson(m.created_at)},
                      {"updated_at", timeJson(m.updated_at)},
                      {"deleted_at", timeJson(m.deleted_at)}});
    }
    return sendJson(res, 200, json{{"prefix", prefix->str()}, {"secrets", list}});
  }
  // A path: its value.
  if (!checkQuery(req, res, {"version", "label", "environment"})) return;
  auto path = pathOrError(t.path, res);
  if (!path) return;
  secrets::Selector which;
  if (req.has_param("version") && req.has_param("label")) {
    return sendError(res, 400, "give \"version\" or \"label\", not both", "label");
  }
  if (req.has_param("version")) {
    int64_t v = 0;
    if (!parsePositive(req.get_param_value("version"), v)) {
      return sendError(res, 400, "query parameter \"version\" must be a positive integer",
                       "version");
    }
    which.version = v;
  }
  if (req.has_param("label")) which.label = req.get_param_value("label");
  if (req.has_param("environment")) {
    // What an app of that environment may read: the config's access rules decide.
    const std::string env = req.get_param_value("environment");
    auto access = sources_.access ? sources_.access() : nullptr;
    if (access == nullptr || !access->mayRead(env, *path)) {
      return sendError(res, 403,
                       "apps of environment \"" + env + "\" may not read " + path->str() +
                           " (no secrets.access rule allows it)",
                       "environment");
    }
  }
  auto value = store.get(*actor, path->str(), which);
  if (!value.isOk()) return sendStoreError(res, value.status());
  // Streamed from guarded memory; the last copy of the provider frees (and wipes) it.
  auto held = std::make_shared<SecretBytes>(std::move(value).value());
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  if (held->empty()) return res.set_content("", "application/octet-stream");
  res.set_content_provider(held->size(), "application/octet-stream",
                           [held](size_t offset, size_t length, httplib::DataSink& sink) {
                             return sink.write(reinterpret_cast<const char*>(held->data()) + offset,
                                               length);
                           });
}

void SecretsRoutes::put(const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader& reader) {
  if (sources_.store == nullptr) {
    return sendError(res, 503, "no secrets store (the config has no secrets: section)");
  }
  auto actor = actorOrError(req, res);
  if (!actor) return;
  const Target t = targetOf(req);
  if (!t.verb.empty()) return sendError(res, 404, "no such endpoint: PUT :" + t.verb);
  if (!checkQuery(req, res, {"cas"})) return;
  auto path = pathOrError(t.path, res);
  if (!path) return;
  std::optional<int64_t> cas;
  if (req.has_param("cas")) {
    int64_t v = 0;
    const std::string text = req.get_param_value("cas");
    if (text == "0") {
      cas = 0;
    } else if (parsePositive(text, v)) {
      cas = v;
    } else {
      return sendError(res, 400, "query parameter \"cas\" must be 0 or a version number", "cas");
    }
  }
  // The body straight into guarded memory, bounded.
  SecretBytes buf(secrets::kMaxValueBytes + 1);
  size_t got = 0;
  bool too_large = false;
  reader([&](const char* data, size_t len) {
    if (len > buf.size() - got) {
      too_large = true;
      return false;
    }
    std::memcpy(buf.data() + got, data, len);
    got += len;
    return true;
  });
  if (too_large || got > secrets::kMaxValueBytes) {
    return sendError(res, 413,
                     "the value is larger than the " + std::to_string(secrets::kMaxValueBytes) +
                         " bytes a secret may have");
  }
  buf.shrink(got);
  auto version = sources_.store->put(*actor, path->str(), buf, cas);
  if (!version.isOk()) return sendStoreError(res, version.status());
  sendJson(res, *version == 1 ? 201 : 200, json{{"path", path->str()}, {"version", *version}});
}

void SecretsRoutes::remove(const httplib::Request& req, httplib::Response& res) {
  if (sources_.store == nullptr) {
    return sendError(res, 503, "no secrets store (the config has no secrets: section)");
  }
  auto actor = actorOrError(req, res);
  if (!actor) return;
  const Target t = targetOf(req);
  if (!t.verb.empty()) return sendError(res, 404, "no such endpoint: DELETE :" + t.verb);
  if (!checkQuery(req, res, {})) return;
  auto path = pathOrError(t.path, res);
  if (!path) return;
  Status st = sources_.store->remove(*actor, path->str());
  if (!st.isOk()) return sendStoreError(res, st);
  sendJson(res, 200, json{{"path", path->str()}, {"deleted", true}});
}

void SecretsRoutes::post(const httplib::Request& req, httplib::Response& res) {
  if (sources_.store == nullptr) {
    return sendError(res, 503, "no secrets store (the config has no secrets: section)");
  }
  auto actor = actorOrError(req, res);
  if (!actor) return;
  if (!checkQuery(req, res, {})) return;
  const Target t = targetOf(req);
  secrets::SecretsStore& store = *sources_.store;
  if (t.path.empty() && t.verb == "rotate-key") {
    auto body = parseBody(req, res, {"new_key_file"});
    if (!body) return;
    const auto it = body->find("new_key_file");
    if (it == body->end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return sendError(res, 400, "body needs \"new_key_file\": the new root key file's path",
                       "new_key_file");
    }
    auto next = secrets::RootKey::loadKeyFile(it->get<std::string>());
    if (!next.isOk()) return sendError(res, 422, next.status().message(), "new_key_file");
    const std::string old_id = store.rootKeyId();
    Status st = store.rotateRootKey(*actor, *next);
    if (!st.isOk()) return sendStoreError(res, st);
    return sendJson(res, 200,
                    json{{"rotated", true},
                         {"old_key_id", old_id},
                         {"new_key_id", next->id()},
                         {"note",
                          "set secrets.key_file to the new key file: the old "
                          "key no longer opens the store"}});
  }
  if (t.verb != "undelete" && t.verb != "destroy" && t.verb != "label") {
    return sendError(res, 404,
                     "no such endpoint: POST " +
                         (t.verb.empty() ? std::string("without a verb") : ":" + t.verb) +
                         " (POST takes :undelete, :destroy, :label, and :rotate-key on "
                         "/api/v1/secrets)");
  }
  auto path = pathOrError(t.path, res);
  if (!path) return;
  if (t.verb == "undelete") {
    if (!parseBody(req, res, {})) return;
    Status st = store.undelete(*actor, path->str());
    if (!st.isOk()) return sendStoreError(res, st);
    return sendJson(res, 200, json{{"path", path->str()}, {"deleted", false}});
  }
  auto body = t.verb == "destroy" ? parseBody(req, res, {"version"})
                                  : parseBody(req, res, {"version", "label"});
  if (!body) return;
  const auto v = body->find("version");
  if (v == body->end() || !v->is_number_unsigned() || v->get<uint64_t>() < 1 ||
      v->get<uint64_t>() > (1ull << 53)) {
    return sendError(res, 400, "body needs \"version\": a positive integer", "version");
  }
  const int64_t version = static_cast<int64_t>(v->get<uint64_t>());
  if (t.verb == "destroy") {
    Status st = store.destroy(*actor, path->str(), version);
    if (!st.isOk()) return sendStoreError(res, st);
    return sendJson(res, 200,
                    json{{"path", path->str()}, {"version", version}, {"destroyed", true}});
  }
  const auto l = body->find("label");
  if (l == body->end() || !l->is_string()) {
    return sendError(res, 400, "body needs \"label\": a label name", "label");
  }
  Status st = store.label(*actor, path->str(), version, l->get<std::string>());
  if (!st.isOk()) return sendStoreError(res, st);
  sendJson(res, 200, json{{"path", path->str()}, {"version", version}, {"label", *l}});
}

}  // namespace shipgate::admin
