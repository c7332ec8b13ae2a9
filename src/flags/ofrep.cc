#include "shipgate/flags/ofrep.h"

#include <cstdio>

#include "shipgate/flags/json_logic.h"

namespace shipgate::flags {
namespace {

using json = nlohmann::json;

constexpr std::string_view kBulkPath = "/ofrep/v1/evaluate/flags";

OfrepAnswer jsonAnswer(int status, const json& body) {
  OfrepAnswer a;
  a.status = status;
  a.body = body.dump();
  a.headers.emplace_back("Cache-Control", "no-store");
  return a;
}

OfrepAnswer failure(int status, std::string_view key, std::string_view code,
                    std::string details) {
  json body = json::object();
  if (!key.empty()) body["key"] = key;
  if (!code.empty()) body["errorCode"] = code;
  body["errorDetails"] = std::move(details);
  return jsonAnswer(status, body);
}

bool sameToken(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool percentDecode(std::string_view in, std::string& out) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int h = hex(in[i + 1]), l = hex(in[i + 2]);
    if (h < 0 || l < 0) return false;
    out += static_cast<char>(h * 16 + l);
    i += 2;
  }
  return true;
}

json success(const Resolution& r) {
  json j = {{"key", r.key}, {"reason", r.reason}};
  if (r.value) j["value"] = *r.value;
  if (!r.variant.empty()) j["variant"] = r.variant;
  j["metadata"] = r.metadata.is_object() ? r.metadata : json::object();
  return j;
}

json failureJson(const Resolution& r) {
  return {{"key", r.key}, {"errorCode", r.error_code}, {"errorDetails", r.error_details}};
}

// The context of a request body, or the answer refusing it.
std::optional<OfrepAnswer> readContext(std::string_view body, std::string_view key,
                                       json& context) {
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded()) {
    return failure(400, key, "PARSE_ERROR", "the request body is not JSON");
  }
  if (!doc.is_object()) {
    return failure(400, key, "PARSE_ERROR", "the request body is not a JSON object");
  }
  auto c = doc.find("context");
  if (c == doc.end() || c->is_null()) {
    context = json::object();
    return std::nullopt;
  }
  if (!c->is_object()) {
    return failure(400, key, "INVALID_CONTEXT", "context must be an object");
  }
  auto tk = c->find("targetingKey");
  if (tk != c->end() && !tk->is_string() && !tk->is_null()) {
    return failure(400, key, "INVALID_CONTEXT", "context.targetingKey must be a string");
  }
  context = *c;
  return std::nullopt;
}

std::string etagOf(const std::string& body) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%08x%08x\"", murmur3_32(body, 0), murmur3_32(body, 0x5bd1e995));
  return buf;
}

bool etagMatches(std::string_view header, const std::string& etag) {
  if (header.empty()) return false;
  if (header == "*") return true;
  size_t start = 0;
  while (start < header.size()) {
    size_t comma = header.find(',', start);
    std::string_view one = header.substr(start, comma == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : comma - start);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one.starts_with("W/")) one.remove_prefix(2);
    if (one == etag) return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace

bool isOfrepPath(std::string_view path) {
  return path.starts_with(kOfrepPrefix) || path == "/ofrep";
}

OfrepAnswer answerOfrep(const OfrepRequest& req, const FlagsConfig& config,
                        const FlagsSnapshot& flags, int64_t now_seconds) {
  const bool bulk = req.path == kBulkPath || req.path == std::string(kBulkPath) + "/";
  std::string key;
  if (!bulk) {
    std::string_view prefix = "/ofrep/v1/evaluate/flags/";
    if (!req.path.starts_with(prefix) ||
        !percentDecode(req.path.substr(prefix.size()), key) || key.empty() ||
        key.find('/') != std::string::npos) {
      return failure(404, "", "", "no OFREP endpoint at this path (POST " +
                                      std::string(kBulkPath) + "[/{key}])");
    }
  }
  if (!config.token.empty()) {
    std::string_view given = req.api_key;
    if (given.empty() && req.authorization.size() > 7 &&
        (req.authorization.substr(0, 7) == "Bearer " ||
         req.authorization.substr(0, 7) == "bearer ")) {
      given = req.authorization.substr(7);
    }
    if (given.empty()) {
      OfrepAnswer a = failure(401, "", "", "an OFREP token is required (Authorization: Bearer)");
      a.headers.emplace_back("WWW-Authenticate", "Bearer");
      return a;
    }
    if (!sameToken(given, config.token)) {
      return failure(403, "", "", "the OFREP token is not valid");
    }
  }
  if (req.method != "POST") {
    OfrepAnswer a = failure(405, "", "", "OFREP evaluations are POST requests");
    a.headers.emplace_back("Allow", "POST");
    return a;
  }
  if (req.body.size() > config.max_body_bytes ||
      (req.content_length > 0 && static_cast<uint64_t>(req.content_length) > config.max_body_bytes)) {
    return failure(413, key, "", "the request body is over " +
                                     std::to_string(config.max_body_bytes) + " bytes");
  }
  json context;
  if (auto refused = readContext(req.body, key, context)) return *refused;
  const EnvironmentFlags* env = flags.environment(config.environment);
  if (!bulk) {
    const Flag* flag = nullptr;
    if (env != nullptr) {
      auto it = env->flags.find(key);
      if (it != env->flags.end()) flag = &it->second;
    }
    if (flag == nullptr) {
      Resolution r = flagNotFound(key);
      return jsonAnswer(404, failureJson(r));
    }
    Resolution r = evaluateFlag(*flag, context, now_seconds);
    if (!r.ok()) return jsonAnswer(400, failureJson(r));
    return jsonAnswer(200, success(r));
  }
  json list = json::array();
  if (env != nullptr) {
    for (const auto& [k, flag] : env->flags) {
      Resolution r = evaluateFlag(flag, context, now_seconds);
      list.push_back(r.ok() ? success(r) : failureJson(r));
    }
  }
  json body = {{"flags", std::move(list)},
               {"metadata", {{"environment", config.environment}}}};
  OfrepAnswer a = jsonAnswer(200, body);
  const std::string etag = etagOf(a.body);
  if (etagMatches(req.if_none_match, etag)) {
    a.status = 304;
    a.body.clear();
  }
  a.headers.emplace_back("ETag", etag);
  return a;
}

}  // namespace shipgate::flags
