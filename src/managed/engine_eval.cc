// Engine::evaluate: phases 1 and 2 of the compiled rule set against one request.
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <charconv>

#include "engine_impl.h"
#include "shipgate/common/hash.h"
#include "shipgate/common/strings.h"

namespace shipgate::managed {

using engine_internal::CRule;
using engine_internal::CTarget;
using engine_internal::isEngineCollection;
using engine_internal::isRequestCollection;
using engine_internal::Link;
using engine_internal::Step;
using engine_internal::VarTable;

// ---- Scratch value cache -------------------------------------------------------------------

namespace {
inline uint64_t mixKey(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}
}  // namespace

void Engine::Scratch::State::resetCache() {
  // The tables are not cleared: a slot stamped with an older generation is empty.
  if (++generation == 0) {  // wrapped: no stamp may look current
    for (auto& x : table) x.gen = 0;
    std::fill(dense.begin(), dense.end(), 0);
    std::fill(union_done.begin(), union_done.end(), 0u);
    std::fill(pm_union_done.begin(), pm_union_done.end(), 0u);
    std::fill(sig_done.begin(), sig_done.end(), 0u);
    generation = 1;
  }
  used = 0;
}

namespace {
// Grows an open-addressing table of Slots to twice its size (at least `min`), keeping the slots
// of the current generation.
void growTable(std::vector<Engine::Scratch::State::Slot>& t, uint32_t gen, size_t min) {
  std::vector<Engine::Scratch::State::Slot> old;
  old.swap(t);
  t.assign(std::max(min, old.size() * 2), Engine::Scratch::State::Slot{});
  size_t mask = t.size() - 1;
  for (const auto& x : old) {
    if (x.gen != gen) continue;
    size_t h = mixKey(x.key) & mask;
    while (t[h].gen == gen) h = (h + 1) & mask;
    t[h] = x;
  }
}
}  // namespace

void Engine::Scratch::State::addEntry() { entries.push_back(std::make_unique<Entry>()); }

// Inline in nodeEntry: about 270 calls a request.
inline Engine::Scratch::State::Entry& Engine::Scratch::State::newEntry() {
  if (used == entries.size()) addEntry();
  Entry& e = *entries[used++];
  e.transformed = false;
  e.scanned = false;
  e.pm_scanned = false;
  e.traits_known = false;
  e.atoms_done = false;
  return e;
}

Engine::Scratch::State::Entry& Engine::Scratch::State::lookup(uint64_t key) {
  if ((used + 1) * 2 >= table.size()) growTable(table, generation, 1024);
  size_t mask = table.size() - 1;
  size_t h = mixKey(key) & mask;
  while (table[h].gen == generation) {
    if (table[h].key == key) return *entries[table[h].index];
    h = (h + 1) & mask;
  }
  table[h] = Slot{key, static_cast<uint32_t>(used), generation};
  return newEntry();
}

[[gnu::always_inline]] inline Engine::Scratch::State::Entry& Engine::Scratch::State::denseEntry(
    size_t slot) {
  uint64_t& d = dense[slot];
  if ((d >> 32) == generation) return *entries[static_cast<uint32_t>(d)];
  d = (static_cast<uint64_t>(generation) << 32) | used;
  return newEntry();
}

void Engine::Scratch::State::numberValues(size_t nodes) {
  const size_t nvars = static_cast<size_t>(Var::kResponseHeadersNames) + 1;
  value_base.resize(nvars);
  size_t total = 0;
  for (size_t v = 0; v < nvars; ++v) {
    value_base[v] = static_cast<uint32_t>(total);
    const auto var = static_cast<Var>(v);
    total += engine_internal::isRequestCollection(var) ? data.collection(var).size() : 1;
  }
  node_count = nodes;
  dense_on = total * nodes <= kDenseMax;
  if (dense_on && dense.size() < total * nodes) dense.resize(total * nodes, 0);
}

namespace {

// ASCII case-insensitive equality, out of line: equalsIgnoreCase (always inline) at each of the
// sixteen call sites here cost more than the call (callgrind: +660 instructions a request).
[[gnu::noinline]] bool ieq(std::string_view a, std::string_view b) {
  return equalsIgnoreCase(a, b);
}

int64_t toInt(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  int64_t v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::string_view collectionPrefix(Var v) {
  switch (v) {
    case Var::kTx:
      return "tx.";
    case Var::kIp:
      return "ip.";
    case Var::kGlobal:
      return "global.";
    case Var::kSession:
      return "session.";
    case Var::kUser:
      return "user.";
    case Var::kResource:
      return "resource.";
    default:
      return "";
  }
}

// varName() walks the variable table; the evaluator asks for it per target of every link.
std::string_view cachedVarName(Var v) {
  static const auto table = [] {
    std::array<std::string_view, 256> t;
    for (size_t i = 0; i < t.size(); ++i) t[i] = varName(static_cast<Var>(i));
    return t;
  }();
  return table[static_cast<uint8_t>(v)];
}

std::string_view severityName(std::string_view s) {
  static constexpr std::string_view kNames[] = {"EMERGENCY", "ALERT",  "CRITICAL", "ERROR",
                                                "WARNING",   "NOTICE", "INFO",     "DEBUG"};
  if (s.size() == 1 && s[0] >= '0' && s[0] <= '7') return kNames[s[0] - '0'];
  return s;
}

struct Evaluator {
  const Engine::Impl& impl;
  Engine::Scratch::State& s;
  Verdict& out;
  const CRule* rule = nullptr;
  bool stop = false;

  // Whether a ctl removed rules or targets in this request.
  bool removals() const {
    return !s.removed_ids.empty() || !s.removed_tags.empty() || !s.removed_targets.empty();
  }

  // ---- macros ----
  // Appends the expansion of m (compileMacro) to dst. `depth` bounds %{rule.msg} in msg.
  void expandInto(const engine_internal::Macro& m, std::string& dst, int depth = 0) {
    using Kind = engine_internal::MacroPart::Kind;
    for (const engine_internal::MacroPart& p : m.parts) {
      switch (p.kind) {
        case Kind::kLiteral:
          dst += p.text;
          break;
        case Kind::kEngineVar:
          if (const std::string* v = p.pin >= 0 ? s.vars.findPinned(static_cast<size_t>(p.pin))
                                                : s.vars.find(p.text, p.hash))
            dst += *v;
          break;
        case Kind::kRequestVar:
          for (const Element& e : s.data.collection(p.var)) {
            if (ieq(e.name, p.text)) {
              dst += e.value;
              break;
            }
          }
          break;
        case Kind::kScalar:
          dst += s.data.scalar(p.var);
          break;
        case Kind::kMatchedVar:
          dst += s.matched_var;
          break;
        case Kind::kMatchedVarName:
          dst += s.matched_var_name;
          break;
        case Kind::kRuleId:
          if (rule) dst += std::to_string(rule->id);
          break;
        case Kind::kRuleMsg:
          if (rule && depth < 2) expandInto(rule->msg_macro, dst, depth + 1);
          break;
        case Kind::kRuleLogdata:
          if (rule && depth < 2) expandInto(rule->logdata_macro, dst, depth + 1);
          break;
        case Kind::kRuleSeverity:
          if (rule) dst += severityName(rule->severity);
          break;
      }
    }
  }

  std::string expand(const engine_internal::Macro& m) {
    if (!m.dynamic) return std::string(m.literal());
    std::string r;
    expandInto(m, r);
    return r;
  }

  // ---- targets ----
  bool excluded(const Link& link, Var v, std::string_view name) const {
    auto hit = [&](const CTarget& x) { return x.var == v && selectorMatches(x, name); };
    for (const CTarget& x : link.excludes)
      if (hit(x)) return true;
    if (!s.removed_targets.empty()) {
      for (const auto& rt : s.removed_targets) {
        bool applies = false;
        for (const IdRange& r : rt.ids)
          if (r.contains(rule->id)) {
            applies = true;
            break;
          }
        if (!applies && !rt.tag.empty())
          for (const auto& t : rule->tags)
            if (ieq(t, rt.tag)) {
              applies = true;
              break;
            }
        if (applies && hit(rt.target)) return true;
      }
    }
    return false;
  }

  const std::string& transformInto(const Link& link, std::string_view value, std::string& buf,
                                   std::string& other) {
    std::string_view cur = value;
    buf.assign(value);
    for (Transform t : link.transforms) {
      applyTransform(t, cur, other);
      std::swap(other, buf);
      cur = buf;
    }
    return buf;
  }

  static int onAtom(unsigned int id, unsigned long long, unsigned long long, unsigned int,
                    void* ctx) {
    static_cast<std::vector<int>*>(ctx)->push_back(static_cast<int>(id));
    return 0;
  }

  // The slots of weak set `ws` whose needed bytes `text` holds (WeakSet::need_bits).
  static uint32_t meetsNeeds(const engine_internal::ChainGroup::WeakSet& ws,
                             std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    const uint64_t* bits = ws.need_bits.data();
    uint64_t m = ws.need_always, m2 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {  // two chains of ORs: every value is walked once per set
      m |= bits[p[i]] | bits[p[i + 1]];
      m2 |= bits[p[i + 2]] | bits[p[i + 3]];
    }
    for (; i < n; ++i) m |= bits[p[i]];
    m |= m2;
    return static_cast<uint32_t>(m & (m >> 32));
  }
#if defined(__x86_64__)
  // firstPairsHeld sixteen positions at a time: the bytes that start a pair are found with two
  // table lookups per byte (WeakSet::pair_lo, pair_hi: SSSE3's byte shuffle, which Hyperscan
  // needs too). Calls at(i) for each such position before the last block's end; returns where
  // the blocks stopped (or n when `at` said enough).
  template <typename At>
  [[gnu::target("ssse3")]] static size_t firstPairsByBlock(
      const engine_internal::ChainGroup::WeakSet& ws, const unsigned char* p, size_t n, At& at) {
    const __m128i lo_tbl = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ws.pair_lo.data()));
    const __m128i hi_tbl = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ws.pair_hi.data()));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      const __m128i lo = _mm_shuffle_epi8(lo_tbl, _mm_and_si128(block, nibble));
      const __m128i hi = _mm_shuffle_epi8(hi_tbl, _mm_and_si128(_mm_srli_epi16(block, 4), nibble));
      const __m128i none = _mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128());
      auto mask = static_cast<uint32_t>(_mm_movemask_epi8(none)) ^ 0xffffu;
      if (i + 16 == n) mask &= 0x7fffu;  // the last byte starts no pair
      for (; mask != 0; mask &= mask - 1)
        if (at(i + static_cast<size_t>(__builtin_ctz(mask)))) return n;
    }
    return i;
  }
#endif
  // The slots of `want` (pair-gated slots of weak set `ws`) whose matches may start with a
  // byte pair `text` holds (WeakSet::pair_entries).
  [[gnu::noinline]] static uint32_t firstPairsHeld(const engine_internal::ChainGroup::WeakSet& ws,
                                                   std::string_view text, uint32_t want) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    uint32_t found = 0;
    // The pair starting at i, when one of the gated slots' may start so: removes those slots
    // from `want`; true when none is left.
    auto at = [&](size_t i) {
      const unsigned a = p[i], c = p[i + 1];
      const auto* e = ws.pair_entries.data() + ws.pair_begin[a];
      for (const auto* end = e + ws.pair_count[a]; e != end; ++e) {
        if ((e->slots & want) == 0 || ((e->seconds[c >> 6] >> (c & 63)) & 1) == 0) continue;
        found |= e->slots & want;
        want &= ~e->slots;
        if (want == 0) return true;
      }
      return false;
    };
    size_t i = 0;
#if defined(__x86_64__)
    if (ws.pair_simd) i = firstPairsByBlock(ws, p, n, at);
    if (want == 0) return found;
#endif
    for (; i + 1 < n; ++i)
      if (ws.pair_count[p[i]] != 0 && at(i)) return found;
    return found;
  }
  static bool slotMet(uint32_t met, size_t slot) {
    return ((met >> std::min<size_t>(slot, 31)) & 1) != 0;
  }

  // The candidate patterns of a chain's group for one transformed value.
  void scanGroup(const engine_internal::ChainGroup& g, Engine::Scratch::State::Entry& e) {
    const Var var = e.var;
    const std::string_view text = e.view;
    engine_internal::Candidates& cand = e.cand;
    if (g.multi) {
      g.multi->scan(text, *s.hs, s.cand_tmp);
      cand.reset(g.patterns.size());
      for (size_t j = 0; j < g.patterns.size(); ++j)
        if (j >= s.cand_tmp.size() || s.cand_tmp[j]) cand.set(j);
      return;
    }
    filterGroup(g, e);
    size_t v = static_cast<size_t>(var);
    int set = v < g.weak_by_var.size() ? g.weak_by_var[v] : -1;
    if (set < 0) return;
    // The filter passed every weak and cheap pattern: the bytes they need, and the Hyperscan
    // prefilter of the weak ones, decide for those of the links that read this variable.
    const auto& ws = g.weak_sets[static_cast<size_t>(set)];
    uint32_t met = meetsNeeds(ws, text);
    if (const uint32_t gated = met & ws.pair_mask; gated != 0)
      met &= ~gated | firstPairsHeld(ws, text, gated);
    const bool scan = ws.multi && text.size() >= ws.min_length && (met & ws.weak_mask) != 0;
    if (scan) ws.multi->scan(text, *s.hs, s.cand_tmp);
    auto keep = [&](size_t i, bool kept) {
      const uint64_t bit = uint64_t{1} << (i & 63);
      if (kept) {
        cand.words[i >> 6] |= bit;
      } else {
        cand.words[i >> 6] &= ~bit;
      }
    };
    for (size_t j = 0; j < ws.weak.size(); ++j)
      keep(ws.weak[j], slotMet(met, j) &&
                           (!ws.multi || (scan && (j >= s.cand_tmp.size() || s.cand_tmp[j] != 0))));
    for (size_t k = 0; k < ws.cheap.size(); ++k)
      if (!slotMet(met, ws.weak.size() + k)) keep(ws.cheap[k], false);
  }

  // The literal filter's candidates (cand is resized to the group).
  void filterGroup(const engine_internal::ChainGroup& g, Engine::Scratch::State::Entry& e) {
    const std::string_view text = e.view;
    engine_internal::Candidates& cand = e.cand;
    if (!g.filter) {
      cand.copyFrom(g.always_cand);
      return;
    }
    s.atoms.clear();
    if (!g.atom_local.empty()) {
      Engine::Scratch::State::Entry& ts = *e.owner;  // the text's shared scans
      if (!ts.atoms_done) {
        ts.atoms.clear();
        const char* data = text.data() == nullptr ? "" : text.data();
        if (text.size() >= impl.shared.min_length &&
            hs_scan(impl.shared.atoms.get(), data, static_cast<unsigned>(text.size()), 0,
                    s.atoms_scratch.get(), onAtom, &ts.atoms) != HS_SUCCESS) {
          ts.atoms.assign(1, -1);  // never a false negative: every pattern is a candidate
        }
        ts.atoms_done = true;
      }
      if (!ts.atoms.empty() && ts.atoms[0] < 0) {
        cand.setAll(g.patterns.size());
        return;
      }
      for (int a : ts.atoms) {
        int local = g.atom_local[static_cast<size_t>(a)];
        if (local >= 0) s.atoms.push_back(local);
      }
    } else if (g.atoms_db) {
      const char* data = text.data() == nullptr ? "" : text.data();
      if (hs_scan(g.atoms_db.get(), data, static_cast<unsigned>(text.size()), 0,
                  s.atoms_scratch.get(), onAtom, &s.atoms) != HS_SUCCESS) {
        cand.setAll(g.patterns.size());  // never a false negative
        return;
      }
    }
    if (s.atoms.empty()) {
      // The common case (no atom in the value): the patterns without atoms, computed at load.
      cand.copyFrom(g.no_atom_cand);
      return;
    }
    std::sort(s.atoms.begin(), s.atoms.end());
    const auto chain = static_cast<uint32_t>(&g - impl.chains.data());
    s.memo_key.assign(reinterpret_cast<const char*>(&chain), sizeof chain);
    s.memo_key.append(reinterpret_cast<const char*>(s.atoms.data()), s.atoms.size() * sizeof(int));
    if (auto it = s.potentials_memo.find(s.memo_key); it != s.potentials_memo.end()) {
      cand.copyFrom(it->second);
      return;
    }
    cand.copyFrom(g.always_cand);
    s.atoms.insert(s.atoms.end(), g.forced_atoms.begin(), g.forced_atoms.end());
    s.potentials.clear();
    g.filter->AllPotentials(s.atoms, &s.potentials);
    for (int id : s.potentials) cand.set(static_cast<size_t>(g.filter_to_pattern[id]));
    if (s.potentials_memo.size() >= Engine::Scratch::State::kPotentialsMemoMax)
      s.potentials_memo.clear();
    s.potentials_memo.emplace(s.memo_key, cand);
  }

  // The entry of a value (cache key `base`, from valueKey: the value's number and its var) at a
  // TransformNode, its text transformed (once per request).
  // Inlined by hand: GCC's choice flips with the size of the callers (and cost 1 % once).
  [[gnu::always_inline]] Engine::Scratch::State::Entry& nodeEntry(uint64_t base, int node,
                                                                  std::string_view value) {
    Engine::Scratch::State::Entry& e = entrySlot(base, node);
    if (!e.transformed) transformEntry(e, base, node, value);
    return e;
  }

  [[gnu::always_inline]] Engine::Scratch::State::Entry& entrySlot(uint64_t base, int node) {
    const uint64_t number = (base >> 8) - 1;
    return s.dense_on ? s.denseEntry(number * s.node_count + static_cast<uint64_t>(node))
                      : s.lookup((base << 16) | static_cast<uint64_t>(node));
  }

  // The kinds of byte in the entry's text (textTraits), read once per text: the transforms of
  // its children need them.
  static uint32_t traitsOf(Engine::Scratch::State::Entry& e) {
    if (!e.traits_known) {
      e.traits = textTraits(e.view);
      e.traits_known = true;
    }
    return e.traits;
  }

  // Fills a new entry; the entries it needs first (its parent's, an ancestor's child's) are
  // looked up here, and filled by a recursive call only when they are new too: most are not.
  [[gnu::noinline]] void transformEntry(Engine::Scratch::State::Entry& e, uint64_t base, int node,
                                        std::string_view value) {
    e.var = static_cast<Var>(base & 0xff);
    if (node == 0) {
      e.view = value;
      e.canon = 0;
      e.owner = &e;
    } else {
      const engine_internal::TransformNode& n = impl.nodes[static_cast<size_t>(node)];
      // Entries are heap objects: `e` stays valid while the parent's and the ancestor's
      // child's entries are added.
      Engine::Scratch::State::Entry& p = entrySlot(base, n.parent);
      if (!p.transformed) transformEntry(p, base, n.parent, value);
      // The parent's text is its ancestor p.canon's: the same step on it is that ancestor's
      // child's output, when the tree has that node (Impl::node_child). That node is nearer
      // the root than `node`, so the redirection ends.
      const int same =
          p.canon == n.parent
              ? -1
              : impl.node_child[static_cast<size_t>(p.canon) * engine_internal::kTransformCount +
                                static_cast<size_t>(n.transform)];
      if (same >= 0) {
        Engine::Scratch::State::Entry& a = entrySlot(base, same);
        if (!a.transformed) transformEntry(a, base, same, value);
        e.view = a.view;
        e.canon = a.canon;
        e.owner = a.owner;
        e.traits_known = a.traits_known;
        e.traits = a.traits;
      } else if (mayChange(n.transform, traitsOf(p)) &&
                 transformChanged(n.transform, p.view, e.text)) {
        e.view = e.text;
        e.canon = node;
        e.owner = &e;
      } else {
        e.view = p.view;
        e.canon = p.canon;
        e.owner = p.owner;
        e.traits_known = true;
        e.traits = p.traits;
      }
    }
    e.transformed = true;
  }

  // The value cache's key of element i of variable v (0 for a scalar): the value's number plus
  // one, and the variable in the low byte. Never 0 (0 = not cacheable).
  uint64_t valueKey(Var v, size_t i) const {
    return ((s.value_base[static_cast<size_t>(v)] + static_cast<uint64_t>(i) + 1) << 8) |
           static_cast<uint64_t>(v);
  }

  // The transformed, scanned cache entry of element i of collection v for the link's chain.
  Engine::Scratch::State::Entry& entryFor(int chain, Var v, size_t i, std::string_view value) {
    const engine_internal::ChainGroup& g = impl.chains[static_cast<size_t>(chain)];
    Engine::Scratch::State::Entry& e = nodeEntry(valueKey(v, i), g.node, value);
    if (!e.scanned) {
      scanGroup(g, e);
      e.scanned = true;
    }
    return e;
  }

  // Whether bit `bit` of a candidate set (Entry::cand, a union) is set.
  static bool candidate(const engine_internal::Candidates& cand, int bit) {
    return cand.test(static_cast<size_t>(bit));
  }

  static int onPhraseList(unsigned int id, unsigned long long, unsigned long long, unsigned int,
                          void* ctx) {
    *static_cast<uint64_t*>(ctx) |= uint64_t{1} << id;
    return 0;
  }

  // The @pm lists found in the entry's text (SharedScan::pm): scanned once per text, whichever
  // chains' entries see it.
  uint64_t pmBits(Engine::Scratch::State::Entry& e) {
    Engine::Scratch::State::Entry& o = *e.owner;  // the text's shared scans
    if (!o.pm_scanned) {
      o.pm_scanned = true;
      o.pm_bits = 0;
      if (!impl.shared.pm) {
        o.pm_bits = ~uint64_t{0};  // cannot tell: every list may match
      } else if (o.view.size() >= impl.shared.pm_min_length &&
                 hs_scan(impl.shared.pm.get(), o.view.data(), static_cast<unsigned>(o.view.size()),
                         0, s.atoms_scratch.get(), onPhraseList, &o.pm_bits) != HS_SUCCESS) {
        o.pm_bits = ~uint64_t{0};
      }
    }
    return o.pm_bits;
  }
  bool hasPhrase(Engine::Scratch::State::Entry& e, int bit) {
    return ((pmBits(e) >> bit) & 1) != 0;
  }

  // The @pm list bits of the chain found in some value of the collection (computed once per
  // request per collection and chain).
  uint64_t collectionPhrases(int chain, Var v, const Elements& els) {
    size_t idx = static_cast<size_t>(v) * impl.chains.size() + static_cast<size_t>(chain);
    if (s.pm_union_done[idx] != s.generation) {
      const engine_internal::ChainGroup& g = impl.chains[static_cast<size_t>(chain)];
      uint64_t u = 0;
      for (size_t i = 0; i < els.size(); ++i)
        u |= pmBits(nodeEntry(valueKey(v, i), g.node, els[i].value));
      s.pm_unions[idx] = u;
      s.pm_union_done[idx] = s.generation;
    }
    return s.pm_unions[idx];
  }

  // The candidate bits of the chain's patterns for some value of the collection (computed once
  // per request per collection and chain).
  const engine_internal::Candidates& collectionCandidates(int chain, Var v, const Elements& els) {
    size_t idx = static_cast<size_t>(v) * impl.chains.size() + static_cast<size_t>(chain);
    engine_internal::Candidates& u = s.unions[idx];
    if (s.union_done[idx] != s.generation) {
      u.reset(impl.chains[static_cast<size_t>(chain)].patterns.size());
      for (size_t i = 0; i < els.size(); ++i) u.add(entryFor(chain, v, i, els[i].value).cand);
      s.union_done[idx] = s.generation;
    }
    return u;
  }

  // Runs the operator on one transformed value. `entry` (cached) enables the group prefilter.
  bool runOp(const Link& link, std::string_view text, Engine::Scratch::State::Entry* entry,
             std::string_view param) {
    if (!link.cop) return false;
    if (link.pm_bit >= 0 && entry && !hasPhrase(*entry, link.pm_bit))
      return link.op.negated;  // none of the list's phrases is in the text
    bool r;
    if (link.group_bit >= 0 && entry) {
      if (!entry->scanned) {
        scanGroup(impl.chains[link.chain], *entry);
        entry->scanned = true;
      }
      r = candidate(entry->cand, link.group_bit)
              ? link.cop->match(text, param, *s.hs, link.capture ? &s.captures : nullptr, nullptr)
              : false;
    } else if (memo_value && text.size() <= Engine::Scratch::State::kSqliMemoMaxText) {
      // @detectSQLi on a header or cookie: the verdict a previous request got for the same text.
      auto& m = s.sqli_memo[hashBytes(text) % Engine::Scratch::State::kSqliMemoSlots];
      if (!m.filled || m.text != text) {
        m.fingerprint.clear();
        m.verdict = link.cop->match(text, param, *s.hs, nullptr, &m.fingerprint);
        m.text.assign(text);
        m.filled = true;
      }
      r = m.verdict;
      if (r && link.capture && s.captures.groups.empty() && !m.fingerprint.empty())
        s.captures.groups.push_back(m.fingerprint);
    } else {
      std::string found;
      r = link.cop->match(text, param, *s.hs, link.capture ? &s.captures : nullptr,
                          link.capture ? &found : nullptr);
      if (r && link.capture && s.captures.groups.empty() && !found.empty())
        s.captures.groups.push_back(found);
    }
    if (r && link.confirm)
      r = confirm::confirmed(link.confirm, text, s.captures, [&](std::string_view rest) {
        return link.cop->match(rest, param, *s.hs, &s.captures, nullptr);
      });
    return r != link.op.negated;
  }

  // runOp for one step of a multiMatch link; its prefilter first, when it has one (the required
  // literals, Link::multi_literals, or else the Hyperscan prefilter, Link::multi_prefilter).
  bool multiMatchOp(const Link& link, std::string_view text, std::string_view param) {
    if (!link.multi_literals.empty()) {
      if (!literalsHeld(link, text)) return false;
    } else if (link.multi_prefilter) {
      link.multi_prefilter->scan(text, *s.hs, s.cand_tmp);
      if (!s.cand_tmp.empty() && !s.cand_tmp[0]) return false;  // REQUIRES: !op.negated
    }
    return runOp(link, text, nullptr, param);
  }

  static bool literalsHeld(const Link& link, std::string_view text) {
    return std::any_of(
        link.multi_literals.begin(), link.multi_literals.end(),
        [text](const std::string& lit) { return text.find(lit) != std::string_view::npos; });
  }

  // For a multiMatch link with required literals (Link::multi_creating): true when the value
  // (of these traits) holds none of them and no step of the chain can make one appear, so that
  // no step's output can match.
  static bool literalsUnreachable(const Link& link, std::string_view value, uint32_t traits) {
    if (literalsHeld(link, value)) return false;
    for (size_t k = 0; k < link.transforms.size(); ++k) {
      if (mayCreate(link.multi_creating[k], traits)) return false;
      traits = outputTraits(link.transforms[k], traits);
    }
    return true;
  }

  std::vector<std::string> last_captures;
  bool have_captures = false;

  void onMatch(const Link& link, std::string_view name_coll, std::string_view name_key,
               std::string_view value) {
    s.matched_var_name.assign(name_coll);
    if (!name_key.empty()) {
      s.matched_var_name += ':';
      s.matched_var_name += name_key;
    }
    s.matched_var.assign(value);
    // MATCHED_VARS: kept only for a next link that reads them (Link::keep_matched); the count
    // decides whether the link matched. The pairs are kept across requests, so their strings
    // reuse their buffers.
    if (link.keep_matched) {
      if (s.matched_n == s.matched.size()) s.matched.emplace_back();
      auto& [name, val] = s.matched[s.matched_n];
      name.assign(s.matched_var_name);
      val.assign(value);
    }
    ++s.matched_n;
    // This value's groups (the next evalValue clears s.captures, so they can be taken).
    const std::vector<std::string>* groups = &s.captures.groups;
    if (link.capture && !s.captures.groups.empty()) {
      last_captures.swap(s.captures.groups);
      groups = &last_captures;
      have_captures = true;
    }
    // A setvar whose NAME is built from the match (tx.header_name_%{tx.0}) runs once per matched
    // value, with that value's captures, as libmodsecurity runs a rule's setvars per match: CRS
    // 920450 records every header name this way and its chain then checks them all.
    if (link.has_per_match_setvars) {
      if (link.capture) setCaptureVars(*groups);
      for (const engine_internal::CSetVar& sv : link.setvars)
        if (sv.per_match) runSetVar(sv);
    }
  }

  // tx.0-tx.9 from a match's groups (the rest erased); pin i is tx.i (Engine::evaluate).
  void setCaptureVars(const std::vector<std::string>& groups) {
    for (size_t i = 0; i < std::size(engine_internal::kCaptureVars); ++i) {
      if (i < groups.size())
        s.vars.setPinned(i).assign(groups[i]);
      else
        s.vars.erasePinned(i);
    }
  }

  // runOp may answer @detectSQLi from Engine::Scratch::State::sqli_memo: the value is a request
  // header or cookie (set by evalValue).
  bool memo_value = false;

  // Evaluates one value of a target. cache_key 0 = not cacheable.
  void evalValue(const Link& link, std::string_view coll, std::string_view key,
                 std::string_view value, uint64_t cache_key, std::string_view param) {
    s.captures.groups.clear();
    if (link.sqli_memo) {
      const auto var = static_cast<Var>(cache_key & 0xff);
      memo_value = cache_key != 0 && (var == Var::kRequestHeaders || var == Var::kRequestCookies);
    } else {
      memo_value = false;
    }
    if (link.multi_match && cache_key != 0) {
      // The operator runs on the value and after every step that changed it: the steps' outputs
      // are the chain's nodes, cached and shared with the other chains.
      if (!link.multi_creating.empty() &&
          literalsUnreachable(link, value, traitsOf(nodeEntry(cache_key, 0, value))))
        return;
      bool any = multiMatchOp(link, value, param);
      std::string_view prev = value;
      for (int node : impl.chains[link.chain].path) {
        std::string_view cur = nodeEntry(cache_key, node, value).view;
        bool changed = cur.data() != prev.data() || cur.size() != prev.size();
        if (changed && multiMatchOp(link, cur, param)) any = true;
        prev = cur;
      }
      if (any) onMatch(link, coll, key, prev);
      return;
    }
    if (link.multi_match) {
      if (!link.multi_creating.empty() && literalsUnreachable(link, value, textTraits(value)))
        return;
      bool any = false;
      std::string cur(value), next;
      if (runOp(link, cur, nullptr, param)) any = true;
      for (Transform t : link.transforms) {
        bool changed = applyTransform(t, cur, next);
        std::swap(cur, next);
        if (changed && runOp(link, cur, nullptr, param)) any = true;
      }
      if (any) onMatch(link, coll, key, cur);
      return;
    }
    if (cache_key != 0) {
      Engine::Scratch::State::Entry& e = nodeEntry(cache_key, impl.chains[link.chain].node, value);
      if (runOp(link, e.view, &e, param)) onMatch(link, coll, key, e.view);
      return;
    }
    if (link.transforms.empty()) {
      if (runOp(link, value, nullptr, param)) onMatch(link, coll, key, value);
      return;
    }
    const std::string& t = transformInto(link, value, s.tmp2, s.tmp3);
    if (runOp(link, t, nullptr, param)) onMatch(link, coll, key, t);
  }

  // The indices of the elements of target k of the link that it selects and does not exclude
  // (a range of s.resolved_pool), computed on first use in a request and shared by every link
  // with the same targets and exclusions (Link::target_set).
  // REQUIRES: s.removed_targets is empty (ctl exclusions depend on the rule).
  std::pair<uint32_t, uint32_t> resolvedTarget(const Link& link, size_t k, const CTarget& t,
                                               const Elements& els) {
    size_t slot = impl.target_set_base[static_cast<size_t>(link.target_set)] + k;
    auto& r = s.resolved[slot];
    if (r.first == UINT32_MAX) {
      uint32_t b = static_cast<uint32_t>(s.resolved_pool.size());
      for (size_t i = 0; i < els.size(); ++i)
        if (selectorMatches(t, els[i].name) && !excluded(link, t.var, els[i].name))
          s.resolved_pool.push_back(static_cast<uint32_t>(i));
      r = {b, static_cast<uint32_t>(s.resolved_pool.size())};
    }
    return r;
  }

  void evalLink(const Link& link) {
    std::string_view param;
    if (link.dynamic_param) {  // evalLink does not nest: one buffer serves every link
      s.param_buf.clear();
      expandInto(link.param, s.param_buf);
      param = s.param_buf;
    }
    have_captures = false;
    if (link.targets.empty()) {  // SecAction: one unconditional match
      evalValue(link, "", "", "", 0, param);
      return;
    }
    for (size_t k = 0; k < link.targets.size(); ++k) {
      const CTarget& t = link.targets[k];
      std::string_view vname = cachedVarName(t.var);
      if (isRequestCollection(t.var)) {
        const auto& els = s.data.collection(t.var);
        if (t.count) {
          int64_t n = 0;
          for (const Element& e : els)
            if (selectorMatches(t, e.name) && !excluded(link, t.var, e.name)) ++n;
          std::string v = std::to_string(n);
          evalValue(link, vname, "", v, 0, param);
          continue;
        }
        if (link.group_bit >= 0 && !link.op.negated && t.key.empty() && !t.isRegex() &&
            !candidate(collectionCandidates(link.chain, t.var, els), link.group_bit))
          continue;  // no value of the collection can match the pattern
        if (s.removed_targets.empty()) {
          if (t.key.empty() && !t.isRegex() && link.excludes.empty()) {  // every element
            for (size_t i = 0; i < els.size(); ++i)
              evalValue(link, vname, els[i].name, els[i].value, valueKey(t.var, i), param);
            continue;
          }
          if (link.target_set >= 0) {  // the elements selected, resolved once per request
            auto [b, end] = resolvedTarget(link, k, t, els);
            for (uint32_t p = b; p < end; ++p) {
              uint32_t i = s.resolved_pool[p];
              evalValue(link, vname, els[i].name, els[i].value, valueKey(t.var, i), param);
            }
            continue;
          }
        }
        for (size_t i = 0; i < els.size(); ++i) {
          const Element& e = els[i];
          if (!selectorMatches(t, e.name) || excluded(link, t.var, e.name)) continue;
          evalValue(link, vname, e.name, e.value, valueKey(t.var, i), param);
        }
        continue;
      }
      if (isEngineCollection(t.var)) {
        std::string_view prefix = collectionPrefix(t.var);
        if (!t.isRegex() && !t.key.empty()) {
          const std::string* found = s.vars.find(t.full_key, t.full_key_hash);
          if (t.count) {
            evalValue(link, vname, "", found ? "1" : "0", 0, param);
            continue;
          }
          if (!found || excluded(link, t.var, t.key)) continue;
          // A copy: a setvar of this link (per match) may change or erase the variable.
          s.tx_value.assign(*found);
          evalValue(link, vname, t.key, s.tx_value, 0, param);
          continue;
        }
        walkEngineCollection(link, t, prefix, vname, param);
        continue;
      }
      switch (t.var) {
        case Var::kMatchedVars:
        case Var::kMatchedVarsNames: {
          // evalValue appends to s.matched, never to s.prev_matched.
          if (t.count) {
            evalValue(link, vname, "", std::to_string(s.prev_matched_n), 0, param);
            break;
          }
          for (size_t m = 0; m < s.prev_matched_n; ++m) {
            const auto& [n, v] = s.prev_matched[m];
            if (t.var == Var::kMatchedVars)
              evalValue(link, vname, n, v, 0, param);
            else
              evalValue(link, vname, n, n, 0, param);
          }
          break;
        }
        case Var::kMatchedVar: {
          std::string v = s.matched_var;
          evalValue(link, vname, "", v, 0, param);
          break;
        }
        case Var::kMatchedVarName: {
          std::string v = s.matched_var_name;
          evalValue(link, vname, "", v, 0, param);
          break;
        }
        case Var::kRule:
        case Var::kGeo:
        case Var::kEnv:
        case Var::kResponseBody:
        case Var::kResponseStatus:
        case Var::kResponseHeaders:
        case Var::kResponseHeadersNames:
          if (t.count) evalValue(link, vname, "", "0", 0, param);
          break;
        case Var::kDuration:
          evalValue(link, vname, "", "0", 0, param);
          break;
        default: {
          bool present = s.data.hasScalar(t.var);
          if (t.count) {
            evalValue(link, vname, "", present ? "1" : "0", 0, param);
            break;
          }
          if (!present) break;
          if (excluded(link, t.var, "")) break;
          evalValue(link, vname, "", s.data.scalar(t.var), valueKey(t.var, 0), param);
          break;
        }
      }
    }
    if (have_captures) setCaptureVars(last_captures);
  }

  // ---- actions ----
  void runSetVar(const engine_internal::CSetVar& sv) {
    const std::string* name = &sv.key;
    uint64_t h = sv.hash;
    if (sv.per_match) {
      s.setvar_name.assign(sv.collection);
      s.setvar_name += '.';
      s.expand_buf.clear();
      expandInto(sv.name, s.expand_buf);
      appendAsciiLower(s.setvar_name, s.expand_buf);
      name = &s.setvar_name;
      h = VarTable::hash(s.setvar_name);
    }
    if (sv.op == SetVar::Op::kDelete) {
      s.vars.erase(*name, h);
      return;
    }
    std::string_view value = sv.value.literal();
    if (sv.value.dynamic) {
      s.setvar_value.clear();
      expandInto(sv.value, s.setvar_value);
      value = s.setvar_value;
    }
    std::string& cur = s.vars.set(*name, h);
    if (sv.op == SetVar::Op::kSet) {
      cur.assign(value);
      return;
    }
    int64_t a = toInt(cur), b = toInt(value);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, sv.op == SetVar::Op::kAdd ? a + b : a - b);
    cur.assign(buf, r.ptr);
  }

  void runCtl(const engine_internal::CCtl& c) {
    std::string v = expand(c.value);
    auto parseTarget = [&](std::string_view text, CTarget& out) -> bool {
      auto ts = parseTargets(text);
      if (!ts || ts->empty()) return false;
      const Target& t = (*ts)[0];
      out.var = t.var;
      out.count = false;
      if (t.selector_is_regex) {
        if (!compileSelectorRegex(t.selector, out).isOk()) return false;
      } else {
        out.key.clear();
        appendAsciiLower(out.key, t.selector);
      }
      return true;
    };
    if (ieq(c.name, "ruleRemoveById")) {
      auto r = parseIdRanges(v);
      if (r)
        for (const IdRange& x : *r) s.removed_ids.push_back(x);
    } else if (ieq(c.name, "ruleRemoveByTag")) {
      s.removed_tags.push_back(v);
    } else if (ieq(c.name, "ruleRemoveTargetById") || ieq(c.name, "ruleRemoveTargetByTag")) {
      size_t semi = v.find(';');
      if (semi == std::string::npos) return;
      Engine::Scratch::State::TargetRemoval tr;
      if (!parseTarget(std::string_view(v).substr(semi + 1), tr.target)) return;
      if (ieq(c.name, "ruleRemoveTargetById")) {
        auto r = parseIdRanges(v.substr(0, semi));
        if (!r) return;
        tr.ids = std::move(r).value();
      } else {
        tr.tag = v.substr(0, semi);
      }
      s.removed_targets.push_back(std::move(tr));
    } else if (ieq(c.name, "ruleEngine")) {
      if (ieq(v, "off"))
        stop = true;
      else if (ieq(v, "detectiononly"))
        s.detection_only = true;
    }
    // requestBodyProcessor, forceRequestBodyVariable, auditEngine, auditLogParts,
    // requestBodyAccess: accepted, no effect here (the body processor is chosen by RequestData).
  }

  bool ruleRemoved(const CRule& r) const {
    for (const IdRange& x : s.removed_ids)
      if (x.contains(r.id)) return true;
    for (const auto& tag : s.removed_tags)
      for (const auto& t : r.tags)
        if (ieq(t, tag)) return true;
    return false;
  }

  // A walk of engine collection t.var (TX...) by target `t` (a selector, or all of it; a count):
  // evalValue on each variable selected, in the order this request set them (VarTable's
  // iteration order). Out of evalLink: walks are few, and evalLink's own size decides what the
  // compiler inlines into it.
  [[gnu::noinline]] void walkEngineCollection(const Link& link, const CTarget& t,
                                              std::string_view prefix, std::string_view vname,
                                              std::string_view param) {
    // Every target that walks has its memo (Engine::load numbers them).
    Engine::Scratch::State::WalkMemo& memo = s.walk_memos[static_cast<size_t>(t.walk_memo)];
    if (memo.layout != s.vars.layout()) {
      memo.by_slot.clear();
      memo.layout = s.vars.layout();
    }
    memo.by_slot.resize(s.vars.slotCount(), -1);
    // f(name without the prefix, value) for each variable the target selects.
    auto walk = [&](auto&& f) {
      s.vars.forEachSlot([&](uint32_t slot, std::string_view k, std::string_view v) {
        std::string_view n = k.substr(std::min(prefix.size(), k.size()));
        int8_t& sel = memo.by_slot[slot];
        if (sel < 0) sel = k.substr(0, prefix.size()) == prefix && selectorMatches(t, n);
        if (sel != 0 && !excluded(link, t.var, n)) f(n, v);
      });
    };
    if (t.count) {
      size_t n = 0;
      walk([&](std::string_view, std::string_view) { ++n; });
      evalValue(link, vname, "", std::to_string(n), 0, param);
      return;
    }
    if (!link.has_per_match_setvars) {
      // Only a per-match setvar (onMatch) changes the variables while a link runs: without one
      // they are matched in place.
      walk([&](std::string_view n, std::string_view v) { evalValue(link, vname, n, v, 0, param); });
      return;
    }
    // A snapshot: this link's setvars may change the variables while they are matched.
    // (evalLink does not nest, so one buffer serves.)
    s.engine_items_n = 0;
    walk([&](std::string_view n, std::string_view v) {
      if (s.engine_items_n == s.engine_items.size()) s.engine_items.emplace_back();
      auto& [item_name, item_value] = s.engine_items[s.engine_items_n++];
      item_name.assign(n);
      item_value.assign(v);
    });
    for (size_t j = 0; j < s.engine_items_n; ++j)
      evalValue(link, vname, s.engine_items[j].first, s.engine_items[j].second, 0, param);
  }

  // Returns whether the rule (the whole chain) matched.
  bool evalRule(const CRule& r) {
    rule = &r;
    s.prev_matched_n = 0;
    // A link's setvar and ctl actions run as soon as that link matches, before the next link is
    // evaluated, whether or not the rest of the chain matches (as libmodsecurity does): CRS rule
    // 920450 sets tx.header_name_<name> in its head and reads TX:/^header_name_/ in its chain.
    for (const Link& link : r.links) {
      s.matched_n = 0;
      evalLink(link);
      if (s.matched_n == 0) return false;
      std::swap(s.prev_matched, s.matched);
      std::swap(s.prev_matched_n, s.matched_n);
      for (const engine_internal::CSetVar& sv : link.setvars)  // per-match ones ran in onMatch
        if (!sv.per_match) runSetVar(sv);
      for (const engine_internal::CCtl& c : link.ctls) runCtl(c);
      if (stop) return false;
    }
    if (r.log && r.id != 0) {
      MatchedRule m;
      m.id = r.id;
      m.msg = expand(r.msg_macro);
      m.data = expand(r.logdata_macro);
      if (m.data.size() > 200) m.data.resize(200);
      m.severity = std::string(severityName(r.severity));
      m.matched_var = s.matched_var_name;
      out.matched.push_back(std::move(m));
      out.matched_ids.push_back(r.id);
    }
    switch (r.disruptive) {
      case Disruptive::kDeny:
      case Disruptive::kDrop:
      case Disruptive::kRedirect:
        if (!s.detection_only && impl.mode == Engine::Impl::Mode::kOn && !out.intercepted) {
          out.intercepted = true;
          out.status = r.status;
          out.intercepting_rule = r.id;
          stop = true;
        }
        break;
      case Disruptive::kAllow:
        stop = true;
        break;
      default:
        break;
    }
    return true;
  }

  // Whether no value the quick step's rule reads can match its head link's pattern or @pm list
  // (Step::sig). Computes and caches the same candidate bits the rule's own evaluation would.
  bool quickReject(const Step& st) {
    const auto k = static_cast<size_t>(st.sig);
    const engine_internal::QuickSig& q = impl.quick_sigs[k];
    if (q.steps == 1) return quickRejectAlone(q, static_cast<size_t>(st.group_bit));
    if (s.sig_done[k] != s.generation) sigUnion(q, k);
    if (q.pm) return ((s.sig_pm[k] >> st.group_bit) & 1) == 0;
    return !candidate(s.sig_cand[k], st.group_bit);
  }

  // Visits what quick signature q reads: coll(v, elements) per non-empty collection read whole,
  // value(v, index, text) per named element and request scalar. Stops at, and returns true on,
  // the first visit that returns true.
  template <typename Coll, typename Value>
  bool visitSig(const engine_internal::QuickSig& q, Coll&& coll, Value&& value) {
    for (uint64_t m = q.collections; m != 0; m &= m - 1) {
      const auto v = static_cast<Var>(__builtin_ctzll(m));
      const auto& els = s.data.collection(v);
      if (!els.empty() && coll(v, els)) return true;
    }
    for (uint32_t j = q.keys_begin; j < q.keys_end; ++j) {
      const engine_internal::QuickKey& key = impl.quick_keys[j];
      const auto& els = s.data.collection(key.var);
      for (size_t i = 0; i < els.size(); ++i)
        if (ieq(key.key, els[i].name) && value(key.var, i, els[i].value)) return true;
    }
    for (uint64_t m = q.scalars; m != 0; m &= m - 1) {
      const auto v = static_cast<Var>(__builtin_ctzll(m));
      if (s.data.hasScalar(v) && value(v, 0, s.data.scalar(v))) return true;
    }
    return false;
  }

  // quickReject of the one step of a signature: whether no value has the bit, value by value
  // (each value's bits and each collection's union are cached as the union's are).
  bool quickRejectAlone(const engine_internal::QuickSig& q, size_t bit) {
    const engine_internal::ChainGroup& g = impl.chains[static_cast<size_t>(q.chain)];
    return !visitSig(
        q,
        [&](Var v, const Elements& els) {
          return q.pm ? ((collectionPhrases(q.chain, v, els) >> bit) & 1) != 0
                      : collectionCandidates(q.chain, v, els).test(bit);
        },
        [&](Var v, size_t i, std::string_view value) {
          if (q.pm) return ((pmBits(nodeEntry(valueKey(v, i), g.node, value)) >> bit) & 1) != 0;
          return entryFor(q.chain, v, i, value).cand.test(bit);
        });
  }

  // The union of the candidate bits (or @pm bits) of every value quick signature k reads.
  void sigUnion(const engine_internal::QuickSig& q, size_t k) {
    const engine_internal::ChainGroup& g = impl.chains[static_cast<size_t>(q.chain)];
    engine_internal::Candidates& u = s.sig_cand[k];
    uint64_t pm = 0;
    if (!q.pm) u.reset(g.patterns.size());
    visitSig(
        q,
        [&](Var v, const Elements& els) {
          if (q.pm) {
            pm |= collectionPhrases(q.chain, v, els);
          } else {
            u.add(collectionCandidates(q.chain, v, els));
          }
          return false;
        },
        [&](Var v, size_t i, std::string_view value) {
          if (q.pm) {
            pm |= pmBits(nodeEntry(valueKey(v, i), g.node, value));
          } else {
            u.add(entryFor(q.chain, v, i, value).cand);
          }
          return false;
        });
    s.sig_pm[k] = pm;
    s.sig_done[k] = s.generation;
  }

  // A TxStep rule: what evalRule would decide, and the match state it would leave (a later
  // rule may read MATCHED_VAR and MATCHED_VAR_NAME: the last value matched; MATCHED_VARS starts
  // empty in every rule).
  bool txDecide(const engine_internal::TxStep& x) {
    for (const engine_internal::TxStep::Cond& c : x.links) {
      bool any = false;
      for (const engine_internal::TxStep::Target& t : c.targets) {
        const std::string* v = s.vars.find(t.full_key, t.hash);
        std::string_view value;
        if (t.count) {
          value = v != nullptr ? "1" : "0";
        } else if (v == nullptr) {
          continue;  // no value: nothing to match, negated or not
        } else {
          value = *v;
        }
        const bool m = c.comparison != CompiledOperator::Comparison::kNone
                           ? compareNumbers(c.comparison, numericValue(value), c.number)
                           : c.cop->match(value, {}, *s.hs, nullptr, nullptr);
        if (m == c.negated) continue;
        any = true;
        if (impl.matched_var_unread) continue;
        // The gates repeat the same value and name: compared, they are cheaper than assigned.
        if (s.matched_var != value) s.matched_var.assign(value);
        if (s.matched_var_name != t.matched_name) s.matched_var_name.assign(t.matched_name);
      }
      if (!any) return false;
    }
    return true;
  }

  // Runs steps from `start`. record_at > 0: once execution reaches step record_at or beyond,
  // records Scratch::State::fixed there (the steps before it are request-independent).
  void runPhase(const std::vector<Step>& phase, size_t start = 0, size_t record_at = 0) {
    // The steps never change while a request runs: their count and address are read once (the
    // compiler cannot know that across the calls below).
    const Step* const steps = phase.data();
    const size_t count = phase.size();
    size_t i = start;
    while (i < count && !stop) {
      if (record_at > 0 && i >= record_at) {
        recordFixed(i);
        record_at = 0;
      }
      const Step& st = steps[i];
      if (st.rule < 0 || (st.sig >= 0 && quickReject(st))) {
        ++i;
        continue;
      }
      if (st.tx >= 0 && !removals()) {
        const auto k = static_cast<size_t>(st.tx);
        const bool m = frozen_tx != nullptr && frozen_tx[k] >= 0 ? frozen_tx[k] != 0
                                                                 : txDecide(impl.tx_steps[k]);
        i = m && st.skip_to >= 0 ? static_cast<size_t>(st.skip_to) : i + 1;
        continue;
      }
      const CRule& r = impl.rules[st.rule];
      if (removals() && ruleRemoved(r)) {
        ++i;
        continue;
      }
      bool m = evalRule(r);
      if (stop) return;
      if (m && st.skip_to >= 0) {
        i = static_cast<size_t>(st.skip_to);
        continue;
      }
      ++i;
      if (m && r.skip > 0) {
        int n = r.skip;
        while (i < count && n > 0) {
          if (steps[i].rule != Step::kMarker) --n;
          ++i;
        }
      }
    }
    if (record_at > 0 && i >= record_at) recordFixed(i);  // the whole phase was fixed
  }

  void recordFixed(size_t resume) {
    auto& f = s.fixed;
    f.serial = impl.serial;
    f.usable = !stop && out.matched.empty() && !out.intercepted && !removals();
    f.vars.clear();
    // In the order the start set them: restoring them in this order sets them so again.
    s.vars.forEachSlot([&](uint32_t slot, std::string_view k, std::string_view v) {
      f.vars.push_back({std::string(k), std::string(v), engine_internal::VarTable::hash(k), slot});
    });
    f.layout = s.vars.layout();
    f.matched_var = s.matched_var;
    f.matched_var_name = s.matched_var_name;
    f.resume = resume;
    // A frozen TxStep reads only variables no later step writes: decided on them now, it
    // decides the same wherever it runs after `resume` (txDecide changes nothing here: frozen
    // implies Impl::matched_var_unread).
    f.tx_decisions.assign(impl.tx_steps.size(), -1);
    for (size_t k = 0; k < impl.tx_steps.size(); ++k)
      if (impl.tx_steps[k].frozen) f.tx_decisions[k] = txDecide(impl.tx_steps[k]) ? 1 : 0;
  }

  // Starts from the recorded FixedStart: the variables as the fixed steps leave them. Returns the
  // step to go on from.
  size_t restoreFixed() {
    auto& f = s.fixed;
    if (f.layout != s.vars.layout()) {  // the table forgot its names: number them again
      for (auto& v : f.vars) v.slot = s.vars.slotOf(v.key, v.hash);
      f.layout = s.vars.layout();
    }
    for (const auto& v : f.vars) s.vars.setSlot(v.slot).assign(v.value);
    s.matched_var.assign(f.matched_var);
    s.matched_var_name.assign(f.matched_var_name);
    return f.resume;
  }

  // FixedStart::tx_decisions, when this request started from the FixedStart; else null.
  const int8_t* frozen_tx = nullptr;

  int64_t txInt(std::string_view name) const {
    const std::string* v = s.vars.find(name, VarTable::hash(name));
    return v ? toInt(*v) : 0;
  }
};

}  // namespace

void Engine::evaluate(const HttpRequestView& request, Scratch& scratch, Verdict& out) const {
  Scratch::State& s = scratch.state();
  out.clear();
  if (impl_->mode == Impl::Mode::kOff) return;
  s.data.build(request);
  s.vars.clear();
  if (s.vars.pinCount() == 0) {
    for (std::string_view k : engine_internal::kCaptureVars)
      s.vars.pin(k, engine_internal::VarTable::hash(k));
  }
  s.resetCache();
  if (s.walk_serial != impl_->serial) {
    s.walk_memos.assign(static_cast<size_t>(impl_->walk_memo_count), {});
    s.walk_serial = impl_->serial;
  }
  s.numberValues(impl_->nodes.size());
  s.resolved.assign(impl_->target_set_base.empty() ? 0 : impl_->target_set_base.back(),
                    {UINT32_MAX, UINT32_MAX});
  s.resolved_pool.clear();
  s.removed_ids.clear();
  s.removed_tags.clear();
  s.removed_targets.clear();
  s.detection_only = impl_->mode == Impl::Mode::kDetectionOnly;
  s.matched_n = 0;
  s.prev_matched_n = 0;
  s.matched_var.clear();
  s.matched_var_name.clear();
  Evaluator ev{*impl_, s, out};
  if (impl_->fixed_steps == 0) {
    ev.runPhase(impl_->phases[0]);
  } else if (s.fixed.serial != impl_->serial) {
    ev.runPhase(impl_->phases[0], 0, impl_->fixed_steps);
  } else if (s.fixed.usable) {
    ev.frozen_tx = s.fixed.tx_decisions.data();
    ev.runPhase(impl_->phases[0], ev.restoreFixed());
  } else {
    ev.runPhase(impl_->phases[0]);
  }
  if (!ev.stop) ev.runPhase(impl_->phases[1]);
  for (const engine_internal::VerdictVar& v : engine_internal::kVerdictVars)
    out.*v.field = ev.txInt(v.name);
  if (out.anomaly_score == 0) {
    // Blocked or stopped before 949's summation: add the per-level counters.
    for (std::string_view name : engine_internal::kLevelScoreVars)
      out.anomaly_score += ev.txInt(name);
  }
  out.waf_score = attackScore(out.anomaly_score);
  out.waf_sqli = attackScore(out.sqli);
  out.waf_xss = attackScore(out.xss);
  out.waf_rce = attackScore(out.rce);
}

}  // namespace shipgate::managed

namespace shipgate::managed::engine_internal {

Macro compileMacro(std::string_view t) {
  Macro m;
  auto literal = [&](std::string_view text) {
    if (text.empty()) return;
    if (!m.parts.empty() && m.parts.back().kind == MacroPart::Kind::kLiteral) {
      m.parts.back().text += text;
    } else {
      m.parts.push_back({MacroPart::Kind::kLiteral, Var::kArgs, std::string(text), 0});
    }
  };
  auto ref = [&](MacroPart::Kind kind, Var var = Var::kArgs, std::string text = {}) {
    m.parts.push_back({kind, var, std::move(text), 0});
    m.dynamic = true;
  };
  // One %{...} reference; one that names nothing expands to nothing.
  auto reference = [&](std::string_view r) {
    size_t dot = r.find('.');
    if (dot == std::string_view::npos) {
      auto var = parseVar(r);
      if (!var) return;
      if (*var == Var::kMatchedVar) {
        ref(MacroPart::Kind::kMatchedVar);
      } else if (*var == Var::kMatchedVarName) {
        ref(MacroPart::Kind::kMatchedVarName);
      } else if (!isCollection(*var)) {
        ref(MacroPart::Kind::kScalar, *var);
      }
      return;
    }
    std::string_view coll = r.substr(0, dot), key = r.substr(dot + 1);
    if (ieq(coll, "rule")) {
      if (ieq(key, "id")) ref(MacroPart::Kind::kRuleId);
      if (ieq(key, "msg")) ref(MacroPart::Kind::kRuleMsg);
      if (ieq(key, "logdata")) ref(MacroPart::Kind::kRuleLogdata);
      if (ieq(key, "severity")) ref(MacroPart::Kind::kRuleSeverity);
      return;
    }
    auto var = parseVar(coll);
    if (!var) return;
    if (isEngineCollection(*var)) {
      std::string name(collectionPrefix(*var));
      appendAsciiLower(name, key);
      ref(MacroPart::Kind::kEngineVar, *var, std::move(name));
      MacroPart& part = m.parts.back();
      part.hash = VarTable::hash(part.text);
      for (size_t i = 0; i < std::size(kCaptureVars); ++i)
        if (part.text == kCaptureVars[i]) part.pin = static_cast<int8_t>(i);
    } else if (isRequestCollection(*var)) {
      ref(MacroPart::Kind::kRequestVar, *var, std::string(key));
    }
  };
  size_t i = 0;
  while (i < t.size()) {
    size_t p = t.find("%{", i);
    size_t e = p == std::string_view::npos ? p : t.find('}', p + 2);
    if (e == std::string_view::npos) {  // no reference, or an unterminated one: literal text
      literal(t.substr(i));
      break;
    }
    literal(t.substr(i, p - i));
    reference(t.substr(p + 2, e - p - 2));
    i = e + 1;
  }
  return m;
}

}  // namespace shipgate::managed::engine_internal
