// Match confirmation: a shipgate refinement of a short, named list of CRS rules whose regular
// expressions also match ordinary prose (not in the CRS, not in ModSecurity; on by default,
// waf.managed_rules.crs.confirm_matches: false turns it off). When the operator of a listed rule
// matches a value, the match counts only when a context check of our own confirms it; a rejected
// match is not the end: the operator runs again on the rest of the value, so a decoy before a
// real payload does not hide it (at most kMaxRejected rejections per value, then the match
// counts: the check never costs more than a few regex runs and never lets a flood of decoys
// through).
//
//   942360  the leading-keyword branch (`^[\W\d]+\s*?(select|union|update|...)\b`) counts only
//           with SQL around it: a quote, ; ( ) = * @ # `--` or `/*` in the value, or an SQL word
//           (from, where, into, values, ...) or a number or `*` after the keyword, or nothing
//           after it. "3 Select Court" is prose; "1 union select 1,2" is not. The rule's other
//           branches (`) AS x FROM`, `select char(`, load_file, regexp ...) always count.
//   932150  the unix command word at the start of the value (or after `=`) counts unless the rest
//           of the value is prose: three or more words with no shell syntax (no / \ | ; & $ < >
//           ` * = ~ { } ( ) quote, no -option, no dotted name such as host.tld or file.ext).
//           A match the regex ends with ; | & < > (not a space) always counts.
//   932100, 932115  a match that starts at a backtick counts only when the backtick opens a
//           command substitution a shell can run: a closing backtick follows (the next one not
//           escaped, as POSIX ends it) and the text between leaves no quote open (outside a
//           comment). The TeX-style quote of Debian's license texts, `/usr/share/...', is not
//           one. Matches at the other separators (; | & newline $( ...) always count.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shipgate/managed/operators.h"

namespace shipgate::managed::confirm {

// Judges one match of a listed rule's operator: `value` is the transformed value the operator
// saw, [pos, pos + len) the match within it. true: the match counts.
using Fn = bool (*)(std::string_view value, size_t pos, size_t len);

// The confirmation of rule `id`, or nullptr when the rule is not on the list.
Fn forRule(int64_t id);

bool sqlStatement(std::string_view value, size_t pos, size_t len);    // 942360
bool unixCommand(std::string_view value, size_t pos, size_t len);     // 932150
bool shellSeparator(std::string_view value, size_t pos, size_t len);  // 932100, 932115

constexpr int kMaxRejected = 8;

// Whether the operator's first match on `value` (whole match in caps.groups[0]) is confirmed by
// `fn`. While it is rejected, `rematch(rest)` runs the operator again on the value after the
// rejected match's first byte (it must refill caps). REQUIRES: the operator matched `value` and
// filled caps.groups (no groups: the match counts).
template <class Rematch>
bool confirmed(Fn fn, std::string_view value, Captures& caps, Rematch&& rematch) {
  size_t base = 0;
  for (int rejected = 0; rejected < kMaxRejected; ++rejected) {
    if (caps.groups.empty()) return true;
    const std::string& m = caps.groups[0];
    size_t p = value.find(m, base);
    if (p == std::string_view::npos) return true;  // cannot place it: count it
    if (fn(value, p, m.size())) return true;
    base = p + 1;
    if (base >= value.size()) return false;
    caps.groups.clear();
    if (!rematch(value.substr(base))) return false;
  }
  return true;
}

}  // namespace shipgate::managed::confirm
