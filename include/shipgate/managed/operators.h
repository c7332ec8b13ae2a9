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
class Regex {
 public:
  static Result<std::unique_ptr<Regex>> compile(std::string_view pattern);
  ~Regex();
  bool match(std::string_view text, Captures* captures = nullptr) const;
  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
};

// Many PCREs scanned at once (Hyperscan, prefilter mode). Patterns Hyperscan cannot take even as
// a prefilter are always reported as candidates.
class MultiRegex {
 public:
  class Scratch;  // per thread; made by newScratch(), reused for every MultiRegex of an engine
  static Result<std::unique_ptr<MultiRegex>> compile(const std::vector<std::string>& patterns);
  ~MultiRegex();
  // Sets candidates[i] = 1 for every pattern i that may match `text` (others 0); resizes.
  void scan(std::string_view text, Scratch& scratch, std::vector<uint8_t>& candidates) const;
  size_t size() const { return count_; }
  // Allocates (or grows) `scratch` for this set; call once per thread per MultiRegex at startup.
  Status prepare(std::unique_ptr<Scratch>& scratch) const;

 private:
  MultiRegex() = default;
  size_t count_ = 0;
  void* db_ = nullptr;  // hs_database_t*
  std::vector<uint32_t> always_;  // patterns Hyperscan could not compile
};

// Case-insensitive "contains any of these phrases" (@pm, @pmFromFile), Hyperscan literal mode.
class PhraseSet {
 public:
  static Result<std::unique_ptr<PhraseSet>> compile(const std::vector<std::string>& phrases);
  ~PhraseSet();
  // The first phrase found (for MATCHED_VAR's data / capture), or false.
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
  // An operator that cannot be evaluated here (@rbl, @geoLookup, ...) is an error whose message
  // starts with "unsupported operator".
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
  // For @rx with a static pattern: the pattern (the engine groups these into a MultiRegex and
  // calls match() only on candidates). Empty otherwise.
  virtual std::string_view groupablePattern() const { return {}; }
  virtual Status prepare(std::unique_ptr<MultiRegex::Scratch>& scratch) const { return Status::ok(); }
  std::string_view name() const { return name_; }

 protected:
  std::string name_;
  bool dynamic_ = false;
};

}  // namespace shipgate::managed
