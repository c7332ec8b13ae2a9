// Operators: one CompiledOperator per rule, compiled when the rule set loads. Matching follows
// ModSecurity v3: @rx is a PCRE (compiled with DOTALL and DOLLAR_ENDONLY, as libmodsecurity does;
// here PCRE2 with JIT and a match limit), @pm/@pmFromFile are case-insensitive phrase sets,
// @streq/@contains/@beginsWith/@endsWith/@within compare bytes, @eq/@ge/@gt/@le/@lt compare
// integers (a non-number is 0), @ipMatch takes addresses and CIDR ranges (v4 and v6),
// @validateByteRange/@validateUrlEncoding/@validateUtf8Encoding match when the value is NOT valid,
// @detectSQLi/@detectXSS call detect.h, @unconditionalMatch always matches, @noMatch never.
//
// For speed, the engine does not run a rule's @rx on every value: it scans each transformed value
// once with a MultiRegex of every @rx in the same group (rules with the same transformation
// chain), and runs the PCRE only for the candidates the scan returns. So a MultiRegex is allowed
// false positives (Hyperscan's prefilter mode) and never false negatives.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::managed {

// Capture groups of the last match (TX.0 .. TX.9 when the rule has `capture`).
struct Captures {
  std::vector<std::string> groups;  // [0] = whole match
};

// A single PCRE, thread-safe after compile (per-thread match data is made on demand).
// Compiled with PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, no UTF (bytes), JIT when available. A match
// that hits the match limit (SecPcreMatchLimit; the depth limit is the same number) is "no match"
// and counted in matchLimitHits(); it never crashes or throws. The default is 10000, not
// ModSecurity v2's documented 1000: PCRE2 counts finer than PCRE1 did, and at 1000 the CRS's
// 942/941 patterns lost 17 true matches on the CRS regression corpus (84 limit hits on 200-char
// attack strings); at 10000 there are none (libmodsecurity v3 sets no limit by default). A JIT
// stack overflow retries once in the interpreter under the same limit.
class Regex {
 public:
  static constexpr uint32_t kDefaultMatchLimit = 10000;
  static Result<std::unique_ptr<Regex>> compile(std::string_view pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // `captures`, when given, receives the whole match and up to 9 groups (10 entries at most;
  // an unset group is ""). Left untouched when there is no match.
  bool match(std::string_view text, Captures* captures = nullptr) const;
  const std::string& pattern() const { return pattern_; }
  // Whether every text matches, whole (see whole_).
  bool matchesEverything() const { return whole_; }
  // Process-wide limit for every later match (SecPcreMatchLimit); 0 = PCRE2's own default.
  static void setMatchLimit(uint32_t limit);
  static uint32_t matchLimit();
  // How many matches (process-wide, since start) ended at the match limit or another PCRE2
  // resource error and were therefore reported as "no match".
  static uint64_t matchLimitHits();
  // The bytes any match of `pattern` (compiled as compile() does) must start with, bit b of
  // (*bytes)[b / 64]. False when PCRE2 knows no such set (an anchored start, a pattern that can
  // match the empty string, a start it does not analyse) or the pattern does not compile: then any
  // byte may start a match.
  static bool firstBytes(std::string_view pattern, std::array<uint64_t, 4>* bytes);
  // The pairs of bytes any match of `pattern` (compiled as compile() does) must start with: for
  // each (first, seconds) row, a match may start with byte `first` then a byte of `seconds`
  // (bit b of seconds[b / 64]). PCRE2 itself decides each pair (an anchored, hard-partial match
  // of the two bytes: a match, or more text could make one), after no byte, a word byte and a
  // non-word byte when `\b`, `\B` or `\A` look one byte back, so the rows hold exactly the pairs
  // some text could start a match with. False when two bytes cannot tell, or a gate is not
  // worth it: the pattern does not compile, has a lookbehind group, can match fewer than two
  // bytes, or more than `max_first` bytes can start a match.
  static bool firstPairs(std::string_view pattern, size_t max_first,
                         std::vector<std::pair<uint8_t, std::array<uint64_t, 4>>>* rows);
  // Sets of bytes every match of `pattern` holds a byte of each of (bit b of set[b / 64]), the
  // rarest first, read from the pattern's syntax (regex_bytes.cc): a sequence needs what each of
  // its parts needs; an alternation, the unions of its branches' sets. Empty when no part of
  // some match must consume a byte (an optional or zero-width pattern) or the pattern uses
  // syntax it does not read (then a match may hold any bytes).
  static std::vector<std::array<uint64_t, 4>> requiredBytes(std::string_view pattern);
  // The fewest bytes a match of `pattern` spans (PCRE2's minimum length); 0 when it does not
  // compile.
  static uint32_t minLength(std::string_view pattern);

 private:
  Regex() = default;
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
  bool jit_ = false;
  // "^.*$", ".*", "^.*" or ".*$": with DOTALL and DOLLAR_ENDONLY each matches every text whole
  // (the CRS reads a header's whole value this way, with capture): no PCRE run.
  bool whole_ = false;
};

// Many PCREs scanned at once (Hyperscan, prefilter mode). Patterns Hyperscan cannot take even as
// a prefilter are always reported as candidates.
class MultiRegex {
 public:
  // Per thread; made by newScratch() (or by prepare() when null), reused for every MultiRegex and
  // PhraseSet of an engine. Not thread-safe: one per thread.
  class Scratch {
   public:
    Scratch() = default;
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    void* hs = nullptr;  // hs_scratch_t*
  };
  static std::unique_ptr<Scratch> newScratch() { return std::make_unique<Scratch>(); }
  // Compiling is the expensive part: Hyperscan needs ~20 s of CPU for the CRS's 264 @rx in one
  // database (superlinear in the set; scanning one database is ~1.5x faster than several). So a
  // compiled set is cached on disk under cacheDir(), keyed by a hash of the Hyperscan version,
  // the flags and the patterns, and loaded from there on the next compile of the same set (a
  // restart, a reload, a test). Files are written atomically (temporary + rename); an unreadable
  // or corrupt entry is ignored and rewritten; a cache that cannot be written is no error.
  static Result<std::unique_ptr<MultiRegex>> compile(const std::vector<std::string>& patterns);
  // The cache directory: the last setCacheDir() if called, else $SHIPGATE_HS_CACHE_DIR when set
  // ("" disables), else $XDG_CACHE_HOME/shipgate/hyperscan, else $HOME/.cache/shipgate/hyperscan,
  // else none. Created (mode 0700) on first write.
  static void setCacheDir(std::string dir);
  static std::string cacheDir();
  // True when this set was loaded from the cache instead of compiled.
  bool fromCache() const { return from_cache_; }
  ~MultiRegex();
  MultiRegex(const MultiRegex&) = delete;
  MultiRegex& operator=(const MultiRegex&) = delete;
  // Indices of the patterns Hyperscan rejected even in prefilter mode (always candidates).
  const std::vector<uint32_t>& alwaysCandidates() const { return always_; }
  // Why each of alwaysCandidates() was rejected (Hyperscan's message), same order.
  const std::vector<std::string>& rejections() const { return rejections_; }
  // Sets candidates[i] = 1 for every pattern i that may match `text` (others 0); resizes. Should
  // the scan itself fail (a scratch not prepared for this set), every pattern is a candidate.
  void scan(std::string_view text, Scratch& scratch, std::vector<uint8_t>& candidates) const;
  size_t size() const { return count_; }
  // Allocates (or grows) `scratch` for this set; call once per thread per MultiRegex at startup.
  Status prepare(std::unique_ptr<Scratch>& scratch) const;

 private:
  MultiRegex() = default;
  size_t count_ = 0;
  void* db_ = nullptr;            // hs_database_t*
  std::vector<uint32_t> always_;  // patterns Hyperscan could not compile
  std::vector<std::string> rejections_;
  bool from_cache_ = false;
};

// Case-insensitive "contains any of these phrases" (@pm, @pmFromFile), Hyperscan literal mode.
class PhraseSet {
 public:
  // An empty list compiles to a set that never matches.
  static Result<std::unique_ptr<PhraseSet>> compile(const std::vector<std::string>& phrases);
  ~PhraseSet();
  PhraseSet(const PhraseSet&) = delete;
  PhraseSet& operator=(const PhraseSet&) = delete;
  size_t size() const { return phrases_.size(); }
  const std::vector<std::string>& phrases() const { return phrases_; }
  // The first phrase found (the match that ends first; for MATCHED_VAR's data / capture), or
  // false. An unprepared scratch is prepared on the spot (slow path, not thread-unsafe).
  bool match(std::string_view text, MultiRegex::Scratch& scratch, std::string* found) const;
  Status prepare(std::unique_ptr<MultiRegex::Scratch>& scratch) const;

 private:
  PhraseSet() = default;
  std::vector<std::string> phrases_;
  void* db_ = nullptr;
};

struct OperatorEnv {
  std::string data_dir;  // where @pmFromFile / @ipMatchFromFile files are (the rules directory)
};

class CompiledOperator {
 public:
  // Compiles `op` (errors say what is wrong with the parameter; the engine prefixes file:line).
  // An operator that cannot be evaluated here (@rbl, @geoLookup, @inspectFile, @fuzzyHash,
  // @validateDTD/@validateSchema, @verifyCC/CPF/SSN/SVNR, @gsbLookup, @rsub, @validateHash, and
  // @pmFromFile/@ipMatchFromFile with a URL) is an error "unsupported operator @x: <why>"; a name
  // not known at all is "unknown operator @x". Names are case-insensitive. @pmFromFile (@pmf) and
  // @ipMatchFromFile (@ipMatchF) read space-separated files, relative to env.data_dir unless
  // absolute, with parseDataFile().
  static Result<std::unique_ptr<CompiledOperator>> compile(const Operator& op,
                                                           const OperatorEnv& env);
  virtual ~CompiledOperator() = default;
  // True when the parameter holds %{macros}: the engine expands them per request and passes the
  // expanded text to match().
  bool dynamicParam() const { return dynamic_; }
  // The operator's result on one value, before negation (the engine applies Operator::negated).
  // `param` is the expanded parameter when dynamicParam(), else ignored. `matched` receives the
  // matched text when the operator has one (the regex match, the phrase found) else stays.
  virtual bool match(std::string_view value, std::string_view param, MultiRegex::Scratch& scratch,
                     Captures* captures, std::string* matched) const = 0;
  // For @rx with a static pattern that not every text matches: the pattern (the engine groups
  // these into a MultiRegex and calls match() only on candidates). Empty otherwise.
  virtual std::string_view groupablePattern() const { return {}; }
  // For @pm/@pmFromFile with a static list: its phrases (the engine scans all the lists of one
  // transformation chain in one pass and calls match() only where the list's phrases occur).
  // Null otherwise.
  virtual const std::vector<std::string>* phraseList() const { return nullptr; }
  virtual Status prepare(std::unique_ptr<MultiRegex::Scratch>& scratch) const {
    return Status::success();
  }
  std::string_view name() const { return name_; }

  // @eq, @ge, @gt, @le and @lt with a static parameter: the comparison and the parameter's
  // number, so that a caller deciding many of them (the CRS's paranoia-level gates) can do it
  // without a virtual call: match(v) == compareNumbers(comparison(), numericValue(v),
  // numberParam()).
  // (operators.cc maps its operator kinds to these by their order.)
  enum class Comparison : uint8_t { kNone, kEq, kGe, kGt, kLe, kLt };
  Comparison comparison() const { return comparison_; }
  int64_t numberParam() const { return number_; }

 protected:
  std::string name_;
  bool dynamic_ = false;
  Comparison comparison_ = Comparison::kNone;
  int64_t number_ = 0;  // numericValue(param) (the numeric operators read it when it is static)
};

// How ModSecurity's numeric operators read a value, as atoi: leading blanks, a sign, digits;
// anything else is 0. Saturates instead of overflowing.
int64_t numericValue(std::string_view s);

inline bool compareNumbers(CompiledOperator::Comparison c, int64_t value, int64_t param) {
  using C = CompiledOperator::Comparison;
  switch (c) {
    case C::kEq:
      return value == param;
    case C::kGe:
      return value >= param;
    case C::kGt:
      return value > param;
    case C::kLe:
      return value <= param;
    case C::kLt:
      return value < param;
    case C::kNone:
      break;
  }
  return false;
}

}  // namespace shipgate::managed
