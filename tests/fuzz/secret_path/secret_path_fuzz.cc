// Fuzzes SecretPath::parse and parsePrefix with the whole input as the text.
// Invariants: an accepted path is within the limits, is its own normal form (parsing str() gives
// the same path), is rebuilt from its segments, and is under itself and under the root; as a
// prefix it is the same. A refusal has a message of printable ASCII only (the input is quoted
// escaped and bounded, so a hostile path cannot inject control bytes into a log line).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/secrets/secret_path.h"

namespace {

using shipgate::Result;
using shipgate::secrets::SecretPath;

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  fprintf(stderr, "secret_path_fuzz invariant violated: %s\ninput: %.*s\n", what,
          static_cast<int>(input.size()), input.data());
  abort();
}

void checkMessage(const Result<SecretPath>& r, std::string_view input) {
  const std::string& m = r.status().message();
  check(!m.empty(), "a refusal has a message", input);
  // At most 80 input bytes are quoted, each at most 4 characters escaped.
  check(m.size() < 600, "a refusal's message is bounded", input);
  for (char c : m) check(c >= 0x20 && c < 0x7f, "a refusal's message is printable ASCII", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Result<SecretPath> path = SecretPath::parse(input);
  if (!path.isOk()) {
    checkMessage(path, input);
  } else {
    const SecretPath& p = *path;
    check(p.str().size() <= SecretPath::kMaxLength, "length within the limit", input);
    check(p.depth() >= 1 && p.depth() <= SecretPath::kMaxDepth, "depth within the limit", input);
    check(p.str() == input, "an accepted path is already normal", input);
    Result<SecretPath> again = SecretPath::parse(p.str());
    check(again.isOk() && *again == p, "str() parses back to the same path", input);
    std::string rebuilt;
    for (std::string_view seg : p.segments()) {
      check(!seg.empty() && seg.size() <= SecretPath::kMaxSegment && seg != "." && seg != "..",
            "segments follow the rules", input);
      rebuilt += "/";
      rebuilt += seg;
    }
    check(rebuilt == p.str() && p.segments().size() == p.depth(), "segments rebuild the path",
          input);
    check(p.isUnder(p), "a path is under itself", input);
    check(p.isUnder(*SecretPath::parsePrefix("/")), "a path is under the root", input);
  }
  Result<SecretPath> prefix = SecretPath::parsePrefix(input);
  if (!prefix.isOk()) {
    checkMessage(prefix, input);
    check(!path.isOk(), "an accepted path is an accepted prefix", input);
  } else {
    if (path.isOk()) check(*prefix == *path, "a path as a prefix is the same", input);
    Result<SecretPath> again = SecretPath::parsePrefix(prefix->str());
    check(again.isOk() && *again == *prefix, "a prefix's str() parses back to it", input);
  }
  return 0;
}
