// waf::Request: what the rules engine sees of one HTTP request. The gateway fills it with views
// into its own buffers (no copies), including the path its request parser normalised; every
// derived field (query arguments, cookies, lower-cased header map...) is computed lazily, once per
// evaluation, by the EvalContext, with the http text toolkit's parsers.
// OwnedRequest is the same thing with its own storage, for tests, tools and `shipgate waf test`.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/waf/value.h"

namespace shipgate::waf {

struct Header {
  std::string_view name;  // as received (any case)
  std::string_view value;
};

// Views only: the memory behind every field must outlive the evaluation.
struct Request {
  std::string_view method;           // "GET"
  std::string_view target;           // raw request-target: "/a/b?x=1" (or absolute-form URL)
  // The normalised path (http::normalizePath of the target's path), as the gateway routes and
  // forwards it: http.request.uri.path. Empty: computed from `target` when a field needs it.
  std::string_view path;
  std::span<const Header> headers;   // in received order, duplicates kept
  std::optional<IpAddr> client_ip;   // ip.src; missing when unset
  bool tls = false;                  // ssl
  std::string_view body;             // http.request.body.raw: the first N bytes of the body
  int64_t body_size = 0;             // http.request.body.size: the full (declared) body size
  std::optional<int64_t> bot_score;  // cf.bot_management.score; nullopt = not computed (missing)
  bool verified_bot = false;         // cf.bot_management.verified_bot
  std::optional<int64_t> response_code;  // http.response.code; only in the response phase
  // The managed rules' result (the firewall evaluates the CRS before the custom rules when
  // waf.managed_rules is configured): cf.waf.score, cf.waf.score.sqli / .xss / .rce (1..99,
  // lower = more likely an attack) and cf.waf.managed.matched_rules. nullopt / empty = not run.
  std::optional<int64_t> waf_score;
  std::optional<int64_t> waf_score_sqli;
  std::optional<int64_t> waf_score_xss;
  std::optional<int64_t> waf_score_rce;
  std::span<const int64_t> managed_matched_rules;  // valid during the evaluation
};

// A Request with its own storage. Copying is disabled because views point into this object.
class OwnedRequest {
 public:
  OwnedRequest() = default;
  OwnedRequest(const OwnedRequest&) = delete;
  OwnedRequest& operator=(const OwnedRequest&) = delete;
  OwnedRequest(OwnedRequest&& other) noexcept;
  OwnedRequest& operator=(OwnedRequest&& other) noexcept;

  void setMethod(std::string_view m) { request_.method = keep(m); }
  // Sets the raw target; the normalised path is then computed from it when needed.
  void setTarget(std::string_view t) {
    request_.target = keep(t);
    request_.path = {};
  }
  // The normalised path (Request::path); setTarget() clears it.
  void setPath(std::string_view p) { request_.path = keep(p); }
  void addHeader(std::string_view name, std::string_view value);
  void setBody(std::string_view body);  // also sets body_size
  Request& mutableRequest() { return request_; }
  const Request& request() const { return request_; }

 private:
  std::string_view keep(std::string_view s);
  std::deque<std::string> strings_;
  std::vector<Header> headers_;
  Request request_;
};

// Parses raw HTTP/1.x request text into an OwnedRequest with the gateway's own parser
// (http::RequestParser: llhttp, the same limits-free checks, the same path normalisation), so
// that `shipgate waf test --request FILE` and the .test files see what the gateway would. A
// missing final blank line is added. The body is what follows the head (it may be shorter than
// Content-Length: the WAF sees a prefix of the body, as in the gateway); body_size is
// Content-Length when present, else the body's length. A request the gateway answers with 400
// (malformed, smuggling, a path above the root...) is an error whose message starts with
// "request line: " when the problem is on the first line.
Result<std::unique_ptr<OwnedRequest>> parseRawHttpRequest(std::string_view text);

}  // namespace shipgate::waf
