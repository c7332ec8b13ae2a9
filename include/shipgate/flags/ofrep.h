// The OpenFeature Remote Evaluation Protocol (OFREP, github.com/open-feature/protocol,
// service/openapi.yaml) as the gateway answers it, independent of the server: a request's
// method, path, headers and body in, a status, headers and JSON body out.
//
//   POST /ofrep/v1/evaluate/flags/{key}   one flag:
//        200 {key, value, reason, variant, metadata}   (no value: use the code default, e.g.
//            reason DISABLED)
//        404 {key, errorCode: FLAG_NOT_FOUND, errorDetails}
//        400 {key, errorCode: PARSE_ERROR | INVALID_CONTEXT | TARGETING_KEY_MISSING | GENERAL,
//             errorDetails}
//   POST /ofrep/v1/evaluate/flags         every flag of the environment:
//        200 {flags: [success | failure ...], metadata: {environment}} with an ETag (a hash of
//            the answer); 304 (no body) when If-None-Match names it
//        400 {errorCode: PARSE_ERROR | INVALID_CONTEXT, errorDetails}
//   401 / 403 {errorDetails}  flags.token_file is set and no token / another one was sent
//   405 (Allow: POST), 413 (body over flags.max_body_bytes), 404 other /ofrep/ paths.
//
// The request body is {"context": {"targetingKey": "...", ...}}; the context is what targeting
// reads with `var`. Which flags: the environment flags.environment names (flags_config.h).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/flags/flags_config.h"
#include "shipgate/flags/live_flags.h"

namespace shipgate::flags {

inline constexpr std::string_view kOfrepPrefix = "/ofrep/";

struct OfrepRequest {
  std::string_view method;
  std::string_view path;  // without the query
  std::string_view body;
  int64_t content_length = -1;  // declared, when known
  std::string_view authorization;
  std::string_view api_key;        // X-API-Key
  std::string_view if_none_match;
};

struct OfrepAnswer {
  int status = 200;
  std::string body;  // JSON, empty for 304
  std::vector<std::pair<std::string, std::string>> headers;
};

bool isOfrepPath(std::string_view path);

OfrepAnswer answerOfrep(const OfrepRequest& request, const FlagsConfig& config,
                        const FlagsSnapshot& flags, int64_t now_seconds);

}  // namespace shipgate::flags
