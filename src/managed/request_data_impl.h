// Private helpers of RequestData shared by request_data.cc (URI, headers, cookies, urlencoded)
// and request_data_body.cc (multipart, JSON, XML body processors).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/strings.h"
#include "shipgate/managed/request_data.h"

namespace shipgate::managed {

// Decodes as libmodsecurity's urldecode_nonstrict: '+' -> ' ', %XX (hex, any case) -> the byte,
// a '%' not followed by two hex digits is kept. Appends to `out`.
void urlDecodeNonStrict(std::string_view in, std::string& out);
// Decodes %XX only ('+' stays), as libmodsecurity's uri_decode. Appends to `out`.
void uriDecode(std::string_view in, std::string& out);
// The value of a Content-Type parameter (`boundary`, `charset`; name case-insensitive),
// unquoted (backslash escapes of a quoted value resolved) into `value`. False when absent.
bool contentTypeParam(std::string_view content_type, std::string_view param, std::string& value);

// Writes into a RequestData being built. One per build() call.
struct RequestDataBuilder {
  RequestData& rd;

  Elements& col(Var v) { return rd.collections_[static_cast<size_t>(v)]; }
  // Appends an element to collection `v` and returns it, so callers can append to its value.
  Element& push(Var v, std::string_view name, std::string_view value) {
    return col(v).push(name, value);
  }
  void setScalar(Var v, std::string_view value) {
    rd.scalars_[static_cast<size_t>(v)].assign(value);
    rd.present_[static_cast<size_t>(v)] = 1;
  }
  // Adds to ARGS, ARGS_NAMES and ARGS_GET(/POST)(_NAMES). False (and REQBODY_ERROR set) once
  // kMaxArguments is reached.
  bool addArgument(bool post, std::string_view name, std::string_view value);
  // Sets REQBODY_ERROR=1 and REQBODY_ERROR_MSG (the first message wins).
  void bodyError(std::string_view msg);

  size_t args_combined_size = 0;
  bool body_error = false;

  // Body processors (request_data_body.cc). `body_complete` false: a prefix, not an error
  // for being cut.
  void parseUrlencoded(std::string_view text, bool post);
  void parseMultipart(std::string_view content_type, std::string_view body, bool body_complete);
  void parseJson(std::string_view body, bool body_complete);
  void parseXml(std::string_view body, bool body_complete);
};

}  // namespace shipgate::managed
