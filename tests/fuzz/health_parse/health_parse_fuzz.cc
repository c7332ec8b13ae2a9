// Fuzzes the health checkers' parsers of untrusted input: URLs (operator config, jsonrpc peers)
// and eth_blockNumber responses (whatever a node sends back).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shipgate/health/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto url = shipgate::health::parseUrl(input);
  if (url.isOk()) {
    // Invariants: a host, a path starting with '/', a non-zero port.
    if (url->address.host.empty() || url->path.empty() || url->path[0] != '/' ||
        url->address.port == 0) {
      __builtin_trap();
    }
  }
  (void)shipgate::health::parseBlockNumberResponse(input);
  (void)shipgate::health::parseHexQuantity(input);
  return 0;
}
