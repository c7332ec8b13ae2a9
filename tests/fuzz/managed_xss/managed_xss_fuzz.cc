// libFuzzer entry point for @detectXSS: runs the HTML tokenizer over arbitrary bytes from every
// context. Besides memory errors it traps when the answer is not deterministic.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/managed/detect.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  bool hit = shipgate::managed::detectXss(input);
  if (shipgate::managed::detectXss(input) != hit) abort();
  return 0;
}
