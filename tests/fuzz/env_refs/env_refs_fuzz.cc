// Fuzzes the env references of release.runtime (operator input): parseSecretRef, checkVariables
// and expandVariables. Invariants: a parsed reference's path starts with '/' and has no '#' or
// '@', a version is positive, and describe() parses back to the same reference; checkVariables
// finds a problem exactly when expansion with every variable set fails, at an offset inside the
// input that points at a '$'; text without "${" expands to itself; with every variable set to ""
// the expansion is never longer than the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "shipgate/runtime/env_refs.h"

namespace {

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  fprintf(stderr, "env_refs_fuzz invariant violated: %s\ninput: %.*s\n", what,
          static_cast<int>(input.size()), input.data());
  abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shipgate::runtime;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto ref = parseSecretRef(input);
  if (ref.isOk() && ref->has_value()) {
    const SecretRef& r = **ref;
    check(!r.path.empty() && r.path[0] == '/', "path does not start with /", input);
    check(r.path.find_first_of("#@") == std::string::npos, "path holds # or @", input);
    check(!r.version || *r.version >= 1, "version below 1", input);
    auto again = parseSecretRef("secret:" + r.describe());
    check(again.isOk() && again->has_value(), "describe() does not parse back", input);
    check((*again)->path == r.path && (*again)->version == r.version && (*again)->label == r.label,
          "describe() parses to another reference", input);
  } else if (!ref.isOk()) {
    check(!ref.status().message().empty(), "error without a message", input);
  }
  const EnvLookup empty = [](const std::string&) { return std::optional<std::string>(""); };
  auto problem = checkVariables(input);
  auto expanded = expandVariables(input, empty);
  check(problem.has_value() == !expanded.isOk(), "check and expansion disagree", input);
  if (problem) {
    check(problem->offset < input.size() && input[problem->offset] == '$',
          "problem offset not at a '$'", input);
  } else {
    check(expanded->size() <= input.size(), "expansion with empty values grew", input);
    if (input.find("${") == std::string_view::npos) {
      check(*expanded == input, "text without ${ changed", input);
    }
  }
  return 0;
}
