// Engine::load: reads the rule files in the order engine.h states, applies the removal and
// update directives and the configured exclusions, compiles operators and the per-chain
// MultiRegex groups.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine_impl.h"
#include "shipgate/common/strings.h"

namespace shipgate::managed {

using engine_internal::CCtl;
using engine_internal::ChainGroup;
using engine_internal::compileMacro;
using engine_internal::CRule;
using engine_internal::CSetVar;
using engine_internal::CTarget;
using engine_internal::isEngineCollection;
using engine_internal::isRequestCollection;
using engine_internal::isRequestScalar;
using engine_internal::Link;
using engine_internal::requiredLiterals;
using engine_internal::Step;

namespace engine_internal {

Status compileSelectorRegex(std::string_view pattern, CTarget& t) {
  t.re_text = std::string(pattern);
  t.re.reset();
  t.literal = CTarget::Literal::kNone;
  t.literal_text.clear();
  std::string_view body = pattern;
  bool anchored_start = !body.empty() && body.front() == '^';
  if (anchored_start) body.remove_prefix(1);
  bool anchored_end = !body.empty() && body.back() == '$';
  if (anchored_end) body.remove_suffix(1);
  // An atom repeated zero or more times at an unanchored end can match nothing, so it does not
  // change which names match: /paramcounter_.*/ and 922's /MULTIPART_HEADERS_CONTENT_TYPES_*/
  // select the names that contain the rest. (A stripped escape leaves a backslash: not plain.)
  if (!anchored_end)
    while (body.size() >= 2 && body.back() == '*' && body[body.size() - 2] != '*')
      body.remove_suffix(2);
  if (!anchored_start && body.size() >= 2 && body.substr(0, 2) == ".*") body.remove_prefix(2);
  // Printable ASCII without a metacharacter: PCRE's caseless match is then ASCII case folding.
  bool plain = !body.empty() && std::all_of(body.begin(), body.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7f && std::string_view("\\^$.|?*+()[]{}#").find(ch) ==
                                       std::string_view::npos;
  });
  if (plain) {
    t.literal = anchored_start ? (anchored_end ? CTarget::Literal::kExact : CTarget::Literal::kPrefix)
                               : (anchored_end ? CTarget::Literal::kSuffix
                                               : CTarget::Literal::kContains);
    t.literal_text = asciiLowerCopy(body);
    return Status::success();
  }
  auto re = Regex::compile("(?i)" + std::string(pattern));
  if (!re)
    return Status::invalidArgument("bad selector regex /" + std::string(pattern) +
                                   "/: " + re.status().message());
  t.re = std::shared_ptr<Regex>(std::move(re).value().release());
  return Status::success();
}

bool selectorMatchesSlow(const CTarget& t, std::string_view name) {
  using L = CTarget::Literal;
  if (t.literal != L::kNone) {
    std::string_view lit = t.literal_text;
    // Regex::compile sets PCRE2_DOLLAR_ENDONLY (as ModSecurity does): $ is the subject's end.
    switch (t.literal) {
      case L::kContains: return containsLowerNeedle(name, lit);
      case L::kPrefix: return startsWithIgnoreCase(name, lit);
      case L::kSuffix:
        return name.size() >= lit.size() &&
               equalsIgnoreCase(name.substr(name.size() - lit.size()), lit);
      case L::kExact: return equalsIgnoreCase(name, lit);
      case L::kNone: break;
    }
  }
  if (t.re) return t.re->match(name);
  if (t.key.empty()) return true;
  return equalsIgnoreCase(t.key, name);
}

}  // namespace engine_internal

namespace {

// A weak or cheap pattern is gated by the byte pairs its matches start with only when at most
// this many bytes can start one (Regex::firstPairs): with more, most texts hold a pair.
constexpr size_t kPairGateFirstBytes = 16;

// Fills ws.pair_lo and pair_hi from pair_count (see WeakSet): false when the bytes that start a
// pair need more than eight sets of low nibbles, or the CPU cannot shuffle bytes (SSSE3).
bool pairNibbleTables(ChainGroup::WeakSet& ws) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("ssse3")) return false;
  std::array<uint16_t, 16> lows{};  // per high nibble: its low nibbles that start a pair
  for (size_t a = 0; a < 256; ++a)
    if (ws.pair_count[a] != 0) lows[a >> 4] |= static_cast<uint16_t>(1u << (a & 15));
  std::vector<uint16_t> buckets;
  for (size_t h = 0; h < 16; ++h) {
    if (lows[h] == 0) continue;
    auto it = std::find(buckets.begin(), buckets.end(), lows[h]);
    if (it == buckets.end()) {
      if (buckets.size() == 8) return false;
      it = buckets.insert(buckets.end(), lows[h]);
    }
    const auto bit = static_cast<uint8_t>(1u << (it - buckets.begin()));
    ws.pair_hi[h] |= bit;
    for (size_t l = 0; l < 16; ++l)
      if ((lows[h] >> l) & 1) ws.pair_lo[l] |= bit;
  }
  return true;
#else
  (void)ws;
  return false;
#endif
}

Result<CTarget> compileTarget(const Target& t) {
  CTarget c;
  c.var = t.var;
  c.count = t.count;
  if (t.var == Var::kXml) return c;  // XML:/* and any XPath select every XML element
  if (t.selector_is_regex) {
    if (Status st = engine_internal::compileSelectorRegex(t.selector, c); !st.isOk()) return st;
  } else {
    c.key = asciiLowerCopy(t.selector);
    c.full_key = asciiLowerCopy(varName(t.var)) + "." + c.key;
    c.full_key_hash = engine_internal::VarTable::hash(c.full_key);
  }
  return c;
}

struct Pending {
  const Directive* d;
};

struct Loader {
  const CrsSettings& s;
  std::vector<std::string>* report;
  std::vector<std::vector<Directive>> parsed;  // keeps directives alive
  std::optional<Actions> defaults[6];
  std::map<int64_t, size_t> by_id;
  std::vector<CRule> rules;
  // Raw per-rule data needed until compile: the Rule* of every link.
  std::vector<std::vector<const Rule*>> raw_links;
  std::vector<std::vector<Target>> extra_targets;   // per rule: added by UpdateTarget (head)
  std::vector<std::vector<Target>> extra_excludes;  // per rule: "!" targets
  std::vector<const Directive*> pending;
  std::vector<std::pair<int, std::string>> markers;  // (order index, name) interleaved below
  struct Order {
    bool marker;
    size_t index;
    std::string name;
  };
  std::vector<Order> order;
  std::string version;
  Engine::Impl::Mode mode = Engine::Impl::Mode::kOn;
  bool reported_persistent = false;
  size_t response_rules = 0;
};

Status readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ioError(path + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return Status::success();
}

// Folds SecDefaultAction's transforms with the rule's own (t:none clears).
std::vector<Transform> foldTransforms(const Actions* defaults, const Actions& a) {
  std::vector<Transform> out;
  if (defaults) {
    for (Transform t : defaults->transforms) {
      if (t == Transform::kNone)
        out.clear();
      else
        out.push_back(t);
    }
  }
  for (Transform t : a.transforms) {
    if (t == Transform::kNone)
      out.clear();
    else
      out.push_back(t);
  }
  return out;
}

Status addRule(Loader& L, const Directive& d) {
  const Rule& r = *d.rule;
  const Actions& a = r.actions;
  int phase = a.phase.value_or(2);
  CRule c;
  c.where = d.where;
  c.id = a.id.value_or(0);
  c.phase = phase;
  const Actions* def =
      (phase >= 1 && phase <= 5 && L.defaults[phase]) ? &*L.defaults[phase] : nullptr;
  Disruptive dd = def ? def->disruptive : Disruptive::kPass;
  if (dd == Disruptive::kNone || dd == Disruptive::kBlock) dd = Disruptive::kPass;
  Disruptive rd = a.disruptive;
  if (rd == Disruptive::kNone || rd == Disruptive::kBlock) rd = dd;
  c.disruptive = rd;
  c.status = a.status.value_or(def && def->status ? *def->status : 403);
  bool log = true;
  if (def && def->log) log = *def->log;
  if (a.log) log = *a.log;
  c.log = log;
  c.msg = a.msg;
  c.logdata = a.logdata;
  c.severity = a.severity.value_or("");
  c.tags = a.tags;
  c.skip_after = a.skip_after;
  c.skip = a.skip;
  std::vector<const Rule*> links;
  for (const Rule* link = &r; link; link = link->chained.get()) links.push_back(link);
  for (const Rule* link : links) {
    for (const SetVar& sv : link->actions.setvars) {
      if (sv.collection != "tx" && !L.reported_persistent && L.report) {
        L.report->push_back(d.where.toString() + ": setvar on collection " + sv.collection +
                            " is kept per transaction (persistent collections are not stored)");
        L.reported_persistent = true;
      }
    }
  }
  if (c.id != 0) {
    auto it = L.by_id.find(c.id);
    if (it != L.by_id.end()) {
      CRule& prev = L.rules[it->second];
      if (prev.where.file == "shipgate-settings") return Status::success();  // ours wins
      if (d.where.file == "shipgate-settings") {
        prev.removed = true;  // the setup file set it too: shipgate's config wins
        L.by_id.erase(it);
      } else {
        return Status::invalidArgument(d.where.toString() + ": duplicate rule id " +
                                       std::to_string(c.id) + " (first at " +
                                       prev.where.toString() + ")");
      }
    }
  }
  if (phase > 2) {
    ++L.response_rules;
    return Status::success();
  }
  size_t index = L.rules.size();
  if (c.id != 0) L.by_id[c.id] = index;
  L.rules.push_back(std::move(c));
  L.raw_links.push_back(std::move(links));
  L.extra_targets.emplace_back();
  L.extra_excludes.emplace_back();
  L.order.push_back({false, index, {}});
  return Status::success();
}

bool matchesIds(const std::vector<IdRange>& ids, int64_t id) {
  for (const IdRange& r : ids)
    if (r.contains(id)) return true;
  return false;
}

void mergeActions(CRule& c, const Actions& u, const Actions* def) {
  if (u.disruptive != Disruptive::kNone) {
    Disruptive dd = def ? def->disruptive : Disruptive::kPass;
    if (dd == Disruptive::kNone || dd == Disruptive::kBlock) dd = Disruptive::kPass;
    c.disruptive = u.disruptive == Disruptive::kBlock ? dd : u.disruptive;
  }
  if (u.status) c.status = *u.status;
  if (u.log) c.log = *u.log;
  if (!u.msg.empty()) c.msg = u.msg;
  if (!u.logdata.empty()) c.logdata = u.logdata;
  if (u.severity) c.severity = *u.severity;
  for (const auto& t : u.tags) c.tags.push_back(t);
  if (!u.skip_after.empty()) c.skip_after = u.skip_after;
}

// Hyperscan's caseless matching folds ASCII letters only, as the PCREs (no UTF mode, C tables)
// do. An atom with Latin-1 letters (which RE2 may have lower-cased) is scanned in every case
// variant of those letters under the atom's id; one with too many such letters is not scanned
// for (add() returns false): it counts as present in every value (the and/or tree has no
// negation, so an atom wrongly taken as present only adds candidates, never loses a match).
class LiteralSet {
 public:
  bool add(const std::string& atom, unsigned id) {
    std::vector<size_t> letters;
    for (size_t k = 0; k < atom.size(); ++k)
      if (latin1Letter(static_cast<unsigned char>(atom[k]))) letters.push_back(k);
    if (letters.size() > 6) return false;
    for (unsigned mask = 0; mask < (1u << letters.size()); ++mask) {
      std::string v = atom;
      for (size_t b = 0; b < letters.size(); ++b)
        if (mask & (1u << b)) v[letters[b]] = static_cast<char>(v[letters[b]] ^ 0x20);
      items_.emplace_back(std::move(v), id);
    }
    return true;
  }
  bool empty() const { return items_.empty(); }
  // A caseless single-match literal database of the added atoms; null when it does not compile.
  hs_database_t* compile() const {
    std::vector<const char*> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> ids;
    for (const auto& [text, id] : items_) {
      exprs.push_back(text.data());
      lens.push_back(text.size());
      ids.push_back(id);
    }
    std::vector<unsigned> flags(exprs.size(), HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                             &err) != HS_SUCCESS) {
      if (err) hs_free_compile_error(err);
      return nullptr;
    }
    return db;
  }

 private:
  static bool latin1Letter(unsigned char c) {
    return c >= 0xC0 && c != 0xD7 && c != 0xF7 && c != 0xDF && c != 0xFF;
  }
  std::vector<std::pair<std::string, unsigned>> items_;
};

// SharedScan::pm: the phrase lists (bit = index) in one caseless literal database, as PhraseSet
// compiles one list, reporting each list once. Leaves it null when there is no phrase or it does
// not compile (every link then runs its own PhraseSet).
void buildSharedPhrases(const std::vector<const std::vector<std::string>*>& lists,
                        engine_internal::SharedScan& shared, std::vector<std::string>* report) {
  std::vector<const char*> exprs;
  std::vector<size_t> lens;
  std::vector<unsigned> ids;
  for (size_t b = 0; b < lists.size(); ++b)
    for (const std::string& ph : *lists[b]) {
      if (ph.empty()) continue;
      exprs.push_back(ph.data());
      lens.push_back(ph.size());
      ids.push_back(static_cast<unsigned>(b));
    }
  if (exprs.empty()) return;
  shared.pm_min_length = *std::min_element(lens.begin(), lens.end());
  std::vector<unsigned> flags(exprs.size(), HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) == HS_SUCCESS) {
    shared.pm.reset(db);
    return;
  }
  hs_free_compile_error(err);
  if (report) report->push_back("the @pm lists failed to compile together: each runs alone");
}

// One database of every literal-filtered chain's scanned atoms (see SharedScan). Leaves
// shared.atoms null when it does not compile (each chain then scans its own).
void buildSharedAtoms(std::vector<ChainGroup>& chains, engine_internal::SharedScan& shared) {
  std::map<std::string, unsigned> ids;
  LiteralSet lits;
  for (ChainGroup& g : chains) {
    if (!g.atoms_db) continue;
    for (size_t i = 0; i < g.atoms.size(); ++i) {
      if (std::find(g.forced_atoms.begin(), g.forced_atoms.end(), static_cast<int>(i)) !=
          g.forced_atoms.end())
        continue;
      auto [it, inserted] = ids.emplace(g.atoms[i], static_cast<unsigned>(ids.size()));
      if (inserted) lits.add(it->first, it->second);
    }
  }
  if (lits.empty()) return;
  hs_database_t* db = lits.compile();
  if (!db) return;
  shared.atoms.reset(db);
  shared.atom_count = ids.size();
  shared.min_length = SIZE_MAX;
  for (const auto& [atom, id] : ids) shared.min_length = std::min(shared.min_length, atom.size());
  for (ChainGroup& g : chains) {
    if (!g.atoms_db) continue;
    g.atom_local.assign(ids.size(), -1);
    for (size_t i = 0; i < g.atoms.size(); ++i) {
      auto it = ids.find(g.atoms[i]);
      if (it != ids.end() && std::find(g.forced_atoms.begin(), g.forced_atoms.end(),
                                       static_cast<int>(i)) == g.forced_atoms.end())
        g.atom_local[it->second] = static_cast<int>(i);
    }
    g.atoms_db.reset();
  }
}

// Whether a link reads a request value the engine caches per chain (a request collection or
// scalar, not a count): only for those is a value scanned for the chain's candidates.
bool scannedTargets(const std::vector<CTarget>& targets) {
  for (const CTarget& t : targets) {
    if (t.count || isEngineCollection(t.var)) continue;
    switch (t.var) {
      case Var::kMatchedVar:
      case Var::kMatchedVars:
      case Var::kMatchedVarName:
      case Var::kMatchedVarsNames:
      case Var::kRule:
      case Var::kGeo:
      case Var::kEnv:
      case Var::kDuration:
        continue;
      default:
        return true;
    }
  }
  return false;
}

// A pattern PCRE rejects about as fast as a prefilter would: anchored at the start ("^0$",
// "^[\d.:]+$": one attempt) or short ("\x25", "[\n\r]": a first-byte search). Such a
// pattern stays out of the weak prefilter (ChainGroup::weak), whose scan of every value costs
// more than running it on the values of its own targets.
bool cheapForPcre(std::string_view p) {
  if (p.rfind("(?i)", 0) == 0) p.remove_prefix(4);
  if (!p.empty() && p[0] == '^') return true;
  return p.size() <= 12;
}

RE2::Options prefilterOptions() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);  // bytes, as the PCREs (no UTF mode) see them
  o.set_dot_nl(true);
  o.set_log_errors(false);
  o.set_max_mem(16 << 20);
  return o;
}

}  // namespace

namespace engine_internal {

std::vector<std::string> requiredLiterals(const std::string& pattern) {
  re2::FilteredRE2 f(2);
  int id = -1;
  if (f.Add(pattern, prefilterOptions(), &id) != RE2::NoError || id < 0) return {};
  std::vector<std::string> atoms;
  f.Compile(&atoms);
  if (atoms.empty() || atoms.size() > 4) return {};
  for (const std::string& a : atoms)
    for (char c : a)
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return {};
  std::vector<int> passed;
  f.AllPotentials({}, &passed);
  if (!passed.empty()) return {};  // passes with no atom at all
  for (int a = 0; a < static_cast<int>(atoms.size()); ++a) {
    passed.clear();
    f.AllPotentials({a}, &passed);
    if (passed.empty()) return {};  // this atom alone is not enough: not a plain "any of"
  }
  return atoms;
}

}  // namespace engine_internal

namespace {

// Whether a macro reads only the engine's own variables (TX and the per-transaction
// collections) and the match state, not the request.
bool macroIndependent(const engine_internal::Macro& m) {
  using K = engine_internal::MacroPart::Kind;
  for (const auto& part : m.parts)
    if (part.kind == K::kRequestVar || part.kind == K::kScalar) return false;
  return true;
}

// Whether a rule does the same on every request, given the same variables before it: it reads
// only TX and the per-transaction collections (or nothing: SecAction), its operator is a pure
// function of its input, and it does not change the engine (ctl). The CRS's setup and
// initialisation rules (900xxx, most of 901xxx) are such rules. (One that logs or disrupts is
// too; the evaluator keeps no snapshot when one of them matched.)
bool requestIndependent(const CRule& r) {
  for (const Link& l : r.links) {
    if (!l.cop || !l.ctls.empty() || !l.excludes.empty() || l.confirm != nullptr) return false;
    static const std::set<std::string, std::less<>> kPure = {"rx",
                                                             "pm",
                                                             "streq",
                                                             "contains",
                                                             "beginswith",
                                                             "endswith",
                                                             "within",
                                                             "eq",
                                                             "ge",
                                                             "gt",
                                                             "le",
                                                             "lt",
                                                             "unconditionalmatch",
                                                             "nomatch",
                                                             "containsword",
                                                             "strmatch"};
    if (kPure.count(l.cop->name()) == 0) return false;
    if (l.dynamic_param && !macroIndependent(l.param)) return false;
    for (const CTarget& t : l.targets)
      if (!isEngineCollection(t.var)) return false;
    for (const auto& sv : l.setvars)
      if (!macroIndependent(sv.name) || !macroIndependent(sv.value)) return false;
  }
  return true;
}

// Marks Step::kNoEffect the rules whose only effect is to set TX variables that nothing reads:
// no rule's target or %{macro} names them and the Verdict is not made of them. The CRS has one
// on every request: 901318 hashes the User-Agent (t:sha1,t:hexEncode) into tx.ua_hash, which
// only initcol reads, an action this engine does not run. Such a rule passes, logs nothing,
// captures nothing and has no chain, ctl, skip or skipAfter. It also leaves MATCHED_VAR and
// MATCHED_VAR_NAME set, so no head may read them (Impl::matched_var_unread, set first by
// matchedVarUnread). Returns the number of rules marked.
size_t markRulesWithoutEffect(Engine::Impl& impl) {
  if (!impl.matched_var_unread) return 0;
  std::set<std::string, std::less<>> read;       // "tx.name", lower-case
  std::vector<const CTarget*> read_by_selector;  // TX:/regex/
  bool all_read = false;                         // a rule reads TX whole
  for (const engine_internal::VerdictVar& v : engine_internal::kVerdictVars) read.emplace(v.name);
  for (std::string_view name : engine_internal::kLevelScoreVars) read.emplace(name);
  auto macro = [&](const engine_internal::Macro& m) {
    for (const auto& part : m.parts)
      if (part.kind == engine_internal::MacroPart::Kind::kEngineVar) read.insert(part.text);
  };
  for (const CRule& r : impl.rules) {
    if (r.removed) continue;
    macro(r.msg_macro);
    macro(r.logdata_macro);
    for (size_t k = 0; k < r.links.size(); ++k) {
      const Link& l = r.links[k];
      for (const CTarget& t : l.targets) {
        if (t.var != Var::kTx) continue;
        if (t.isRegex()) {
          read_by_selector.push_back(&t);
        } else if (t.key.empty()) {
          all_read = true;
        } else {
          read.insert(t.full_key);
        }
      }
      if (l.dynamic_param) macro(l.param);
      for (const auto& sv : l.setvars) {
        macro(sv.name);
        macro(sv.value);
      }
      for (const auto& c : l.ctls) macro(c.value);
    }
  }
  if (all_read) return 0;
  size_t marked = 0;
  for (auto& ph : impl.phases) {
    for (Step& st : ph) {
      if (st.rule < 0) continue;
      const CRule& r = impl.rules[static_cast<size_t>(st.rule)];
      if (r.log || r.disruptive != Disruptive::kPass || r.skip != 0 || !r.skip_after.empty() ||
          r.links.size() != 1)
        continue;
      const Link& l = r.links[0];
      if (l.capture || !l.ctls.empty() || l.setvars.empty() || l.confirm != nullptr) continue;
      bool dead = true;
      for (const auto& sv : l.setvars) {
        if (sv.collection != "tx" || sv.key.empty() || sv.per_match || read.count(sv.key) != 0) {
          dead = false;
          break;
        }
        const std::string_view name = std::string_view(sv.key).substr(3);  // after "tx."
        for (const CTarget* t : read_by_selector) dead = dead && !selectorMatches(*t, name);
        if (!dead) break;
      }
      if (!dead) continue;
      st.rule = Step::kNoEffect;
      ++marked;
    }
  }
  return marked;
}

// Whether no head link reads MATCHED_VAR or MATCHED_VAR_NAME before its own match sets them:
// as a target, or through a %{macro} of its operator's parameter (see Impl::matched_var_unread).
bool matchedVarUnread(const Engine::Impl& impl) {
  using K = engine_internal::MacroPart::Kind;
  for (const CRule& r : impl.rules) {
    if (r.links.empty()) continue;
    const Link& head = r.links[0];
    for (const CTarget& t : head.targets)
      if (t.var == Var::kMatchedVar || t.var == Var::kMatchedVarName) return false;
    if (head.dynamic_param)
      for (const auto& part : head.param.parts)
        if (part.kind == K::kMatchedVar || part.kind == K::kMatchedVarName) return false;
  }
  return true;
}

// Marks TxStep::frozen (see there); needs Impl::matched_var_unread and Impl::fixed_steps. A
// variable counts as written after the fixed start when a setvar of a step outside
// Impl::fixed_steps (any phase) names it, or names it through a macro (tx.header_name_%{tx.0}:
// every name with the literal start "tx.header_name_"), or when it is a capture variable. A step
// the evaluator passes over (Step::kNoEffect) writes only variables no rule reads. Returns the
// number marked.
size_t markFrozenTxSteps(Engine::Impl& impl) {
  if (!impl.matched_var_unread || impl.fixed_steps == 0) return 0;
  auto later_steps = [&](auto&& f) {
    for (size_t p = 0; p < std::size(impl.phases); ++p) {
      const auto& steps = impl.phases[p];
      for (size_t i = p == 0 ? impl.fixed_steps : 0; i < steps.size(); ++i) f(steps[i]);
    }
  };
  std::set<std::string, std::less<>> written(std::begin(engine_internal::kCaptureVars),
                                             std::end(engine_internal::kCaptureVars));
  std::vector<std::string> written_prefixes;
  later_steps([&](const Step& st) {
    if (st.rule < 0) return;
    for (const Link& l : impl.rules[static_cast<size_t>(st.rule)].links) {
      for (const CSetVar& sv : l.setvars) {
        if (!sv.key.empty()) {
          written.insert(sv.key);
          continue;
        }
        std::string prefix = sv.collection + ".";
        if (!sv.name.parts.empty() &&
            sv.name.parts[0].kind == engine_internal::MacroPart::Kind::kLiteral)
          prefix += asciiLowerCopy(sv.name.parts[0].text);
        written_prefixes.push_back(std::move(prefix));
      }
    }
  });
  auto is_written = [&](std::string_view key) {
    if (written.count(key) != 0) return true;
    for (const std::string& p : written_prefixes)
      if (key.substr(0, p.size()) == p) return true;
    return false;
  };
  size_t marked = 0;
  later_steps([&](const Step& st) {
    if (st.tx < 0) return;
    engine_internal::TxStep& x = impl.tx_steps[static_cast<size_t>(st.tx)];
    bool frozen = true;
    for (const auto& c : x.links)
      for (const auto& t : c.targets) frozen = frozen && !is_written(t.full_key);
    if (frozen && !x.frozen) {
      x.frozen = true;
      ++marked;
    }
  });
  return marked;
}

// The literal prefilter of a chain's patterns (see ChainGroup). False when it cannot be used.
bool buildLiteralFilter(ChainGroup& g) {
  auto f = std::make_unique<re2::FilteredRE2>(3);
  const RE2::Options o = prefilterOptions();
  std::vector<uint32_t> map, always;
  for (uint32_t i = 0; i < g.patterns.size(); ++i) {
    int id = -1;
    if (f->Add(g.patterns[i], o, &id) == RE2::NoError && id >= 0) {
      if (map.size() <= static_cast<size_t>(id)) map.resize(id + 1);
      map[id] = i;
    } else {
      always.push_back(i);
    }
  }
  std::vector<std::string> atoms;
  if (f->NumRegexps() > 0) f->Compile(&atoms);
  std::vector<int> forced;
  LiteralSet lits;
  for (unsigned i = 0; i < atoms.size(); ++i)
    if (!lits.add(atoms[i], i)) forced.push_back(static_cast<int>(i));
  if (!lits.empty()) {
    hs_database_t* db = lits.compile();
    if (!db) return false;
    g.atoms_db.reset(db);
  }
  g.atom_count = atoms.size();
  g.forced_atoms = forced;
  g.atoms = std::move(atoms);
  if (f->NumRegexps() > 0) {
    std::vector<int> pass;
    f->AllPotentials(forced, &pass);
    for (int id : pass) g.unfiltered.push_back(map[id]);
  }
  g.filter = f->NumRegexps() > 0 ? std::move(f) : nullptr;
  g.filter_to_pattern = std::move(map);
  g.always = std::move(always);
  return true;
}

}  // namespace

Result<std::shared_ptr<const Engine>> Engine::load(const CrsSettings& s,
                                                   std::vector<std::string>* report) {
  namespace fs = std::filesystem;
  if (s.paranoia_level < 1 || s.paranoia_level > 4)
    return Status::invalidArgument("paranoia_level must be 1..4, got " +
                                   std::to_string(s.paranoia_level));
  if (s.inbound_threshold < 1)
    return Status::invalidArgument("inbound_threshold must be at least 1");
  Loader L{s, report};
  // The files, in order.
  std::vector<std::pair<std::string, std::string>> files;  // (name, text)
  auto addPath = [&](const std::string& path) -> Status {
    std::string text;
    SG_RETURN_IF_ERROR(readFile(path, text));
    files.emplace_back(fs::path(path).filename().string(), std::move(text));
    return Status::success();
  };
  if (!s.setup_file.empty()) SG_RETURN_IF_ERROR(addPath(s.setup_file));
  {
    std::string pl = std::to_string(s.paranoia_level);
    std::string gen =
        "SecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=" + pl +
        "\"\n"
        "SecAction \"id:900001,phase:1,nolog,pass,t:none,setvar:tx.executing_paranoia_level=" +
        pl +
        "\"\n"
        "SecAction \"id:900110,phase:1,nolog,pass,t:none,"
        "setvar:tx.inbound_anomaly_score_threshold=" +
        std::to_string(s.inbound_threshold) + ",setvar:tx.outbound_anomaly_score_threshold=4\"\n";
    files.emplace_back("shipgate-settings", std::move(gen));
  }
  fs::path setup_dir = s.setup_file.empty() ? fs::path() : fs::path(s.setup_file).parent_path();
  std::error_code ec;
  if (s.include_exclusion_templates && !setup_dir.empty()) {
    fs::path p = setup_dir / "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf";
    if (fs::exists(p, ec)) SG_RETURN_IF_ERROR(addPath(p.string()));
  }
  if (!s.rules_dir.empty()) {
    std::vector<std::string> confs;
    fs::directory_iterator it(s.rules_dir, ec), end;
    if (ec) return Status::ioError(s.rules_dir + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      if (it->path().extension() == ".conf") confs.push_back(it->path().string());
    }
    std::sort(confs.begin(), confs.end());
    for (const auto& c : confs) SG_RETURN_IF_ERROR(addPath(c));
  }
  if (s.include_exclusion_templates && !setup_dir.empty()) {
    fs::path p = setup_dir / "RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf";
    if (fs::exists(p, ec)) SG_RETURN_IF_ERROR(addPath(p.string()));
  }
  for (const auto& e : s.extra_files) files.push_back(e);

  // Read.
  for (const auto& [name, text] : files) {
    auto parsed = parseSecLang(text, name);
    if (!parsed) return parsed.status();
    L.parsed.push_back(std::move(parsed).value());
  }
  for (const auto& list : L.parsed) {
    for (const Directive& d : list) {
      switch (d.kind) {
        case DirectiveKind::kDefaultAction: {
          if (!d.rule) break;
          int ph = d.rule->actions.phase.value_or(2);
          if (ph >= 1 && ph <= 5) L.defaults[ph] = d.rule->actions;
          break;
        }
        case DirectiveKind::kRule:
        case DirectiveKind::kAction:
          if (d.rule) SG_RETURN_IF_ERROR(addRule(L, d));
          break;
        case DirectiveKind::kMarker:
          L.order.push_back({true, 0, d.name});
          break;
        case DirectiveKind::kRemoveById:
        case DirectiveKind::kRemoveByTag:
        case DirectiveKind::kUpdateTargetById:
        case DirectiveKind::kUpdateTargetByTag:
        case DirectiveKind::kUpdateActionById:
          L.pending.push_back(&d);
          break;
        case DirectiveKind::kSetting:
          if (d.name == "SecComponentSignature") {
            L.version = d.value;
            if (L.version.size() >= 2 && L.version.front() == '"')
              L.version = L.version.substr(1, L.version.size() - 2);
          } else if (d.name == "SecRuleEngine") {
            std::string v = asciiLowerCopy(d.value);
            if (v == "off")
              L.mode = Impl::Mode::kOff;
            else if (v == "detectiononly")
              L.mode = Impl::Mode::kDetectionOnly;
            else
              L.mode = Impl::Mode::kOn;
          }
          break;
      }
    }
  }

  // Removal and update directives, then the configured exclusions.
  auto hasTag = [](const CRule& c, const std::string& tag) {
    for (const auto& t : c.tags)
      if (t == tag) return true;
    return false;
  };
  for (const Directive* d : L.pending) {
    switch (d->kind) {
      case DirectiveKind::kRemoveById:
        for (auto& c : L.rules)
          if (matchesIds(d->ids, c.id)) c.removed = true;
        break;
      case DirectiveKind::kRemoveByTag: {
        auto re = Regex::compile(d->name);
        if (!re) return Status::invalidArgument(d->where.toString() + ": " + re.status().message());
        for (auto& c : L.rules)
          for (const auto& t : c.tags)
            if ((*re)->match(t)) {
              c.removed = true;
              break;
            }
        break;
      }
      case DirectiveKind::kUpdateTargetById:
      case DirectiveKind::kUpdateTargetByTag: {
        std::unique_ptr<Regex> re;
        if (d->kind == DirectiveKind::kUpdateTargetByTag) {
          auto r = Regex::compile(d->name);
          if (!r) return Status::invalidArgument(d->where.toString() + ": " + r.status().message());
          re = std::move(r).value();
        }
        for (size_t i = 0; i < L.rules.size(); ++i) {
          const CRule& c = L.rules[i];
          bool hit = false;
          if (re) {
            for (const auto& t : c.tags)
              if (re->match(t)) {
                hit = true;
                break;
              }
          } else
            hit = matchesIds(d->ids, c.id);
          if (!hit) continue;
          for (const Target& t : d->targets) {
            if (t.exclude)
              L.extra_excludes[i].push_back(t);
            else
              L.extra_targets[i].push_back(t);
          }
        }
        break;
      }
      case DirectiveKind::kUpdateActionById:
        if (!d->actions) break;
        for (auto& c : L.rules) {
          if (!matchesIds(d->ids, c.id)) continue;
          mergeActions(c, *d->actions, L.defaults[c.phase] ? &*L.defaults[c.phase] : nullptr);
        }
        break;
      default:
        break;
    }
  }
  for (const Exclusion& e : s.exclusions) {
    for (size_t i = 0; i < L.rules.size(); ++i) {
      CRule& c = L.rules[i];
      bool hit =
          (!e.ids.empty() && matchesIds(e.ids, c.id)) || (!e.tag.empty() && hasTag(c, e.tag));
      if (!hit) continue;
      if (e.targets.empty()) {
        c.removed = true;
      } else {
        for (Target t : e.targets) {
          t.exclude = true;
          L.extra_excludes[i].push_back(t);
        }
      }
    }
  }

  // Compile.
  auto impl = std::make_unique<Impl>();
  impl->version = L.version;
  impl->mode = L.mode;
  OperatorEnv env;
  env.data_dir = s.rules_dir;
  std::map<std::vector<Transform>, int> chain_ids;
  // The static @pm/@pmFromFile lists at the paranoia level in bit order, for SharedScan::pm.
  std::vector<const std::vector<std::string>*> pm_lists;
  std::map<std::pair<int, Transform>, int> node_ids;  // (parent, transform) -> node
  size_t unsupported = 0;
  for (size_t i = 0; i < L.rules.size(); ++i) {
    CRule& c = L.rules[i];
    c.msg_macro = compileMacro(c.msg);
    c.logdata_macro = compileMacro(c.logdata);
    const Actions* def = L.defaults[c.phase] ? &*L.defaults[c.phase] : nullptr;
    for (size_t k = 0; k < L.raw_links[i].size(); ++k) {
      const Rule& r = *L.raw_links[i][k];
      Link link;
      link.where = r.where.file.empty() ? c.where : r.where;
      std::vector<Target> targets = r.targets;
      if (k == 0) {
        for (const Target& t : L.extra_targets[i]) targets.push_back(t);
        for (const Target& t : L.extra_excludes[i]) targets.push_back(t);
      }
      for (const Target& t : targets) {
        auto ct = compileTarget(t);
        if (!ct)
          return Status::invalidArgument(link.where.toString() + ": " + ct.status().message());
        CTarget& added =
            (t.exclude ? link.excludes : link.targets).emplace_back(std::move(ct).value());
        if (!t.exclude && isEngineCollection(added.var) && (added.isRegex() || added.key.empty()))
          added.walk_memo = impl->walk_memo_count++;
      }
      link.op = r.op;
      link.transforms = foldTransforms(def, r.actions);
      auto [it, inserted] =
          chain_ids.emplace(link.transforms, static_cast<int>(impl->chains.size()));
      if (inserted) {
        ChainGroup g;
        g.transforms = link.transforms;
        if (impl->nodes.empty()) impl->nodes.push_back({});
        for (Transform t : g.transforms) {
          auto [n, added] =
              node_ids.emplace(std::make_pair(g.node, t), static_cast<int>(impl->nodes.size()));
          if (added) impl->nodes.push_back({g.node, t});
          g.node = n->second;
          g.path.push_back(g.node);
        }
        impl->chains.push_back(std::move(g));
      }
      link.chain = it->second;
      link.capture = r.actions.capture;
      link.multi_match = r.actions.multi_match;
      for (const SetVar& sv : r.actions.setvars) {
        CSetVar& x = link.setvars.emplace_back();
        x.op = sv.op;
        x.collection = sv.collection;
        x.name = compileMacro(sv.name);
        x.value = compileMacro(sv.value);
        x.per_match = x.name.dynamic;
        if (x.per_match) link.has_per_match_setvars = true;
        if (!x.per_match) x.key = sv.collection + "." + asciiLowerCopy(sv.name);
        x.hash = engine_internal::VarTable::hash(x.key);
      }
      for (const Ctl& ctl : r.actions.ctls)
        link.ctls.push_back({ctl.name, compileMacro(ctl.value)});
      if (s.confirm_matches && k == 0 && r.actions.capture && !r.op.negated)
        link.confirm = confirm::forRule(c.id);
      if (r.targets.empty() && k == 0 && L.raw_links[i].size() == 1 && r.op.name.empty()) {
        link.op.name = "unconditionalmatch";
      }
      link.sqli_memo = link.op.name == "detectsqli";
      auto op = CompiledOperator::compile(link.op, env);
      if (op) {
        link.cop = std::move(op).value();
        link.dynamic_param = link.cop->dynamicParam();
        if (link.dynamic_param) link.param = compileMacro(link.op.param);
        // A rule tagged above the configured paranoia level is skipped by the CRS's own markers:
        // its pattern stays out of the weak prefilter (see ChainGroup::weak) and its @pm list
        // out of SharedScan::pm (where it would only slow the scan of every text).
        bool at_level = true;
        for (const auto& t : c.tags)
          if (t.size() == 16 && t.compare(0, 15, "paranoia-level/") == 0 &&
              t[15] - '0' > s.paranoia_level)
            at_level = false;
        std::string_view pat = link.cop->groupablePattern();
        if (!pat.empty() && link.multi_match && !link.op.negated && s.prefilter) {
          link.multi_literals = requiredLiterals(std::string(pat));
          if (link.multi_literals.empty()) {
            auto mr = MultiRegex::compile({std::string(pat)});
            if (mr) link.multi_prefilter = std::move(mr).value();
          } else {
            for (Transform t : link.transforms) {
              uint32_t c = 0;
              for (const std::string& lit : link.multi_literals) c |= creatingTraits(t, lit);
              link.multi_creating.push_back(c);
            }
          }
        }
        // A negated pattern stays out of its group: on ordinary traffic it matches, so the
        // group's prefilter could only send it on to PCRE, after a scan of its own.
        if (!pat.empty() && !link.multi_match && !link.op.negated && s.prefilter) {
          ChainGroup& g = impl->chains[link.chain];
          link.group_bit = static_cast<int>(g.patterns.size());
          g.patterns.emplace_back(pat);
          g.at_level.push_back(at_level ? 1 : 0);
          const bool request_values = scannedTargets(link.targets);
          const bool cheap = cheapForPcre(pat);
          g.scanned.push_back(request_values && !cheap ? 1 : 0);
          g.cheap_pattern.push_back(request_values && cheap ? 1 : 0);
          std::vector<Var> vars;
          for (const CTarget& t : link.targets)
            if (!t.count) vars.push_back(t.var);
          g.pattern_vars.push_back(std::move(vars));
        }
        const std::vector<std::string>* phrases = link.cop->phraseList();
        if (phrases != nullptr && !phrases->empty() && !link.multi_match && s.prefilter &&
            at_level) {
          if (pm_lists.size() < 64) {
            link.pm_bit = static_cast<int>(pm_lists.size());
            pm_lists.push_back(phrases);
          }
        }
      } else {
        const std::string& m = op.status().message();
        if (m.rfind("unsupported operator", 0) != 0)
          return Status::invalidArgument(link.where.toString() + ": @" + link.op.name + ": " + m);
        ++unsupported;
        if (report)
          report->push_back(link.where.toString() + ": operator @" + link.op.name +
                            " is not evaluated: rule " + std::to_string(c.id) + " never matches");
      }
      c.links.push_back(std::move(link));
    }
    for (size_t k = 1; k < c.links.size(); ++k)
      for (const CTarget& t : c.links[k].targets)
        if (t.var == Var::kMatchedVars || t.var == Var::kMatchedVarsNames)
          c.links[k - 1].keep_matched = true;
  }
  // Target sets: links with equal targets and exclusions.
  {
    auto describe = [](const CTarget& t) {
      std::string d = std::to_string(static_cast<int>(t.var)) + (t.count ? "&" : ":");
      if (t.isRegex()) d += "/" + t.re_text + "/";
      d += t.key;
      return std::to_string(d.size()) + "#" + d;
    };
    std::map<std::string, int> sets;
    impl->target_set_base.assign(1, 0);
    for (CRule& c : L.rules) {
      for (Link& l : c.links) {
        if (l.targets.empty()) continue;
        std::string sig;
        for (const CTarget& t : l.targets) sig += describe(t);
        sig += "!";
        for (const CTarget& t : l.excludes) sig += describe(t);
        auto [it, inserted] = sets.emplace(sig, static_cast<int>(sets.size()));
        if (inserted)
          impl->target_set_base.push_back(impl->target_set_base.back() +
                                          static_cast<uint32_t>(l.targets.size()));
        l.target_set = it->second;
      }
    }
  }
  size_t grouped = 0, always = 0, literal_groups = 0, atoms_total = 0, quick_steps = 0;
  for (ChainGroup& g : impl->chains) {
    if (g.patterns.empty()) continue;
    if (buildLiteralFilter(g)) {
      // The patterns the filter passes for every value (RE2 cannot read them, or they need no
      // atom) and whose rules run at the configured paranoia level: a Hyperscan prefilter of
      // their own (the others stay candidates for every value).
      std::vector<uint8_t> is_weak(g.patterns.size(), 0);
      for (uint32_t i : g.always) is_weak[i] = 1;
      for (uint32_t i : g.unfiltered) is_weak[i] = 1;
      for (uint32_t i = 0; i < g.patterns.size(); ++i)
        if (is_weak[i] && g.at_level[i] && g.scanned[i]) g.weak.push_back(i);
      for (uint32_t i = 0; i < g.patterns.size(); ++i)
        if (is_weak[i] && g.at_level[i] && g.cheap_pattern[i]) g.cheap.push_back(i);
      ++literal_groups;
      atoms_total += g.atom_count;
      grouped += g.patterns.size() - g.always.size();
      always += g.always.size();
      continue;
    }
    auto mr = MultiRegex::compile(g.patterns);
    if (mr) {
      g.multi = std::move(mr).value();
      grouped += g.patterns.size();
    } else {
      always += g.patterns.size();
      if (report)
        report->push_back("pattern group failed to compile, its rules run every regex: " +
                          mr.status().message());
    }
  }
  // The weak patterns of each chain: a Hyperscan prefilter of their own. (One database of all
  // chains' weak patterns, scanned once per distinct text, costs more: Hyperscan's prefilter
  // NFAs for patterns without literals do not share work, and a text then runs the patterns
  // of chains that do not produce it.)
  // Each chain's weak and cheap patterns are split by the variable their links read, each split
  // with the table of the bytes its patterns need (ChainGroup::WeakSet).
  const size_t nvars = static_cast<size_t>(Var::kResponseHeadersNames) + 1;
  size_t weak_patterns = 0, cheap_patterns = 0, gated_patterns = 0;  // for the load report
  size_t paired_patterns = 0;
  for (ChainGroup& g : impl->chains) {
    if (g.weak.empty() && g.cheap.empty()) continue;
    std::map<std::pair<std::vector<uint32_t>, std::vector<uint32_t>>, int> sets;
    g.weak_by_var.assign(nvars, -1);
    // Two of the byte sets each weak or cheap pattern's matches need: the two rarest of
    // Regex::requiredBytes, or its rarest and Regex::firstBytes (fewer when not known). Read
    // once per pattern, whichever split sets hold it.
    std::map<uint32_t, std::vector<std::array<uint64_t, 4>>> needs_of;
    auto needsOf = [&](uint32_t i) -> const std::vector<std::array<uint64_t, 4>>& {
      auto [it, added] = needs_of.try_emplace(i);
      if (added) {
        std::vector<std::array<uint64_t, 4>>& needs = it->second;
        needs = Regex::requiredBytes(g.patterns[i]);
        std::array<uint64_t, 4> first{};
        if (needs.size() < 2 && Regex::firstBytes(g.patterns[i], &first)) needs.push_back(first);
        if (needs.size() > 2) needs.resize(2);
      }
      return it->second;
    };
    // The byte pairs each pattern's matches start with (Regex::firstPairs), when few bytes can
    // start one: a pair gate costs a walk of the text, less than the scan it saves only when
    // most texts hold none of its pairs.
    using PairRows = std::vector<std::pair<uint8_t, std::array<uint64_t, 4>>>;
    std::map<uint32_t, std::optional<PairRows>> pairs_of;
    auto pairsOf = [&](uint32_t i) -> const std::optional<PairRows>& {
      auto [it, added] = pairs_of.try_emplace(i);
      if (added) {
        PairRows rows;
        if (Regex::firstPairs(g.patterns[i], kPairGateFirstBytes, &rows))
          it->second = std::move(rows);
      }
      return it->second;
    };
    for (uint32_t i : g.weak) gated_patterns += !needsOf(i).empty();
    for (uint32_t i : g.cheap) gated_patterns += !needsOf(i).empty();
    for (uint32_t i : g.weak) paired_patterns += pairsOf(i).has_value();
    for (uint32_t i : g.cheap) paired_patterns += pairsOf(i).has_value();
    weak_patterns += g.weak.size();
    cheap_patterns += g.cheap.size();
    auto reading = [&](const std::vector<uint32_t>& from, Var v) {
      std::vector<uint32_t> out;
      for (uint32_t i : from) {
        const auto& vars = g.pattern_vars[i];
        if (std::find(vars.begin(), vars.end(), v) != vars.end()) out.push_back(i);
      }
      return out;
    };
    for (size_t v = 0; v < nvars; ++v) {
      std::vector<uint32_t> subset = reading(g.weak, static_cast<Var>(v));
      std::vector<uint32_t> cheap = reading(g.cheap, static_cast<Var>(v));
      if (subset.empty() && cheap.empty()) continue;
      auto [it, inserted] =
          sets.emplace(std::make_pair(subset, cheap), static_cast<int>(g.weak_sets.size()));
      if (inserted) {
        ChainGroup::WeakSet ws;
        std::vector<std::string> ps;
        ps.reserve(subset.size());
        for (uint32_t i : subset) ps.push_back(g.patterns[i]);
        if (!ps.empty()) {
          auto mr = MultiRegex::compile(ps);
          if (mr) ws.multi = std::move(mr).value();
        }
        ws.min_length = SIZE_MAX;
        for (const std::string& p : ps)
          ws.min_length = std::min<size_t>(ws.min_length, Regex::minLength(p));
        std::vector<uint32_t> slots = subset;
        slots.insert(slots.end(), cheap.begin(), cheap.end());
        std::array<std::map<std::array<uint64_t, 4>, uint64_t>, 256> pair_slots;
        for (size_t k = 0; k < slots.size(); ++k) {
          if (k >= 31) {
            ws.need_always |= (uint64_t{1} << 31) | (uint64_t{1} << 63);
            if (k < subset.size()) ws.weak_mask |= uint32_t{1} << 31;
            continue;
          }
          const uint64_t bit = uint64_t{1} << k;
          if (k < subset.size()) ws.weak_mask |= static_cast<uint32_t>(bit);
          const std::vector<std::array<uint64_t, 4>>& needs = needsOf(slots[k]);
          if (needs.empty()) ws.need_always |= bit;
          if (needs.size() < 2) ws.need_always |= bit << 32;
          for (size_t b = 0; b < 256; ++b) {
            if (!needs.empty() && ((needs[0][b >> 6] >> (b & 63)) & 1)) ws.need_bits[b] |= bit;
            if (needs.size() > 1 && ((needs[1][b >> 6] >> (b & 63)) & 1))
              ws.need_bits[b] |= bit << 32;
          }
          if (const std::optional<PairRows>& rows = pairsOf(slots[k])) {
            ws.pair_mask |= static_cast<uint32_t>(bit);
            for (const auto& [first, seconds] : *rows) pair_slots[first][seconds] |= bit;
          }
        }
        // The entries by first byte; slots with the same pairs after a byte share an entry.
        for (size_t a = 0; a < 256; ++a) {
          ws.pair_begin[a] = static_cast<uint16_t>(ws.pair_entries.size());
          ws.pair_count[a] = static_cast<uint8_t>(pair_slots[a].size());  // <= 31 slots
          for (const auto& [seconds, bits] : pair_slots[a])
            ws.pair_entries.push_back({static_cast<uint32_t>(bits), seconds});
        }
        ws.pair_simd = ws.pair_mask != 0 && pairNibbleTables(ws);
        ws.weak = std::move(subset);
        ws.cheap = std::move(cheap);
        g.weak_sets.push_back(std::move(ws));
      }
      g.weak_by_var[v] = it->second;
    }
  }
  impl->node_child.assign(impl->nodes.size() * engine_internal::kTransformCount, -1);
  for (const auto& [key, n] : node_ids)
    impl->node_child[static_cast<size_t>(key.first) * engine_internal::kTransformCount +
                     static_cast<size_t>(key.second)] = n;
  buildSharedAtoms(impl->chains, impl->shared);
  buildSharedPhrases(pm_lists, impl->shared, report);
  for (ChainGroup& g : impl->chains) {
    g.always_cand.reset(g.patterns.size());
    for (uint32_t i : g.always) g.always_cand.set(i);
    g.no_atom_cand = g.always_cand;
    for (uint32_t i : g.unfiltered) g.no_atom_cand.set(i);
  }
  // Rules of a group that did not compile run their PCRE on every value.
  for (CRule& c : L.rules)
    for (Link& l : c.links)
      if (l.group_bit >= 0 && !impl->chains[l.chain].active()) l.group_bit = -1;

  // Programs per phase: rules in file order, markers in both phases.
  impl->rules = std::move(L.rules);
  size_t counts[3] = {0, 0, 0};
  size_t marker_count = 0;
  for (const auto& o : L.order) {
    if (o.marker) {
      ++marker_count;
      for (auto& ph : impl->phases) ph.push_back(Step{-1, -1});
      // Name is kept aside for skipAfter resolution.
      continue;
    }
    const CRule& c = impl->rules[o.index];
    if (c.removed) continue;
    impl->phases[c.phase - 1].push_back(Step{static_cast<int>(o.index), -1});
    ++counts[c.phase];
    ++impl->head_count;
  }
  // Resolve skipAfter: marker positions per phase, in order.
  for (int ph = 0; ph < 2; ++ph) {
    std::vector<std::pair<std::string, int>> marks;  // (name, step index)
    size_t step = 0;
    for (const auto& o : L.order) {
      if (o.marker) {
        marks.emplace_back(o.name, static_cast<int>(step));
        ++step;
        continue;
      }
      const CRule& c = impl->rules[o.index];
      if (c.removed || c.phase - 1 != ph) continue;
      ++step;
    }
    for (size_t si = 0; si < impl->phases[ph].size(); ++si) {
      Step& st = impl->phases[ph][si];
      if (st.rule < 0) continue;
      const CRule& c = impl->rules[st.rule];
      if (c.skip_after.empty()) continue;
      st.skip_to = static_cast<int>(impl->phases[ph].size());
      for (const auto& [name, at] : marks) {
        if (name == c.skip_after && at > static_cast<int>(si)) {
          st.skip_to = at;
          break;
        }
      }
    }
  }
  // Rules without effect. With the prefilters off (the reference path of
  // managed_engine_prefilter_test) every rule runs.
  impl->matched_var_unread = matchedVarUnread(*impl);
  size_t no_effect = s.prefilter ? markRulesWithoutEffect(*impl) : 0;
  // (chain, @pm, collections, scalars, named elements) -> index into quick_sigs
  std::map<std::tuple<int, bool, uint64_t, uint64_t, std::vector<std::pair<Var, std::string>>>, int>
      sig_ids;
  // Quick rejection (see Step): a head link that is a grouped @rx or a combined-scan @pm, not
  // negated (one value in, one match decision: not multiMatch, not a count), whose every target
  // is a request collection read whole, by name or XML by path, or a request scalar.
  for (auto& ph : impl->phases) {
    for (Step& st : ph) {
      if (st.rule < 0) continue;
      const CRule& r = impl->rules[st.rule];
      if (r.links.empty()) continue;
      const Link& h = r.links[0];
      const bool pm = h.group_bit < 0 && h.pm_bit >= 0 && impl->shared.pm;
      if ((h.group_bit < 0 && !pm) || h.op.negated || h.multi_match || !h.cop || h.targets.empty())
        continue;
      bool ok = true;
      uint64_t colls = 0, scalars = 0;
      const auto keys_begin = static_cast<uint32_t>(impl->quick_keys.size());
      for (const CTarget& t : h.targets) {
        const auto v = static_cast<unsigned>(t.var);
        if (t.count || v >= 64) {
          ok = false;
          break;
        }
        if (isRequestCollection(t.var) && ((t.key.empty() && !t.isRegex()) || t.var == Var::kXml)) {
          colls |= uint64_t{1} << v;
        } else if (isRequestCollection(t.var) && !t.isRegex()) {
          impl->quick_keys.push_back({t.var, t.key});
        } else if (isRequestScalar(t.var)) {
          scalars |= uint64_t{1} << v;
        } else {
          ok = false;
          break;
        }
      }
      if (!ok) {
        impl->quick_keys.resize(keys_begin);
        continue;
      }
      std::vector<std::pair<Var, std::string>> keys;
      for (size_t k = keys_begin; k < impl->quick_keys.size(); ++k)
        keys.emplace_back(impl->quick_keys[k].var, impl->quick_keys[k].key);
      auto [sig, added] = sig_ids.try_emplace(std::make_tuple(h.chain, pm, colls, scalars, keys),
                                              static_cast<int>(impl->quick_sigs.size()));
      if (added) {
        engine_internal::QuickSig q;
        q.chain = h.chain;
        q.pm = pm;
        q.collections = colls;
        q.scalars = scalars;
        q.keys_begin = keys_begin;
        q.keys_end = static_cast<uint32_t>(impl->quick_keys.size());
        impl->quick_sigs.push_back(q);
      } else {
        impl->quick_keys.resize(keys_begin);
      }
      st.sig = sig->second;
      ++impl->quick_sigs[static_cast<size_t>(sig->second)].steps;
      st.group_bit = pm ? h.pm_bit : h.group_bit;
      ++quick_steps;
    }
  }
  // Rules decided on TX variables (see TxStep). With the prefilters off (the reference path of
  // managed_engine_prefilter_test) every rule is evaluated in full.
  size_t tx_steps = 0;
  for (auto& ph : impl->phases) {
    if (!s.prefilter) break;
    for (Step& st : ph) {
      if (st.rule < 0 || st.sig >= 0) continue;
      const CRule& r = impl->rules[st.rule];
      if ((r.log && r.id != 0) || r.disruptive != Disruptive::kPass || r.skip != 0) continue;
      engine_internal::TxStep x;
      for (const Link& l : r.links) {
        if (l.targets.empty() || !l.excludes.empty() || !l.cop || l.dynamic_param || l.capture ||
            l.multi_match || l.has_per_match_setvars || !l.transforms.empty() ||
            !l.setvars.empty() || !l.ctls.empty() || l.confirm != nullptr || l.group_bit >= 0 ||
            l.pm_bit >= 0)
          break;
        engine_internal::TxStep::Cond c;
        c.cop = l.cop.get();
        c.negated = l.op.negated;
        c.comparison = l.cop->comparison();
        c.number = l.cop->numberParam();
        for (const CTarget& t : l.targets) {
          if (t.var != Var::kTx || t.isRegex() || t.key.empty()) break;
          // As evalLink names a match: the collection, and the key unless it is a count.
          c.targets.push_back(
              {t.full_key, t.full_key_hash, t.count,
               t.count ? std::string(varName(t.var)) : std::string(varName(t.var)) + ":" + t.key});
        }
        if (c.targets.size() != l.targets.size()) break;
        x.links.push_back(std::move(c));
      }
      if (x.links.size() != r.links.size()) continue;
      st.tx = static_cast<int>(impl->tx_steps.size());
      impl->tx_steps.push_back(std::move(x));
      ++tx_steps;
    }
  }
  // The request-independent start of phase 1 (see Impl::fixed_steps). With the prefilters off
  // (the reference path of managed_engine_prefilter_test) every rule runs on every request.
  if (s.prefilter) {
    size_t k = 0;
    const auto& steps = impl->phases[0];
    while (k < steps.size() &&
           (steps[k].rule < 0 || requestIndependent(impl->rules[steps[k].rule])))
      ++k;
    impl->fixed_steps = k;
  }
  const size_t frozen = s.prefilter ? markFrozenTxSteps(*impl) : 0;
  static std::atomic<uint64_t> next_serial{1};
  impl->serial = next_serial.fetch_add(1);
  if (report) {
    if (L.response_rules > 0)
      report->push_back(std::to_string(L.response_rules) +
                        " rules of phases 3-5 (response, logging) are read but not evaluated");
    report->push_back(
        (L.version.empty() ? std::string("rule set") : L.version) + ": " +
        std::to_string(impl->head_count) + " rules (phase 1: " + std::to_string(counts[1]) +
        ", phase 2: " + std::to_string(counts[2]) + "), " + std::to_string(marker_count) +
        " markers, " + std::to_string(impl->chains.size()) + " transformation chains, " +
        std::to_string(grouped) + " regex patterns prefiltered (" + std::to_string(literal_groups) +
        " literal groups, " + std::to_string(atoms_total) + " atoms, " +
        std::to_string(impl->shared.atom_count) + " distinct), " + std::to_string(always) +
        " always candidates, " + std::to_string(quick_steps) +
        " rules rejected by their candidates alone (" + std::to_string(impl->quick_sigs.size()) +
        " value sets), " + std::to_string(tx_steps) + " decided on TX variables (" +
        std::to_string(frozen) + " once per engine), " + std::to_string(unsupported) +
        " unsupported operators, " + std::to_string(no_effect) + " rules without effect, " +
        std::to_string(impl->fixed_steps) + " request-independent steps at the start of phase 1, " +
        std::to_string(weak_patterns) + " weak and " + std::to_string(cheap_patterns) +
        " cheap patterns (" + std::to_string(gated_patterns) +
        " passed over on values without the bytes they need, " + std::to_string(paired_patterns) +
        " without the byte pairs their matches start with)");
  }
  std::shared_ptr<Engine> e(new Engine());
  e->settings_ = s;
  e->impl_ = std::move(impl);
  return std::shared_ptr<const Engine>(std::move(e));
}

Engine::~Engine() = default;
Engine::Scratch::Scratch() : state_(std::make_unique<State>()) {}
Engine::Scratch::~Scratch() = default;

size_t Engine::ruleCount() const { return impl_->head_count; }
std::string_view Engine::version() const { return impl_->version; }

std::unique_ptr<Engine::Scratch> Engine::newScratch() const {
  auto scratch = std::make_unique<Scratch>();
  Scratch::State* s = &scratch->state();
  // One Hyperscan scratch serves every literal database: grown to fit each in turn.
  auto fitAtomsScratch = [s](const hs_database_t* db) {
    hs_scratch_t* hs = s->atoms_scratch.release();
    (void)hs_alloc_scratch(db, &hs);
    s->atoms_scratch.reset(hs);
  };
  for (const auto& g : impl_->chains) {
    if (g.multi) (void)g.multi->prepare(s->hs);
    for (const auto& ws : g.weak_sets)
      if (ws.multi) (void)ws.multi->prepare(s->hs);
    if (g.atoms_db) fitAtomsScratch(g.atoms_db.get());
  }
  if (impl_->shared.atoms) fitAtomsScratch(impl_->shared.atoms.get());
  if (impl_->shared.pm) fitAtomsScratch(impl_->shared.pm.get());
  for (const auto& c : impl_->rules)
    for (const auto& l : c.links) {
      if (l.cop) (void)l.cop->prepare(s->hs);
      if (l.multi_prefilter) (void)l.multi_prefilter->prepare(s->hs);
    }
  s->table.assign(1024, Scratch::State::Slot{});
  size_t nvars = static_cast<size_t>(Var::kResponseHeadersNames) + 1;
  s->union_done.assign(nvars * impl_->chains.size(), 0);
  s->unions.resize(nvars * impl_->chains.size());
  s->pm_union_done.assign(nvars * impl_->chains.size(), 0);
  s->pm_unions.assign(nvars * impl_->chains.size(), 0);
  s->sig_done.assign(impl_->quick_sigs.size(), 0);
  s->sig_cand.resize(impl_->quick_sigs.size());
  s->sig_pm.assign(impl_->quick_sigs.size(), 0);
  return scratch;
}

void Verdict::clear() {
  matched.clear();
  matched_ids.clear();
  anomaly_score = sqli = xss = rce = lfi = rfi = php = protocol = session = 0;
  waf_score = waf_sqli = waf_xss = waf_rce = 99;
  intercepted = false;
  status = 0;
  intercepting_rule = 0;
}

int attackScore(int64_t points) {
  if (points <= 0) return 99;
  int64_t v = 99 - 16 * points;
  return v < 1 ? 1 : static_cast<int>(v);
}

}  // namespace shipgate::managed
