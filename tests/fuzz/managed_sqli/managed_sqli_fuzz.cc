// libFuzzer entry point for @detectSQLi: tokenizes, folds and judges arbitrary bytes in every
// quote context. Besides memory errors it traps on broken invariants: a hit reports a non-empty
// fingerprint of at most 8 token types, a miss reports none, and the answer is deterministic.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/managed/detect.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string fp = "stale";
  bool hit = shipgate::managed::detectSqli(input, &fp);
  if (hit && (fp.empty() || fp.size() > 8)) abort();
  if (!hit && !fp.empty()) abort();
  if (shipgate::managed::detectSqli(input) != hit) abort();
  return 0;
}
