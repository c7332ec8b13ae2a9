// Private to the engine: the compiled form of a rule set (engine_load.cc builds it,
// engine_eval.cc runs it) and the per-thread Scratch.
#pragma once

#include <hs/hs.h>
#include <re2/filtered_re2.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine_confirm.h"
#include "engine_vars.h"
#include "shipgate/managed/engine.h"
#include "shipgate/managed/operators.h"
#include "shipgate/managed/request_data.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::managed::engine_internal {

// The engine's own collections (TX and the persistent ones), held in the scratch's VarTable
// rather than read from the request.
inline bool isEngineCollection(Var v) {
  switch (v) {
    case Var::kTx:
    case Var::kIp:
    case Var::kGlobal:
    case Var::kSession:
    case Var::kUser:
    case Var::kResource:
      return true;
    default:
      return false;
  }
}

// The collections the request supplies (RequestData::collection).
inline bool isRequestCollection(Var v) {
  switch (v) {
    case Var::kArgs:
    case Var::kArgsGet:
    case Var::kArgsPost:
    case Var::kArgsNames:
    case Var::kArgsGetNames:
    case Var::kArgsPostNames:
    case Var::kRequestHeaders:
    case Var::kRequestHeadersNames:
    case Var::kRequestCookies:
    case Var::kRequestCookiesNames:
    case Var::kFiles:
    case Var::kFilesNames:
    case Var::kFilesSizes:
    case Var::kMultipartPartHeaders:
    case Var::kXml:
      return true;
    default:
      return false;
  }
}

// The scalars the request supplies (RequestData::hasScalar/scalar), which the evaluator reads
// as one value with a cache key: REQUEST_URI ... UNIQUE_ID.
inline bool isRequestScalar(Var v) {
  return static_cast<unsigned>(v) >= static_cast<unsigned>(Var::kRequestUri) &&
         static_cast<unsigned>(v) <= static_cast<unsigned>(Var::kUniqueId);
}

// One target of a compiled rule link (or one exclusion from it).
struct CTarget {
  Var var = Var::kArgs;
  std::string key;            // lower-case selector; "" = every element
  std::shared_ptr<Regex> re;  // selector /regex/ (case-insensitive); null when `literal` decides
  std::string re_text;        // its pattern
  // A selector /regex/ that is a plain literal, optionally anchored (the CRS's /__utm/ and
  // /_pk_ref/ exclusions on cookies, 920450's TX:/^header_name_/, 922's
  // /MULTIPART_HEADERS_CONTENT_TYPES_*/ once its end that can match nothing is dropped), is
  // matched by an ASCII case-insensitive comparison with `literal_text` (lower-case) instead of
  // PCRE: 920450's chain and 922 walk every TX variable of the request with it. kNone: `re`
  // decides.
  enum class Literal : uint8_t { kNone, kContains, kPrefix, kSuffix, kExact };
  Literal literal = Literal::kNone;
  std::string literal_text;
  bool isRegex() const { return re != nullptr || literal != Literal::kNone; }
  bool count = false;         // &VAR
  // For an engine collection's named element (TX:anomaly_score): "tx.anomaly_score" and its
  // VarTable hash.
  std::string full_key;
  uint64_t full_key_hash = 0;
  // A target that walks an engine collection (TX:/^header_name_/, 922110's
  // TX:/MULTIPART_HEADERS_CONTENT_TYPES_*/, a whole TX, or a count of those): its number among
  // them, for Engine::Scratch::State::walk_memos. -1: not such a target.
  int walk_memo = -1;
};

// Compiles a selector /regex/ (case-insensitive, as ModSecurity reads it) into t.re, or into
// t.literal when the pattern is a plain literal with optional ^ and $ (after dropping what can
// match nothing: atom* at an unanchored end, .* at an unanchored start). Fails on a bad pattern.
Status compileSelectorRegex(std::string_view pattern, CTarget& t);

// Whether the element name is selected by a target's selector: every name (no key), the key
// (ASCII case-insensitive), or the /regex/.
bool selectorMatchesSlow(const CTarget& t, std::string_view name);

// selectorMatches, with the common cases decided inline: no selector, a key of another length,
// and a literal prefix or whole name that the name's first letter rules out (920450's chain and 922
// walk every TX variable of the request with one).
inline bool selectorMatches(const CTarget& t, std::string_view name) {
  if (t.literal == CTarget::Literal::kPrefix || t.literal == CTarget::Literal::kExact) {
    if (t.literal_text.empty()) return t.literal == CTarget::Literal::kPrefix || name.empty();
    if (name.empty()) return false;
    char c = name[0];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    if (c != t.literal_text[0]) return false;
  } else if (t.literal == CTarget::Literal::kNone && t.re == nullptr) {
    if (t.key.empty()) return true;
    if (t.key.size() != name.size()) return false;
  }
  return selectorMatchesSlow(t, name);
}

// The literals one of which every match of `pattern` holds, when RE2's prefilter of it is exactly
// "any of these atoms" (no atom: none; every single atom: the pattern passes) and no atom has a
// letter (RE2 lowercases its atoms, so a letter-free atom is the literal as written). At most
// four. Empty when there is no such set.
std::vector<std::string> requiredLiterals(const std::string& pattern);

// A text that may hold %{...} references (an operator's parameter, a setvar's name and value, a
// ctl value, msg, logdata), split once at load into literal runs and resolved references
// (compileMacro), so that a request expands it without parsing it (Evaluator::expandInto).
struct MacroPart {
  enum class Kind : uint8_t {
    kLiteral,         // `text`
    kEngineVar,       // the engine variable named `text` ("tx.name", lower-case), `hash`
    kRequestVar,      // the first element of request collection `var` named `text` (any case)
    kScalar,          // request scalar `var`
    kMatchedVar,      // MATCHED_VAR
    kMatchedVarName,  // MATCHED_VAR_NAME
    kRuleId,          // %{rule.id}, %{rule.msg}, ... of the rule being evaluated
    kRuleMsg,
    kRuleLogdata,
    kRuleSeverity,
  };
  Kind kind = Kind::kLiteral;
  Var var = Var::kArgs;
  std::string text;
  uint64_t hash = 0;
  // kEngineVar naming capture variable tx.N: N, its pin in the evaluation's VarTable (which
  // Engine::evaluate pins as kCaptureVars, before any rule runs); otherwise -1.
  int8_t pin = -1;
};
struct Macro {
  std::vector<MacroPart> parts;  // a reference to nothing (%{unknown}) has no part
  bool dynamic = false;          // holds a reference; otherwise the text is literal()
  std::string_view literal() const {
    return parts.empty() ? std::string_view() : std::string_view(parts[0].text);
  }
};
Macro compileMacro(std::string_view text);

// A setvar action, compiled.
struct CSetVar {
  SetVar::Op op = SetVar::Op::kSet;
  std::string collection;  // "tx", ...
  std::string key;         // "tx.name" lower-case when the name holds no macro; else ""
  uint64_t hash = 0;       // VarTable hash of `key`
  Macro name, value;
  // The name is built from the match (tx.header_name_%{tx.0}): the setvar runs once per matched
  // value, with that value's captures, as libmodsecurity runs a rule's setvars per match.
  bool per_match = false;
};

// A ctl action, compiled.
struct CCtl {
  std::string name;  // as written ("ruleRemoveTargetById")
  Macro value;
};

// One SecRule of a chain (the head is links[0]). The fields every evaluation reads come first, so
// that evaluating a link touches few cache lines.
struct Link {
  std::vector<CTarget> targets;
  std::vector<CTarget> excludes;          // !VAR:key from the rule, updates and exclusions
  std::unique_ptr<CompiledOperator> cop;  // null: unsupported operator, never matches
  int chain = 0;                          // index into Impl::chains
  // Links with the same targets and exclusions share an id (Impl::target_set_base): the
  // elements their targets select are resolved once per request.
  int target_set = -1;
  int group_bit = -1;          // bit in the chain's MultiRegex, -1 = not grouped
  int pm_bit = -1;             // a static @pm/@pmFromFile: its bit in the chain's pm_db, -1 = none
  bool dynamic_param = false;  // cop->dynamicParam(): expand `param` per request
  bool capture = false;
  bool multi_match = false;
  bool has_per_match_setvars = false;  // a setvar name holds %{...}: run per matched value
  // The next link of the rule reads MATCHED_VARS or MATCHED_VARS_NAMES: the values this link
  // matches are kept for it (otherwise only counted).
  bool keep_matched = false;
  // @detectSQLi: its verdicts on request headers and cookies are remembered across requests
  // (Engine::Scratch::State::sqli_memo).
  bool sqli_memo = false;
  confirm::Fn confirm = nullptr;       // engine_confirm.h: set for the listed rules when enabled
  Operator op;
  // A multiMatch @rx (not negated) runs on the value and after each step: a prefilter of its
  // pattern decides first whether PCRE needs to run on a step's text. Either the literals one of
  // which every match holds (requiredLiterals: a search each), or else a Hyperscan prefilter.
  std::vector<std::string> multi_literals;
  // Per step of `transforms`: the kinds of byte that let the step make one of multi_literals
  // appear (creatingTraits, over the literals). A value holding none of the literals, whose kinds
  // of byte none of its steps can turn into one, holds none after any step: it is not transformed.
  std::vector<uint32_t> multi_creating;
  std::unique_ptr<MultiRegex> multi_prefilter;
  std::vector<Transform> transforms;  // effective chain (defaults folded, t:none applied)
  Macro param;                        // op.param, when dynamic_param
  std::vector<CSetVar> setvars;
  std::vector<CCtl> ctls;
  SourceLocation where;
};

struct CRule {
  std::vector<Link> links;
  int64_t id = 0;
  int phase = 2;
  bool removed = false;
  bool log = true;
  Disruptive disruptive = Disruptive::kPass;  // effective (block resolved)
  int status = 403;
  int skip = 0;
  std::string msg, logdata, severity;
  Macro msg_macro, logdata_macro;  // msg and logdata, compiled when the rule set is
  std::vector<std::string> tags;
  std::string skip_after;
  SourceLocation where;
};

// The TX variables Engine::evaluate reads after the rules, into the Verdict; and the per-level
// counters it adds up when the rules stopped before 949's summation. A rule that writes one of
// them has an effect even when no rule reads it.
struct VerdictVar {
  std::string_view name;
  int64_t Verdict::*field;
};
inline constexpr VerdictVar kVerdictVars[] = {
    {"tx.anomaly_score", &Verdict::anomaly_score},
    {"tx.sql_injection_score", &Verdict::sqli},
    {"tx.xss_score", &Verdict::xss},
    {"tx.rce_score", &Verdict::rce},
    {"tx.lfi_score", &Verdict::lfi},
    {"tx.rfi_score", &Verdict::rfi},
    {"tx.php_injection_score", &Verdict::php},
    {"tx.http_violation_score", &Verdict::protocol},
    {"tx.session_fixation_score", &Verdict::session},
};
inline constexpr std::string_view kLevelScoreVars[] = {
    "tx.anomaly_score_pl1", "tx.anomaly_score_pl2", "tx.anomaly_score_pl3", "tx.anomaly_score_pl4"};
// The capture variables a `capture` action sets (TX:0 the whole match, TX:1-TX:9 the groups).
inline constexpr std::string_view kCaptureVars[] = {"tx.0", "tx.1", "tx.2", "tx.3", "tx.4",
                                                    "tx.5", "tx.6", "tx.7", "tx.8", "tx.9"};

// A step of a phase's program: a rule or a marker.
//
// Most rules of the CRS are one @rx on whole request collections and a few request scalars
// (ARGS|ARGS_NAMES|REQUEST_COOKIES|...|REQUEST_FILENAME|XML:/*), and on an ordinary request
// none of their values is a candidate for the pattern (the chain's literal prefilter, see
// ChainGroup). For such a rule (`quick`, set at load) the step holds what deciding that takes:
// the chain, the pattern's bit, the collections and scalars it reads. runPhase then passes over
// the rule without reading the rule itself: walking the rule set rule by rule, link by link,
// target by target was most of the evaluator's time in the gateway, where the kernel and the
// gateway's own work evict the rule set from the caches between requests.
struct Step {
  int rule = -1;  // index into Impl::rules; kMarker, or kNoEffect: a rule whose effect nothing
                  // reads (see Engine::load), passed over (skip:N still counts it)
  static constexpr int kMarker = -1, kNoEffect = -2;
  int skip_to = -1;  // for rules with skipAfter: the step index of the marker (-1: phase end)
  // A quick step: the index into Impl::quick_sigs of what its head reads, and its pattern's bit
  // in the chain's candidates (or its @pm list's bit). -1: not quick.
  int sig = -1;
  int group_bit = -1;
  int tx = -1;  // index into Impl::tx_steps: the rule is decided on TX variables (TxStep)
};

// What the head link of quick steps reads, shared by the steps that read the same values
// through the same chain (most CRS rules read ARGS|ARGS_NAMES|REQUEST_COOKIES|... through one of
// a few chains). Per request, the union of the candidate bits (or @pm list bits) of every value
// it reads is computed once; each step then tests its own bit.
struct QuickSig {
  int chain = -1;
  bool pm = false;  // the heads are @pm lists: the union is of Entry::pm_bits
  // Bit v: Var v. Collections: read whole (or XML by path, a subset); scalars: request scalars.
  // A superset of what a rule reads is always safe (it only rejects less).
  uint64_t collections = 0;
  uint64_t scalars = 0;
  // Named elements read (REQUEST_HEADERS:User-Agent): Impl::quick_keys[keys_begin, keys_end).
  uint32_t keys_begin = 0, keys_end = 0;
  // The steps that test it. One: the step tests its own bit value by value, and stops at the
  // first value that has it; more: the union is kept for all of them.
  uint32_t steps = 0;
};

// A rule whose only effect is its match and the step's skipAfter: links that are each one
// operator with a static parameter on named TX variables or their counts, with no
// transformation, exclusion, capture, setvar or ctl, in a rule without log and with `pass`. The
// CRS evaluates ~75 of these per request at paranoia level 1: the gates at the top of every file
// (`SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 2" "...,pass,nolog,skipAfter:END-..."`), the
// exclusion templates' `&TX:crs_exclusions_drupal|TX:crs_exclusions_drupal "@eq 0"` and the
// chains of `&TX:... "@eq 0"` before the IP reputation and DoS checks. runPhase decides such a
// rule from here without reading the rule, its links or their targets.
struct TxStep {
  struct Target {
    std::string full_key;      // "tx.executing_paranoia_level"
    uint64_t hash = 0;         // its VarTable hash
    bool count = false;        // &TX:name: "1" or "0"
    std::string matched_name;  // MATCHED_VAR_NAME after a match: "TX:executing_paranoia_level"
  };
  struct Cond {
    std::vector<Target> targets;
    const CompiledOperator* cop = nullptr;
    bool negated = false;
    // cop's comparison when it is a numeric one with a static parameter (decided inline).
    CompiledOperator::Comparison comparison = CompiledOperator::Comparison::kNone;
    int64_t number = 0;
  };
  std::vector<Cond> links;  // every one must match, in order
  // Every target is a variable that no step after Impl::fixed_steps writes (no setvar names it,
  // or could name it through a macro, and it is not a capture variable), and no head reads
  // MATCHED_VAR or MATCHED_VAR_NAME before its own match: the rule decides the same on every
  // request that starts from the FixedStart, which records the decision
  // (Scratch::State::FixedStart::tx_decisions).
  bool frozen = false;
};

// A named element of a request collection read by a quick step's rule (key lower-case).
struct QuickKey {
  Var var = Var::kRequestHeaders;
  std::string key;
};

// The candidate patterns of a chain for a value: bit i = pattern i may match (one bit per
// pattern, so that the unions over a collection's values OR a few words).
struct Candidates {
  std::vector<uint64_t> words;
  void reset(size_t patterns) { words.assign((patterns + 63) / 64, 0); }
  void set(size_t i) { words[i >> 6] |= uint64_t{1} << (i & 63); }
  void setAll(size_t patterns) { words.assign((patterns + 63) / 64, ~uint64_t{0}); }
  bool test(size_t i) const {
    return (i >> 6) < words.size() && ((words[i >> 6] >> (i & 63)) & 1) != 0;
  }
  // this = o, reusing the buffer (an entry's candidates are copied from a chain's precomputed
  // sets most of the time; vector's operator= costs a call and a memmove for two words).
  [[gnu::always_inline]] void copyFrom(const Candidates& o) {
    if (words.size() != o.words.size()) {
      words = o.words;
      return;
    }
    for (size_t w = 0; w < words.size(); ++w) words[w] = o.words[w];
  }
  void add(const Candidates& o) {  // this |= o (o may be shorter)
    const size_t n = std::min(words.size(), o.words.size());
    for (size_t w = 0; w < n; ++w) words[w] |= o.words[w];
  }
};

// The static @rx patterns of the rules that share one transformation chain. A value is
// scanned once per chain for the candidate patterns:
//  - preferred: a literal prefilter. RE2's FilteredRE2 derives from each pattern the literal
//    atoms every match must contain (an and/or tree); one Hyperscan literal scan (caseless)
//    finds the atoms present in the value, and the tree gives the patterns that may match.
//    Patterns RE2 cannot read (look-arounds, back-references) or without atoms are always
//    candidates. Never a false negative: a pattern's PCRE decides on every candidate.
//    Atoms with non-ASCII bytes (where caseless literal matching could differ from the
//    regex's case folding) are not scanned for: they count as present in every value.
//  - fallback: a Hyperscan prefilter MultiRegex of the patterns (when the literal database
//    does not compile).
struct HsDbDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct ChainGroup {
  std::vector<Transform> transforms;
  int node = 0;           // its node in Impl::nodes
  std::vector<int> path;  // the nodes of its steps, first to last (path.back() == node)
  std::vector<std::string> patterns;
  std::unique_ptr<MultiRegex> multi;  // fallback (null when the literal prefilter is used)
  std::unique_ptr<re2::FilteredRE2> filter;
  std::vector<uint32_t> filter_to_pattern;  // FilteredRE2 regex id -> index in patterns
  std::vector<uint32_t> always;             // pattern indices the literal filter cannot judge
  // The patterns the literal filter passes for every value (`always` and `unfiltered`): a
  // Hyperscan prefilter of their own decides for them (bit j = pattern weak[j]); null: they are
  // candidates for every value. Only patterns at the paranoia level, of links on request values,
  // and not cheap for PCRE alone (see engine_load.cc) are in it; the others are candidates.
  std::vector<uint32_t> weak;
  // The patterns the literal filter passes for every value that are cheap for PCRE alone, of
  // links on request values at the paranoia level: no Hyperscan scan, but a value without the
  // bytes they need (WeakSet::need_bits) does not make them candidates (921140's `[\n\r]` on a
  // header).
  std::vector<uint32_t> cheap;
  // The weak and cheap patterns split by variable: a value of variable v is scanned only for the
  // weak patterns of links that read v (a header is not scanned for the patterns of the rules
  // on ARGS). weak_by_var[v] indexes weak_sets (-1: none); equal subsets share one set.
  struct WeakSet {
    std::vector<uint32_t> weak;         // pattern indices; bit j of `multi` = pattern weak[j]
    std::unique_ptr<MultiRegex> multi;  // null: did not compile (the patterns are candidates)
    std::vector<uint32_t> cheap;        // pattern indices, gated by their bytes only
    // Slot k is weak[k] for k < weak.size(), then cheap[k - weak.size()]; slot 31 stands for
    // every pattern from the 32nd on, and is always met. Two sets of bytes of each of which a
    // text must hold one for the pattern to match it: the two rarest of Regex::requiredBytes,
    // or its rarest and Regex::firstBytes. need_bits[b] has bit k when byte b is in slot k's
    // first set, bit 32 + k when in its second; need_always has both bits of a set that is not
    // known. A pattern whose bytes a text lacks is no candidate; when no weak pattern's are all
    // there, the text is not scanned.
    std::array<uint64_t, 256> need_bits{};
    uint64_t need_always = 0;
    uint32_t weak_mask = 0;  // the slots of the weak patterns
    // The fewest bytes a match of any of its weak patterns spans: a shorter text is not scanned.
    size_t min_length = 0;
    // The slots gated by the byte pairs their matches start with (Regex::firstPairs): a slot
    // whose pairs a text does not hold is not met. The pairs that start with byte `a` are the
    // pair_count[a] entries from pair_entries[pair_begin[a]]: the slots (bit k) whose matches
    // may start with `a` then a byte of `seconds`.
    struct PairEntry {
      uint32_t slots = 0;
      std::array<uint64_t, 4> seconds{};
    };
    uint32_t pair_mask = 0;
    std::array<uint8_t, 256> pair_count{};
    std::array<uint16_t, 256> pair_begin{};
    std::vector<PairEntry> pair_entries;
    // The bytes that start a pair (pair_count[a] != 0) as two tables of the byte's nibbles: a
    // starts a pair when pair_lo[a & 15] & pair_hi[a >> 4] is not 0. Each high nibble's set of
    // low nibbles has a bit of its own (one of 8); pair_simd is false when more are needed, or
    // the CPU lacks SSSE3 (then firstPairsHeld reads pair_count byte by byte).
    std::array<uint8_t, 16> pair_lo{}, pair_hi{};
    bool pair_simd = false;
  };
  std::vector<WeakSet> weak_sets;
  std::vector<int> weak_by_var;
  std::vector<std::vector<Var>> pattern_vars;  // per pattern: the variables its link reads
  std::vector<uint8_t> at_level;  // per pattern: its rule runs at the configured paranoia level
  // Per pattern: worth the weak prefilter (a request value target, not cheap for PCRE alone).
  std::vector<uint8_t> scanned;
  // Per pattern: a request value target, cheap for PCRE alone (see `cheap`).
  std::vector<uint8_t> cheap_pattern;
  std::vector<uint32_t> unfiltered;  // patterns the filter passes when no atom is found
  // The candidate vectors of `always`, and of `always` and `unfiltered` (no atom found).
  Candidates always_cand, no_atom_cand;
  std::vector<int> forced_atoms;  // non-ASCII atoms, taken as present in every value
  std::unique_ptr<hs_database_t, HsDbDeleter> atoms_db;  // null when SharedScan::atoms is used
  size_t atom_count = 0;
  std::vector<std::string> atoms;  // FilteredRE2's atoms (index = atom id), for SharedScan
  std::vector<int> atom_local;     // SharedScan atom id -> this chain's atom id, -1 = not ours
  bool active() const { return multi || filter || !always.empty(); }
};

// The transformation chains as a tree of their prefixes: node 0 is the value itself, node n
// applies `transform` to its parent's text. A value is transformed once per node it needs, so
// chains that start alike (urlDecodeUni, then lowercase or htmlEntityDecode or cmdLine...) share
// their common steps, and a step that changes nothing passes its input on without a copy.
struct TransformNode {
  int parent = -1;
  Transform transform = Transform::kNone;
};
constexpr size_t kTransformCount = static_cast<size_t>(Transform::kParityZero7bit) + 1;

// The literal atoms of every chain in one caseless Hyperscan literal database (distinct atom
// strings): a value is mostly unchanged by urlDecodeUni, htmlEntityDecode, lowercase..., so
// many chains see the very same text (the same bytes: an unchanged transform passes its input
// on), and that text is scanned for atoms once per request, the result read by every chain
// that sees it. Null when it does not compile: the chains then scan their own atoms_db.
struct SharedScan {
  std::unique_ptr<hs_database_t, HsDbDeleter> atoms;
  size_t atom_count = 0;
  size_t min_length = 0;  // the shortest atom: a shorter text holds none
  // The phrase lists of the static @pm/@pmFromFile links at the paranoia level (at most 64, bit =
  // Link::pm_bit) in one caseless Hyperscan literal database: a text is scanned once for all of
  // them, whichever chains see it, and a link's own PhraseSet runs only where its bit is set.
  // Null: no list (every link runs its PhraseSet).
  std::unique_ptr<hs_database_t, HsDbDeleter> pm;
  size_t pm_min_length = 0;  // the shortest phrase: a shorter text holds none
};

}  // namespace shipgate::managed::engine_internal

namespace shipgate::managed {

struct Engine::Impl {
  std::vector<engine_internal::CRule> rules;
  std::vector<engine_internal::Step> phases[2];  // phase 1, phase 2
  std::vector<engine_internal::ChainGroup> chains;
  std::vector<engine_internal::TransformNode> nodes;  // nodes[0]: the value itself
  // node_child[n * kTransformCount + t]: the node applying transform t to node n's output, -1 =
  // none. A value's text at a node whose steps so far changed nothing is its text at an earlier
  // node (an ancestor); the evaluator then reads the next step's output from that ancestor's
  // child with the same transform when there is one, rather than computing it again: on an
  // ordinary value most chains' leading decoders change nothing, and ten chains ending in
  // lowercase then lowercase the same text once.
  std::vector<int> node_child;
  engine_internal::SharedScan shared;
  std::vector<engine_internal::QuickSig> quick_sigs;  // see Step::sig
  std::vector<engine_internal::QuickKey> quick_keys;  // see QuickSig
  std::vector<engine_internal::TxStep> tx_steps;      // see Step::tx
  // Phase 1's first fixed_steps steps are markers and rules that do the same on every request
  // (engine_load.cc's requestIndependent: the CRS's setup and defaults, ~25 rules). The evaluator
  // runs them on a thread's first request, keeps the variables they leave (Scratch::State::
  // FixedStart) and starts later requests from there. 0: none.
  size_t fixed_steps = 0;
  int walk_memo_count = 0;  // CTarget::walk_memo numbers given
  // No head link reads MATCHED_VAR or MATCHED_VAR_NAME (a target, or a %{macro} of its
  // operator's parameter) before its own match sets them, so a TX-decided rule (TxStep) need not
  // leave them as evalRule would: nothing reads what it would leave.
  bool matched_var_unread = false;
  uint64_t serial = 0;  // unique per loaded engine: whose FixedStart a scratch holds
  // Per target set: the index of its first target's slot in Scratch::State::resolved; the last
  // element is the slot count.
  std::vector<uint32_t> target_set_base;
  std::string version;
  enum class Mode { kOn, kDetectionOnly, kOff } mode = Mode::kOn;
  size_t head_count = 0;
};

// Per thread: every per-request buffer.
struct HsScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};

struct Engine::Scratch::State {
  // One value at one TransformNode; for a node that ends a chain also the chain's candidates.
  struct Entry {
    std::string text;       // the node's output, when its transform changed its input
    std::string_view view;  // the node's output: `text`, or the parent's view, or the value
    // The node whose output `view` is: this entry's node when its transform changed its input,
    // else its parent entry's `canon` (0: the value itself).
    int canon = 0;
    Var var = Var::kArgs;   // the value's variable (from the cache key)
    bool transformed = false;
    bool scanned = false;
    bool pm_scanned = false;    // kept in the owner (below): `pm_bits` holds its text's lists
    bool traits_known = false;  // `traits` is textTraits(view)
    uint32_t traits = 0;
    uint64_t pm_bits = 0;              // SharedScan::pm's lists found in `view` (when pm_scanned)
    engine_internal::Candidates cand;  // the candidates of the chain ending at this node
    // The entry whose text `view` is: this one when its node changed its input (or it is the
    // value itself), else its parent's owner. The shared scans of a text (SharedScan) are kept
    // in its owner, so every chain's entry that sees the same text reads them once.
    Entry* owner = nullptr;
    bool atoms_done = false;  // `atoms` holds SharedScan::atoms's ids found in the text
    std::vector<int> atoms;
  };

  RequestData data;
  std::unique_ptr<MultiRegex::Scratch> hs;
  std::unique_ptr<hs_scratch_t, HsScratchDeleter> atoms_scratch;  // for ChainGroup::atoms_db
  std::vector<int> atoms, potentials;
  // The literal filter's candidates by chain and the atoms found (a chain's FilteredRE2
  // AllPotentials result, joined with its always set), kept across requests: they depend on
  // nothing else, and AllPotentials costs some 3,000 instructions a call (RE2 sizes its work
  // to the chain's whole prefilter tree). Key: the chain index and the sorted atom ids as bytes
  // (memo_key, reused). Emptied when it holds kPotentialsMemoMax entries.
  static constexpr size_t kPotentialsMemoMax = 4096;
  std::unordered_map<std::string, engine_internal::Candidates> potentials_memo;
  std::string memo_key;
  // Per (collection, chain): the union of the candidate bits of all its values (computed on
  // first use in a request), so a rule whose pattern no value can match skips the collection.
  // union_done[var * chains + chain] == generation: computed in this request.
  std::vector<uint32_t> union_done;
  uint32_t generation = 0;                   // of the request, for union_done and the tables' slots
  std::vector<engine_internal::Candidates> unions;  // same index
  // The same for the @pm bits (Entry::pm_bits).
  std::vector<uint32_t> pm_union_done;
  std::vector<uint64_t> pm_unions;
  // Per QuickSig: the union of the candidate bits (sig_cand) or @pm bits (sig_pm) of all the
  // values it reads; sig_done[i] == generation: computed in this request.
  std::vector<uint32_t> sig_done;
  std::vector<engine_internal::Candidates> sig_cand;
  std::vector<uint64_t> sig_pm;
  // @detectSQLi's verdicts on request header and cookie values, kept across requests: a client
  // sends the same User-Agent, Referer and cookies on every request, and the verdict depends on
  // the text alone. Direct-mapped by hashBytes; a slot holds its text, so a collision only
  // recomputes. Texts over kSqliMemoMaxText bytes are not kept.
  struct SqliMemo {
    std::string text;
    std::string fingerprint;  // what the operator captures on a match
    bool filled = false;
    bool verdict = false;
  };
  static constexpr size_t kSqliMemoSlots = 64, kSqliMemoMaxText = 1024;
  std::array<SqliMemo, kSqliMemoSlots> sqli_memo;
  // Per walking target (CTarget::walk_memo) and VarTable slot: whether the slot's name is in the
  // collection and selected (1), not (0), or not known yet (-1). A name keeps its slot across
  // requests, so a walk of TX tests each name once, not once per request; `layout` is the
  // table's when the slots were numbered. Kept for the engine numbered walk_serial.
  struct WalkMemo {
    uint32_t layout = 0;
    std::vector<int8_t> by_slot;
  };
  std::vector<WalkMemo> walk_memos;
  uint64_t walk_serial = 0;
  // Engine collections: "tx.name" (lower-case) -> value. TX, IP, GLOBAL, ... per transaction.
  engine_internal::VarTable vars;
  // What Impl::fixed_steps leave, recorded when a request first ran past them (for the engine
  // numbered `serial`): the live variables, MATCHED_VAR(_NAME), and the step to go on from.
  // `usable` is false when they gave a verdict (a log line, a disruptive action, an allow):
  // every request then runs them.
  struct FixedStart {
    uint64_t serial = 0;  // 0: not recorded
    bool usable = false;
    struct Var {
      std::string key, value;
      uint64_t hash = 0;
      uint32_t slot = 0;  // its VarTable slot number, while the table's layout is `layout`
    };
    std::vector<Var> vars;
    uint32_t layout = 0;
    std::string matched_var, matched_var_name;
    size_t resume = 0;
    // Per TxStep: its decision (0 or 1) when it is frozen, else -1.
    std::vector<int8_t> tx_decisions;
  } fixed;
  // A slot of the open-addressing tables below: empty unless gen == generation (the tables are
  // not cleared per request; resetCache() starts a new generation).
  struct Slot {
    uint64_t key = 0;
    uint32_t index = 0;
    uint32_t gen = 0;
  };
  // Value cache: an Entry per (value, TransformNode). A request's values are numbered
  // (value_base[var] + element index; one number per scalar variable). When the values times
  // the nodes fit kDenseMax, the entry of value v at node n is found at dense[v * node_count +
  // n] ((generation << 32) | entries index); a larger request keys the open-addressing `table`
  // by (value, node) instead.
  static constexpr size_t kDenseMax = size_t{1} << 20;
  std::vector<uint32_t> value_base;
  size_t node_count = 0;
  bool dense_on = false;
  std::vector<uint64_t> dense;
  std::vector<Slot> table;
  std::vector<std::unique_ptr<Entry>> entries;
  size_t used = 0;
  // Numbers the request's values (value_base) and readies the dense table for `nodes` nodes.
  void numberValues(size_t nodes);
  Entry& denseEntry(size_t slot);
  Entry& newEntry();
  [[gnu::noinline]] void addEntry();  // grows `entries` by one (rarely: they are kept)
  // Per-request ctl state.
  std::vector<IdRange> removed_ids;
  std::vector<std::string> removed_tags;
  struct TargetRemoval {
    std::vector<IdRange> ids;
    std::string tag;
    engine_internal::CTarget target;
  };
  std::vector<TargetRemoval> removed_targets;
  bool detection_only = false;
  // Matched variables of the current link and the previous one (for MATCHED_VARS).
  // The first matched_n / prev_matched_n pairs are live; the rest keep their buffers.
  std::vector<std::pair<std::string, std::string>> matched, prev_matched;
  size_t matched_n = 0, prev_matched_n = 0;
  std::string matched_var, matched_var_name;
  Captures captures;
  std::string tmp1, tmp2, tmp3, expand_buf, setvar_name, setvar_value, tx_value, param_buf;
  // The variables a /regex/ selector picks from TX (or another engine collection), copied before
  // they are matched; the first engine_items_n are live, the rest keep their buffers.
  std::vector<std::pair<std::string, std::string>> engine_items;
  size_t engine_items_n = 0;
  std::vector<uint8_t> cand_tmp;
  // Per (target set, target): the elements selected, as a range of resolved_pool; {-1, -1} =
  // not yet resolved in this request.
  std::vector<std::pair<uint32_t, uint32_t>> resolved;
  std::vector<uint32_t> resolved_pool;

  Entry& lookup(uint64_t key);
  void resetCache();
};

}  // namespace shipgate::managed
