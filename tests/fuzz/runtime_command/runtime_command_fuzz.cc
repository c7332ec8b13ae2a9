// Fuzzes the runtime's command-line helpers (operator input from release.runtime.command):
// splitCommand, the placeholder expansion and finder, parsePortRange. Invariants: a split command
// has at least one argument; quoting every argument with single quotes and splitting again gives
// the same arguments; text without '{' expands to itself; expansion never leaves a known
// placeholder; the unknown-placeholder finder reports a name that is really there; a parsed port
// range is 1 <= first <= last <= 65535.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/runtime/runtime_config.h"

namespace {

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  fprintf(stderr, "runtime_command_fuzz invariant violated: %s\ninput: %.*s\n", what,
          static_cast<int>(input.size()), input.data());
  abort();
}

std::string singleQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shipgate::runtime;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> argv;
  SplitError err;
  if (splitCommand(input, argv, err)) {
    check(!argv.empty(), "split succeeded with no argument", input);
    std::string requoted;
    for (const auto& a : argv) requoted += singleQuote(a) + " ";
    std::vector<std::string> again;
    check(splitCommand(requoted, again, err), "re-quoted command does not split", input);
    check(again == argv, "re-quoted command splits differently", input);
  } else {
    check(err.offset <= input.size(), "error offset past the end", input);
    check(!err.message.empty(), "error without a message", input);
  }
  PlaceholderValues values{9200, "v1", "/srv/app", 0};
  std::string expanded = expandPlaceholders(input, values);
  if (input.find('{') == std::string_view::npos) {
    check(expanded == input, "text without braces changed", input);
  }
  UnknownPlaceholder u = findUnknownPlaceholder(input);
  if (!u.name.empty()) {
    check(input.substr(u.offset, u.name.size() + 2) == "{" + u.name + "}",
          "unknown placeholder not at its offset", input);
  }
  auto range = parsePortRange(input);
  if (range.isOk()) {
    check(range->first >= 1 && range->first <= range->last && range->last <= 65535,
          "port range out of bounds", input);
  }
  return 0;
}
