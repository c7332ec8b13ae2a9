// RequestData: the request as the SecRule variables see it, built once per request from the
// gateway's views: ARGS (query string and body), ARGS_NAMES, REQUEST_HEADERS, REQUEST_COOKIES,
// FILES, XML, REQUEST_URI, REQUEST_FILENAME, REQUEST_LINE, REQUEST_BODY, ...
//
// Body processors, chosen by Content-Type as libmodsecurity 3 with modsecurity.conf-recommended
// does (rules 200000/200001): application/x-www-form-urlencoded -> URLENCODED, multipart/form-data
// -> MULTIPART, application/json and */*+json -> JSON, text/xml, application/xml and */*+xml ->
// XML; anything else: the body is only REQUEST_BODY (always set when there is a body, as
// ctl:forceRequestBodyVariable would). A body its processor cannot parse sets REQBODY_ERROR=1 and
// REQBODY_ERROR_MSG; the arguments read before the error are kept (libmodsecurity keeps them for
// JSON too). An empty body is never a parse error.
// Where we differ from libmodsecurity 3.0.9 on purpose: JSON arguments are in ARGS_POST as well
// as ARGS; vendor types (+json, +xml) get their processor; ARGS_COMBINED_SIZE counts multipart
// fields; SERVER_NAME keeps an IPv6 Host's brackets; MULTIPART_UNMATCHED_BOUNDARY stays 1 once
// set; an unterminated quote in Content-Disposition is an error; XML elements are per node.
// The rest is compared with libmodsecurity in tests/unit/managed/request_data_modsec_test.cc and
// request_data_crs_corpus_test.cc.
// Names and values are decoded as ModSecurity decodes them (the query string and urlencoded
// bodies: '+' is a space, percent-escapes decoded once, invalid escapes kept); JSON names follow
// libmodsecurity 3.0.9: the root is "json", keys are joined with '.', array elements are
// "array_<index>" ({"user":{"city":"x"},"ids":[1,2]} -> json.user.city, json.ids.array_0,
// json.ids.array_1); XML: every text node and attribute value is one XML element (name
// "XML:/*" selects them all).
// REQUEST_URI is the target percent-decoded once (no '+'), without a #fragment, and for an
// absolute-form target without scheme and host; REQUEST_URI_RAW is the target as received;
// REQUEST_FILENAME is the path before '?' percent-decoded once (as libmodsecurity 3 does), and
// REQUEST_BASENAME its part after the last '/' or '\\' (absent when empty). Query and cookie
// splitting follow libmodsecurity 3: '&' only; an argument without '=' has an empty value;
// cookies split on ';', the name left-trimmed, values not decoded.
//
// Reused per worker thread: build() clears and refills without giving back memory (dropped
// elements keep their string buffers for the next request: no allocation once warm for
// requests no bigger than earlier ones). Not thread-safe: one RequestData per worker.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/managed/seclang.h"
#include "shipgate/waf/request.h"

namespace shipgate::managed {

// What the gateway knows of one request (views into its buffers, valid during evaluation).
struct HttpRequestView {
  std::string_view method;                 // "GET"
  std::string_view uri;                    // raw request-target as received: "/a/b?x=1"
  std::string_view protocol = "HTTP/1.1";  // "HTTP/1.1", "HTTP/2.0"
  std::span<const waf::Header> headers;    // received order, duplicates kept
  std::string_view body;                   // the body (or its first N bytes, see body_complete)
  bool body_complete = true;               // false: `body` is a prefix of a longer body
  std::string_view client_ip;              // REMOTE_ADDR
  int client_port = 0;
  std::string_view server_name;            // SERVER_NAME (the Host header's name part when empty)
  int server_port = 0;
  std::string_view unique_id;              // UNIQUE_ID (the gateway's request id)
};

struct Element {
  std::string name;
  std::string value;
};

// The elements of one request collection, in order: an array of size() elements. Its storage
// keeps the elements the last requests had past size(), string buffers and all, and reuses them
// (no allocation and no moving of elements once warm; a value past 64 KiB is not kept).
class Elements {
 public:
  const Element* begin() const { return items_.data(); }
  const Element* end() const { return items_.data() + n_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Element& operator[](size_t i) const { return items_[i]; }

 private:
  friend class RequestData;
  friend struct RequestDataBuilder;

  // Appends an element (the storage's next one when there is one) and returns it.
  Element& push(std::string_view name, std::string_view value) {
    if (n_ == items_.size()) {
      items_.push_back(Element{std::string(name), std::string(value)});
    } else {
      items_[n_].name.assign(name);
      items_[n_].value.assign(value);
    }
    return items_[n_++];
  }
  // Drops the elements past `keep`.
  void truncate(size_t keep) {
    for (size_t i = keep; i < n_; ++i) {
      // A one-off huge value (a file's content) is not kept for every later request.
      if (items_[i].value.capacity() > kKeptCapacity) std::string().swap(items_[i].value);
      if (items_[i].name.capacity() > kKeptCapacity) std::string().swap(items_[i].name);
    }
    if (keep < n_) n_ = keep;
  }

  static constexpr size_t kKeptCapacity = 65536;
  std::vector<Element> items_;
  size_t n_ = 0;  // the request's elements are items_[0, n_)
};

class RequestData {
 public:
  // Limits (settings of ModSecurity's recommended configuration, fixed here). Past them the
  // rest is not collected and REQBODY_ERROR=1 with a REQBODY_ERROR_MSG naming the limit, so a
  // rule set that blocks on REQBODY_ERROR (modsecurity.conf-recommended rule 200002) cannot be
  // bypassed by padding a request with arguments, parts or nesting.
  static constexpr size_t kMaxArguments = 1000;  // ARGS (GET + POST), like SecArgumentsLimit 1000
  static constexpr int kMaxJsonDepth = 64;       // nested JSON objects/arrays
  static constexpr size_t kMaxMultipartParts = 100;
  static constexpr int kMaxXmlDepth = 64;        // elements nested (pugixml is not recursive-safe)

  RequestData();

  // Clears and refills every collection and scalar from `request`. Never fails: a body that
  // does not parse sets REQBODY_ERROR=1 / REQBODY_ERROR_MSG (and for multipart
  // MULTIPART_STRICT_ERROR=1); what was parsed before the error is kept. A body prefix
  // (body_complete=false) is parsed as far as it goes and is never an error for being cut.
  void build(const HttpRequestView& request);

  // ctl:requestBodyProcessor=<name>: re-reads the body of `request` (the view given to build())
  // with `processor` ("URLENCODED", "MULTIPART", "JSON", "XML", any case; anything else: none)
  // in place of the one the Content-Type chose. Replaces what build() derived from the body
  // (ARGS_POST and its part of ARGS, FILES*, XML, MULTIPART_*, REQBODY_*, ARGS_COMBINED_SIZE);
  // the rest stays. REQUIRES: build(request) was called last.
  void setBodyProcessor(const HttpRequestView& request, std::string_view processor);

  // The elements of a request collection (kArgs, kArgsNames, kRequestHeaders, kXml, ...), in
  // request order. ARGS = ARGS_GET then ARGS_POST (JSON and XML-less body arguments are POST).
  // *_NAMES elements have name = value = the name. REQUEST_HEADERS names are as received
  // (lookups are case-insensitive in the engine). FILES: name = the field name, value = the
  // file name; FILES_SIZES: the field name and the size in bytes; MULTIPART_PART_HEADERS: the
  // field name and each header line of its part as received, line end included, as libmodsecurity
  // 3.0.9 gives it ("Content-Type: text/plain\r\n").
  // XML: name = the node's path ("/a/b" for the text of <b>, "/a/b/@id" for an attribute),
  // value = the text or attribute value.
  // Empty for engine collections (TX, IP, ...), which the engine owns.
  const Elements& collection(Var v) const;
  // A request scalar (kRequestUri, kRequestFilename, kQueryString, kReqbodyError, ...): its
  // value, "" when absent. REQUEST_BODY_LENGTH, ARGS_COMBINED_SIZE, FILES_COMBINED_SIZE are
  // decimal text.
  std::string_view scalar(Var v) const;
  // Whether a scalar is present at all (&REQUEST_BASENAME-style counts; REQUEST_BODY without a
  // body is absent).
  bool hasScalar(Var v) const;
  // "URLENCODED", "MULTIPART", "JSON", "XML" or "" (REQBODY_PROCESSOR).
  std::string_view bodyProcessor() const { return scalar(Var::kReqbodyProcessor); }

 private:
  friend struct RequestDataBuilder;  // the body processors (request_data_body.cc)

  std::vector<Elements> collections_;
  std::vector<std::string> scalars_;
  std::vector<uint8_t> present_;
  std::string content_type_;    // the first Content-Type header (for setBodyProcessor)
  bool query_args_cut_ = false;  // the query string alone passed kMaxArguments
};

}  // namespace shipgate::managed
