// Private to src/admin: the JSON answer and error conventions every admin API route shares (see
// include/shipgate/admin/admin_server.h): {"error": "...", "field": "..."} bodies, strict body
// parsing (an unknown field is a 400 naming it), and the HTTP status of a Status.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "shipgate/common/status.h"

namespace shipgate::admin {

void sendJson(httplib::Response& res, int status, const nlohmann::json& body);

// {"error": message} plus "field" (a dotted path into the body, e.g. "weights.blue") when one
// field is at fault.
void sendError(httplib::Response& res, int status, const std::string& message,
               const std::string& field = "");

// 404 NotFound, 422 InvalidArgument, 409 FailedPrecondition, 503 Unavailable, else 500.
int httpStatusFor(const Status& st);

// Parses the body as a JSON object (an empty body is {}) whose keys are all in `allowed`. On
// failure writes a 400 naming the problem (byte offset or field) and returns nullopt.
std::optional<nlohmann::json> parseBody(const httplib::Request& req, httplib::Response& res,
                                        std::initializer_list<const char*> allowed);

// Only the query parameters a call names; a repeated or unknown one writes a 400 naming it and
// returns false.
bool checkQuery(const httplib::Request& req, httplib::Response& res,
                std::initializer_list<const char*> allowed);

// Where the API's routes are registered: the httplib server, with every handler passed through
// `wrap` first (AdminServer wraps them so a cluster follower can hand a call to the leader).
class Routes {
 public:
  using Wrap = std::function<httplib::Server::Handler(httplib::Server::Handler)>;
  Routes(httplib::Server& server, Wrap wrap) : server_(server), wrap_(std::move(wrap)) {}
  void Get(const std::string& pattern, httplib::Server::Handler h) {
    server_.Get(pattern, wrap_(std::move(h)));
  }
  void Post(const std::string& pattern, httplib::Server::Handler h) {
    server_.Post(pattern, wrap_(std::move(h)));
  }

 private:
  httplib::Server& server_;
  Wrap wrap_;
};

}  // namespace shipgate::admin
