// Private to the engine: the compiled form of a rule set (engine_load.cc builds it,
// engine_eval.cc runs it) and the per-thread Scratch.
#pragma once

#include <hs/hs.h>
#include <re2/filtered_re2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine_confirm.h"
#include "shipgate/managed/engine.h"
#include "shipgate/managed/operators.h"
#include "shipgate/managed/request_data.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::managed::engine_internal {

// One target of a compiled rule link (or one exclusion from it).
struct CTarget {
  Var var = Var::kArgs;
  std::string key;            // lower-case selector; "" = every element
  std::shared_ptr<Regex> re;  // selector /regex/ (case-insensitive)
  bool count = false;         // &VAR
};

// One SecRule of a chain (the head is links[0]).
struct Link {
  SourceLocation where;
  std::vector<CTarget> targets;
  std::vector<CTarget> excludes;  // !VAR:key from the rule, updates and exclusions
  Operator op;
  std::unique_ptr<CompiledOperator> cop;  // null: unsupported operator, never matches
  std::vector<Transform> transforms;      // effective chain (defaults folded, t:none applied)
  int chain = 0;                          // index into Impl::chains
  int group_bit = -1;                     // bit in the chain's MultiRegex, -1 = not grouped
  bool capture = false;
  bool multi_match = false;
  std::vector<SetVar> setvars;
  bool has_per_match_setvars = false;  // a setvar name holds %{...}: run per matched value
  std::vector<Ctl> ctls;
  confirm::Fn confirm = nullptr;  // engine_confirm.h: set for the listed rules when enabled
};

struct CRule {
  int64_t id = 0;
  int phase = 2;
  bool removed = false;
  std::vector<Link> links;
  Disruptive disruptive = Disruptive::kPass;  // effective (block resolved)
  int status = 403;
  bool log = true;
  std::string msg, logdata, severity;
  std::vector<std::string> tags;
  std::string skip_after;
  int skip = 0;
  SourceLocation where;
};

// A step of a phase's program: a rule or a marker.
struct Step {
  int rule = -1;     // index into Impl::rules; -1 = marker
  int skip_to = -1;  // for rules with skipAfter: the step index of the marker (-1: phase end)
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
  std::vector<std::string> patterns;
  std::unique_ptr<MultiRegex> multi;  // fallback (null when the literal prefilter is used)
  std::unique_ptr<re2::FilteredRE2> filter;
  std::vector<uint32_t> filter_to_pattern;  // FilteredRE2 regex id -> index in patterns
  std::vector<uint32_t> always;             // pattern indices the literal filter cannot judge
  // The patterns the literal filter passes for every value (`always` and `unfiltered`): a
  // Hyperscan prefilter of their own decides for them (bit j = pattern weak[j]); null: they are
  // candidates for every value.
  std::vector<uint32_t> weak;
  std::vector<uint8_t> at_level;  // per pattern: its rule runs at the configured paranoia level
  std::unique_ptr<MultiRegex> weak_multi;
  std::vector<uint32_t> unfiltered;         // patterns the filter passes when no atom is found
  std::vector<int> forced_atoms;            // non-ASCII atoms, taken as present in every value
  std::unique_ptr<hs_database_t, HsDbDeleter> atoms_db;
  size_t atom_count = 0;
  bool active() const { return multi || filter || !always.empty(); }
};

}  // namespace shipgate::managed::engine_internal

namespace shipgate::managed {

struct Engine::Impl {
  std::vector<engine_internal::CRule> rules;
  std::vector<engine_internal::Step> phases[2];  // phase 1, phase 2
  std::vector<engine_internal::ChainGroup> chains;
  std::string version;
  enum class Mode { kOn, kDetectionOnly, kOff } mode = Mode::kOn;
  size_t head_count = 0;
};

// Per thread: every per-request buffer.
struct HsScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};

struct Engine::Scratch::State {
  struct Entry {
    std::string text;       // transformed value (unused when identity)
    bool identity = false;  // chain is empty: the text is the value itself
    bool transformed = false;
    bool scanned = false;
    std::vector<uint8_t> cand;  // MultiRegex candidates for the chain
  };

  RequestData data;
  std::unique_ptr<MultiRegex::Scratch> hs;
  std::unique_ptr<hs_scratch_t, HsScratchDeleter> atoms_scratch;  // for ChainGroup::atoms_db
  std::vector<int> atoms, potentials;
  // Per (collection, chain): the union of the candidate bits of all its values (computed on
  // first use in a request), so a rule whose pattern no value can match skips the collection.
  std::vector<uint8_t> union_done;           // [var * chains + chain]
  std::vector<std::vector<uint8_t>> unions;  // same index
  // Engine collections: "tx.name" (lower-case) -> value. TX, IP, GLOBAL, ... per transaction.
  std::unordered_map<std::string, std::string> vars;
  // Value cache: key (var, element index, chain) -> entry index.
  std::vector<std::pair<uint64_t, uint32_t>> table;  // open addressing; key 0 = empty
  std::vector<std::unique_ptr<Entry>> entries;
  size_t used = 0;
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
  std::vector<std::pair<std::string, std::string>> matched, prev_matched;
  std::string matched_var, matched_var_name;
  Captures captures;
  std::string tmp1, tmp2, tmp3, expand_buf;
  std::vector<uint8_t> cand_tmp;
  std::string name_buf;

  Entry& lookup(uint64_t key);
  void resetCache();
};

}  // namespace shipgate::managed
