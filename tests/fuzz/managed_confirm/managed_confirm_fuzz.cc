// libFuzzer entry point for the match confirmation (src/managed/engine_confirm.h): every check
// on arbitrary bytes at every match position the first byte picks, and the retry loop with a
// stand-in operator (the next backtick, semicolon or digit). Besides memory errors it traps on a
// non-deterministic answer.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "managed/engine_confirm.h"

using shipgate::managed::Captures;
namespace confirm = shipgate::managed::confirm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view value(reinterpret_cast<const char*>(data) + 2, size - 2);
  size_t pos = value.empty() ? 0 : data[0] % value.size();
  size_t len = value.empty() ? 0 : data[1] % (value.size() - pos + 1);
  for (confirm::Fn fn :
       {confirm::forRule(942360), confirm::forRule(932150), confirm::forRule(932115)}) {
    bool a = fn(value, pos, len);
    if (fn(value, pos, len) != a) abort();
    Captures caps;
    auto op = [&](std::string_view v) {
      size_t p = v.find_first_of("`;0123456789");
      if (p == std::string_view::npos) return false;
      caps.groups.assign(1, std::string(v.substr(p, len % 8)));
      return true;
    };
    if (op(value)) (void)confirm::confirmed(fn, value, caps, op);
  }
  return 0;
}
