// Private to src/main: what the client commands share to talk to the admin API: finding it (flags
// or the config file), one JSON call, the exit status of an answer, and typed reads of answer
// fields that report a malformed answer instead of crashing.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "shipgate/common/status.h"

namespace shipgate::cli {

struct Target {
  std::string host;
  int port = 0;
  std::string token;
  std::string actor;  // sent as X-Shipgate-Actor
};

// Resolves the admin URL and token from flags, else from the config file, and the actor from
// --actor, else $SHIPGATE_ACTOR, else the login name.
Result<Target> resolveTarget(const ClientOptions& o);

struct Reply {
  int status = 0;
  nlohmann::json body;
};

// One call; Unavailable when the API cannot be reached, Internal when the answer is not a JSON
// object. `read_timeout` bounds the wait for the answer.
Result<Reply> call(const Target& t, const std::string& method, const std::string& path,
                   const nlohmann::json* body,
                   std::chrono::seconds read_timeout = std::chrono::seconds(30));

// Exit status of a call: 0 on 2xx; 2 when the call failed or its answer was malformed (message
// on stderr) or the token was refused; 1 when the API refused the change.
int report(const Result<Reply>& r, const char* what);

// The release commands' exit statuses (see commands.h): 0 on 2xx; 4 when the API cannot be
// reached or answers malformed; 2 when the token is refused; 1 when the API refused.
int reportRelease(const Result<Reply>& r, const char* what);

// Thrown by the readers below (and caught by printAnswer) when an answer lacks the documented
// shape.
struct MalformedAnswer {
  std::string what;
};
const nlohmann::json& member(const nlohmann::json& o, const char* key);
std::string text(const nlohmann::json& o, const char* key);          // null: ""
long long number(const nlohmann::json& o, const char* key);          // null: 0
bool flag(const nlohmann::json& o, const char* key);                 // null: false
const nlohmann::json& list(const nlohmann::json& o, const char* key);  // null: []

// Runs `print` on an answer; a malformed answer is reported on stderr and gives `malformed_rc`.
int printAnswer(const char* what, const std::function<void()>& print, int malformed_rc = 2);

// An app name goes into the URL path: one segment of letters, digits, '-', '_', '.'. Prints the
// problem (as `shipgate <what>: ...`) when it is not.
bool validAppName(const std::string& app, const char* what);
// The same for a deployment id.
bool validDeploymentId(const std::string& id, const char* what);

}  // namespace shipgate::cli
