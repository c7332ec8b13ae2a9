// Error masking (waf.mask_upstream_errors): the pieces ProxyExchange uses to hold an upstream's
// 5xx answer, look for database or stack-trace text in it and answer a generic page instead.
// A held answer is at most kErrorHoldLimit bytes as received (chunk framing included); only
// that much is inspected, after its content codings are undone (a gzip or brotli answer is read
// as text, as the client would read it). Loop thread, except errorLeakDetector() which any
// thread may call.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "shipgate/managed/error_leaks.h"

namespace shipgate::server {

constexpr size_t kErrorHoldLimit = 64 * 1024;   // body bytes held before deciding
constexpr size_t kErrorLogLimit = 8 * 1024;     // of the original body, in the log line
constexpr size_t kErrorInspectLimit = 1024 * 1024;  // decoded bytes inspected (a bomb stops there)

// The process's detector over the Debian CRS lists (ErrorLeakDetector::kDebianRulesDir), built
// on first use; if those lists cannot be read, our own patterns alone (the reason logged once).
// Null only if even those fail to compile (logged).
const managed::ErrorLeakDetector* errorLeakDetector();

// The body of a chunked message as far as `raw` (its wire bytes from the first chunk-size line)
// goes: chunk data joined, sizes, extensions and trailers dropped, a cut chunk kept as far as
// it arrived. Bytes that do not parse as chunked are returned from there on as they are.
std::string decodeChunkedPrefix(std::string_view raw);

// The text of a body sent with Content-Encoding `codings` (a comma-separated list, applied in
// order, so undone last to first): gzip/x-gzip, deflate (zlib-wrapped as RFC 9110 says, or raw
// as some servers send it), br and identity are read, at most kErrorInspectLimit bytes of output
// per coding. A compressed stream cut short (a held prefix) gives what its bytes decode to.
// nullopt when a coding is none of those, or its data is not valid from the first byte on.
std::optional<std::string> decodeContentCodings(std::string_view codings, std::string_view body);

// True when the Accept field ranks application/json (or +json) above text/html (a missing q is
// 1; ties and an absent field prefer HTML).
bool prefersJson(std::string_view accept);

// The generic page that replaces a masked answer: JSON {"error":"internal error","request_id":
// "..."} or a short HTML page naming the status and the request id.
std::string maskedErrorBody(bool json, int status, std::string_view request_id);

// The original body for the log: at most kErrorLogLimit bytes, control bytes other than \n and
// \t escaped as \xNN, newlines as \n (one log line), "...(N bytes)" when cut.
std::string bodyForLog(std::string_view body, size_t total_size);

}  // namespace shipgate::server
