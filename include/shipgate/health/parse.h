// Small parsers the health checkers apply to operator and network input: URLs of the seed's
// health_checks block and of jsonrpc peers, and eth_blockNumber responses. Pure functions, no I/O,
// never throw; fuzzed by tests/fuzz/health_parse/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"

namespace shipgate::health {

struct ParsedUrl {
  std::string scheme;        // "http" or "https" (lower-case)
  config::HostPort address;  // default port 80 / 443; IPv6 literals without brackets
  std::string path = "/";    // path and query, "/" when absent
  bool tls() const { return scheme == "https"; }
};

// "http[s]://host[:port][/path][?query]" by http::parseUrl (the one URL parser): user info is
// rejected, the fragment dropped.
Result<ParsedUrl> parseUrl(std::string_view url);

// A JSON-RPC response to eth_blockNumber: {"jsonrpc":"2.0","id":..,"result":"0x1a"} -> 26.
// A JSON-RPC error object or a malformed answer is an error naming what was wrong.
Result<uint64_t> parseBlockNumberResponse(std::string_view body);

// "0x1a" -> 26; at most 16 hex digits.
Result<uint64_t> parseHexQuantity(std::string_view hex);

}  // namespace shipgate::health
