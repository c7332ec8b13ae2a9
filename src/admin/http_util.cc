#include "http_util.h"

namespace shipgate::admin {

using nlohmann::json;

namespace {

std::string joinKeys(std::initializer_list<const char*> keys) {
  std::string out;
  for (const char* k : keys) out += (out.empty() ? "\"" : ", \"") + std::string(k) + "\"";
  return out.empty() ? "no fields" : out;
}

}  // namespace

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Messages may quote bytes from the request path: never let invalid UTF-8 fail the answer.
  res.set_content(body.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                  "application/json");
}

void sendError(httplib::Response& res, int status, const std::string& message,
               const std::string& field) {
  json body{{"error", message}};
  if (!field.empty()) body["field"] = field;
  sendJson(res, status, body);
}

int httpStatusFor(const Status& st) {
  switch (st.code()) {
    case Status::Code::kNotFound: return 404;
    case Status::Code::kInvalidArgument: return 422;
    case Status::Code::kFailedPrecondition: return 409;
    case Status::Code::kUnavailable: return 503;
    default: return 500;
  }
}

std::optional<json> parseBody(const httplib::Request& req, httplib::Response& res,
                              std::initializer_list<const char*> allowed) {
  json body = json::object();
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    try {
      body = json::parse(req.body);
    } catch (const json::parse_error& e) {
      sendError(res, 400,
                "request body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
      return std::nullopt;
    } catch (const json::out_of_range&) {  // a number beyond a double: 1e999
      sendError(res, 400, "request body is not valid JSON: a number is out of range");
      return std::nullopt;
    }
  }
  if (!body.is_object()) {
    sendError(res, 400,
              std::string("request body must be a JSON object, not ") + body.type_name());
    return std::nullopt;
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = false;
    for (const char* k : allowed) known |= it.key() == k;
    if (!known) {
      sendError(res, 400, "unknown field \"" + it.key() + "\" (this call takes " +
                              joinKeys(allowed) + ")",
                it.key());
      return std::nullopt;
    }
  }
  return body;
}

bool checkQuery(const httplib::Request& req, httplib::Response& res,
                std::initializer_list<const char*> allowed) {
  for (const auto& [name, value] : req.params) {
    bool known = false;
    for (const char* k : allowed) known |= name == k;
    if (!known) {
      sendError(res, 400, "unknown query parameter \"" + name + "\"", name);
      return false;
    }
    if (req.get_param_value_count(name) > 1) {
      sendError(res, 400, "query parameter \"" + name + "\" given more than once", name);
      return false;
    }
  }
  return true;
}

}  // namespace shipgate::admin
