// libFuzzer entry point for the managed rules' regular expressions (operators.h).
// Input: a pattern, a NUL byte, then a subject. Traps when the PCRE2 Regex matches the subject
// but MultiRegex (Hyperscan, prefilter mode) built from that one pattern does not report it as a
// candidate: the engine runs a rule's @rx only on candidates, so that would be a missed attack.
// Also traps when the Regex matches a subject that holds no byte of a set of
// Regex::requiredBytes or of Regex::firstBytes (the engine skips a weak pattern on a value without
// them), or no pair of Regex::firstPairs (the engine drops it from a value without them). Also
// exercises captures and the match limit on arbitrary patterns (no crash, no hang).
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/managed/operators.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using shipgate::managed::Captures;
  using shipgate::managed::MultiRegex;
  using shipgate::managed::Regex;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string pattern(input.substr(0, nul));
  std::string subject(nul == std::string_view::npos ? "" : input.substr(nul + 1));
  if (pattern.size() > 256 || subject.size() > 4096) return 0;
  MultiRegex::setCacheDir("");  // no disk cache entry per fuzz input
  auto re = Regex::compile(pattern);
  if (!re.isOk()) return 0;
  Captures cap;
  const bool matched = (*re)->match(subject, &cap);
  if (matched && (cap.groups.empty() || cap.groups.size() > 10)) abort();
  auto holds = [&](const std::array<uint64_t, 4>& bytes) {
    for (unsigned char c : subject)
      if ((bytes[c >> 6] >> (c & 63)) & 1) return true;
    return false;
  };
  for (const auto& bytes : Regex::requiredBytes(pattern))
    if (matched && !holds(bytes)) abort();
  std::array<uint64_t, 4> first{};
  if (Regex::firstBytes(pattern, &first) && matched && !holds(first)) abort();
  std::vector<std::pair<uint8_t, std::array<uint64_t, 4>>> pairs;
  if (matched && Regex::firstPairs(pattern, 16, &pairs)) {
    bool held = false;
    for (size_t i = 0; !held && i + 1 < subject.size(); ++i) {
      const auto a = static_cast<uint8_t>(subject[i]);
      const auto b = static_cast<unsigned char>(subject[i + 1]);
      for (const auto& [f, seconds] : pairs)
        held = held || (f == a && ((seconds[b >> 6] >> (b & 63)) & 1) != 0);
    }
    if (!held) abort();
  }
  auto multi = MultiRegex::compile({pattern});
  if (!multi.isOk() || (*multi)->size() != 1) abort();
  static thread_local std::unique_ptr<MultiRegex::Scratch> scratch;
  if (!(*multi)->prepare(scratch).isOk()) abort();
  std::vector<uint8_t> candidates;
  (*multi)->scan(subject, *scratch, candidates);
  if (candidates.size() != 1) abort();
  if (matched && candidates[0] == 0) abort();
  return 0;
}
