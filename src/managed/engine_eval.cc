// Engine::evaluate: phases 1 and 2 of the compiled rule set against one request.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "engine_impl.h"

namespace shipgate::managed {

using engine_internal::CRule;
using engine_internal::CTarget;
using engine_internal::Link;
using engine_internal::Step;

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
  std::fill(table.begin(), table.end(), std::pair<uint64_t, uint32_t>{0, 0});
  used = 0;
}

Engine::Scratch::State::Entry& Engine::Scratch::State::lookup(uint64_t key) {
  if ((used + 1) * 2 >= table.size()) {
    // Grow and re-insert (keys are kept in a parallel walk of the old table).
    std::vector<std::pair<uint64_t, uint32_t>> old;
    old.swap(table);
    table.assign(old.size() * 2, {0, 0});
    size_t mask = table.size() - 1;
    for (const auto& kv : old) {
      if (kv.first == 0) continue;
      size_t h = mixKey(kv.first) & mask;
      while (table[h].first != 0) h = (h + 1) & mask;
      table[h] = kv;
    }
  }
  size_t mask = table.size() - 1;
  size_t h = mixKey(key) & mask;
  while (table[h].first != 0) {
    if (table[h].first == key) return *entries[table[h].second];
    h = (h + 1) & mask;
  }
  if (used == entries.size()) entries.push_back(std::make_unique<Entry>());
  Entry& e = *entries[used];
  e.transformed = false;
  e.scanned = false;
  e.identity = false;
  table[h] = {key, static_cast<uint32_t>(used)};
  ++used;
  return e;
}

namespace {

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

void appendLower(std::string& out, std::string_view s) {
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
}

int64_t toInt(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  int64_t v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool isRequestCollection(Var v) {
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

bool isEngineCollection(Var v) {
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

  // ---- macros ----
  void resolve(std::string_view ref, std::string& dst, int depth) {
    std::string_view coll = ref, key;
    size_t dot = ref.find('.');
    if (dot != std::string_view::npos) {
      coll = ref.substr(0, dot);
      key = ref.substr(dot + 1);
    }
    if (dot != std::string_view::npos) {
      if (ieq(coll, "rule")) {
        if (!rule) return;
        if (ieq(key, "id"))
          dst += std::to_string(rule->id);
        else if (ieq(key, "msg") && depth < 2)
          expandInto(rule->msg, dst, depth + 1);
        else if (ieq(key, "logdata") && depth < 2)
          expandInto(rule->logdata, dst, depth + 1);
        else if (ieq(key, "severity"))
          dst += severityName(rule->severity);
        return;
      }
      auto var = parseVar(coll);
      if (!var) return;
      if (isEngineCollection(*var)) {
        s.name_buf.assign(collectionPrefix(*var));
        appendLower(s.name_buf, key);
        auto it = s.vars.find(s.name_buf);
        if (it != s.vars.end()) dst += it->second;
        return;
      }
      if (isRequestCollection(*var)) {
        for (const Element& e : s.data.collection(*var)) {
          if (ieq(e.name, key)) {
            dst += e.value;
            return;
          }
        }
      }
      return;
    }
    auto var = parseVar(ref);
    if (!var) return;
    if (*var == Var::kMatchedVar) {
      dst += s.matched_var;
      return;
    }
    if (*var == Var::kMatchedVarName) {
      dst += s.matched_var_name;
      return;
    }
    if (!isCollection(*var)) dst += s.data.scalar(*var);
  }

  void expandInto(std::string_view t, std::string& dst, int depth = 0) {
    size_t i = 0;
    while (i < t.size()) {
      size_t p = t.find("%{", i);
      if (p == std::string_view::npos) {
        dst.append(t.substr(i));
        return;
      }
      size_t e = t.find('}', p + 2);
      if (e == std::string_view::npos) {
        dst.append(t.substr(i));
        return;
      }
      dst.append(t.substr(i, p - i));
      resolve(t.substr(p + 2, e - p - 2), dst, depth);
      i = e + 1;
    }
  }

  std::string expand(std::string_view t) {
    std::string r;
    if (t.find("%{") == std::string_view::npos) {
      r.assign(t);
      return r;
    }
    expandInto(t, r);
    return r;
  }

  // ---- targets ----
  bool excluded(const Link& link, Var v, std::string_view name) const {
    auto hit = [&](const CTarget& x) {
      if (x.var != v) return false;
      if (x.re) return x.re->match(name);
      if (x.key.empty()) return true;
      return ieq(x.key, name);
    };
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

  static bool selected(const CTarget& t, std::string_view name) {
    if (t.re) return t.re->match(name);
    if (t.key.empty()) return true;
    return ieq(t.key, name);
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

  // The candidate patterns of a chain's group for one transformed value.
  void scanGroup(const engine_internal::ChainGroup& g, std::string_view text,
                 std::vector<uint8_t>& cand) {
    if (g.multi) {
      g.multi->scan(text, *s.hs, cand);
      return;
    }
    cand.assign(g.patterns.size(), 0);
    filterGroup(g, text, cand);
    if (g.weak_multi) {
      // The filter passed every weak pattern: the Hyperscan prefilter decides for them.
      g.weak_multi->scan(text, *s.hs, s.cand_tmp);
      for (size_t j = 0; j < g.weak.size(); ++j)
        cand[g.weak[j]] = j < s.cand_tmp.size() ? s.cand_tmp[j] : 1;
    }
  }

  // The literal filter's candidates (cand is zeroed, sized to the group).
  void filterGroup(const engine_internal::ChainGroup& g, std::string_view text,
                   std::vector<uint8_t>& cand) {
    for (uint32_t i : g.always) cand[i] = 1;
    if (!g.filter) return;
    s.atoms.clear();
    if (g.atoms_db) {
      const char* data = text.data() == nullptr ? "" : text.data();
      if (hs_scan(g.atoms_db.get(), data, static_cast<unsigned>(text.size()), 0,
                  s.atoms_scratch.get(), onAtom, &s.atoms) != HS_SUCCESS) {
        std::fill(cand.begin(), cand.end(), 1);  // never a false negative
        return;
      }
    }
    if (s.atoms.empty()) {
      // The common case (no atom in the value): the patterns without atoms, computed at load.
      for (uint32_t i : g.unfiltered) cand[i] = 1;
      return;
    }
    s.atoms.insert(s.atoms.end(), g.forced_atoms.begin(), g.forced_atoms.end());
    s.potentials.clear();
    g.filter->AllPotentials(s.atoms, &s.potentials);
    for (int id : s.potentials) cand[g.filter_to_pattern[id]] = 1;
  }

  // The transformed, scanned cache entry of element i of collection v for the link's chain.
  Engine::Scratch::State::Entry& entryFor(const Link& link, Var v, size_t i,
                                          std::string_view value) {
    uint64_t key = ((static_cast<uint64_t>(v) + 1) << 48) |
                   (static_cast<uint64_t>(i & 0xffffffff) << 16) |
                   static_cast<uint64_t>(link.chain);
    Engine::Scratch::State::Entry& e = s.lookup(key);
    if (!e.transformed) {
      if (link.transforms.empty())
        e.identity = true;
      else
        transformInto(link, value, e.text, s.tmp1);
      e.transformed = true;
    }
    if (!e.scanned) {
      scanGroup(impl.chains[link.chain], e.identity ? value : std::string_view(e.text), e.cand);
      e.scanned = true;
    }
    return e;
  }

  // Whether some value of the collection is a candidate for the link's grouped pattern.
  bool anyCandidate(const Link& link, Var v, const std::vector<Element>& els) {
    size_t idx = static_cast<size_t>(v) * impl.chains.size() + static_cast<size_t>(link.chain);
    std::vector<uint8_t>& u = s.unions[idx];
    if (!s.union_done[idx]) {
      u.assign(impl.chains[link.chain].patterns.size(), 0);
      for (size_t i = 0; i < els.size(); ++i) {
        const auto& e = entryFor(link, v, i, els[i].value);
        size_t n = std::min(e.cand.size(), u.size()), b = 0;
        for (; b + 8 <= n; b += 8) {  // eight candidate bytes at a time
          uint64_t x, y;
          std::memcpy(&x, u.data() + b, 8);
          std::memcpy(&y, e.cand.data() + b, 8);
          x |= y;
          std::memcpy(u.data() + b, &x, 8);
        }
        for (; b < n; ++b) u[b] |= e.cand[b];
      }
      s.union_done[idx] = 1;
    }
    return static_cast<size_t>(link.group_bit) < u.size() && u[link.group_bit];
  }

  // Runs the operator on one transformed value. `entry` (cached) enables the group prefilter.
  bool runOp(const Link& link, std::string_view text, Engine::Scratch::State::Entry* entry,
             std::string_view param) {
    if (!link.cop) return false;
    bool r;
    if (link.group_bit >= 0 && entry) {
      if (!entry->scanned) {
        scanGroup(impl.chains[link.chain], text, entry->cand);
        entry->scanned = true;
      }
      r = static_cast<size_t>(link.group_bit) < entry->cand.size() && entry->cand[link.group_bit]
              ? link.cop->match(text, param, *s.hs, link.capture ? &s.captures : nullptr, nullptr)
              : false;
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

  std::vector<std::string> last_captures;
  bool have_captures = false;

  void onMatch(const Link& link, std::string_view name_coll, std::string_view name_key,
               std::string_view value) {
    std::string name(name_coll);
    if (!name_key.empty()) {
      name += ':';
      name += name_key;
    }
    s.matched.emplace_back(name, std::string(value));
    s.matched_var.assign(value);
    s.matched_var_name = std::move(name);
    if (link.capture && !s.captures.groups.empty()) {
      last_captures = s.captures.groups;
      have_captures = true;
    }
    // A setvar whose NAME is built from the match (tx.header_name_%{tx.0}) runs once per matched
    // value, with that value's captures, as libmodsecurity runs a rule's setvars per match: CRS
    // 920450 records every header name this way and its chain then checks them all.
    if (link.has_per_match_setvars) {
      if (link.capture) setCaptureVars(s.captures.groups);
      for (const SetVar& sv : link.setvars)
        if (perMatch(sv)) runSetVar(sv);
    }
  }

  static bool perMatch(const SetVar& sv) { return sv.name.find("%{") != std::string::npos; }

  void setCaptureVars(const std::vector<std::string>& groups) {
    for (size_t i = 0; i < 10; ++i) {
      std::string k = "tx." + std::to_string(i);
      if (i < groups.size())
        s.vars[k] = groups[i];
      else
        s.vars.erase(k);
    }
  }

  // Evaluates one value of a target. cache_key 0 = not cacheable.
  void evalValue(const Link& link, std::string_view coll, std::string_view key,
                 std::string_view value, uint64_t cache_key, std::string_view param) {
    s.captures.groups.clear();
    if (link.multi_match) {
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
      Engine::Scratch::State::Entry& e = s.lookup(cache_key | static_cast<uint64_t>(link.chain));
      std::string_view text;
      if (!e.transformed) {
        if (link.transforms.empty()) {
          e.identity = true;
        } else {
          transformInto(link, value, e.text, s.tmp1);
        }
        e.transformed = true;
      }
      text = e.identity ? value : std::string_view(e.text);
      if (runOp(link, text, &e, param)) onMatch(link, coll, key, text);
      return;
    }
    const std::string& t = transformInto(link, value, s.tmp2, s.tmp3);
    if (runOp(link, t, nullptr, param)) {
      std::string copy = t;
      onMatch(link, coll, key, copy);
    }
  }

  void evalLink(const Link& link) {
    std::string param;
    if (link.cop && link.cop->dynamicParam()) param = expand(link.op.param);
    have_captures = false;
    if (link.targets.empty()) {  // SecAction: one unconditional match
      evalValue(link, "", "", "", 0, param);
      return;
    }
    for (const CTarget& t : link.targets) {
      std::string_view vname = cachedVarName(t.var);
      if (isRequestCollection(t.var)) {
        const auto& els = s.data.collection(t.var);
        if (t.count) {
          int64_t n = 0;
          for (const Element& e : els)
            if (selected(t, e.name) && !excluded(link, t.var, e.name)) ++n;
          std::string v = std::to_string(n);
          evalValue(link, vname, "", v, 0, param);
          continue;
        }
        if (link.group_bit >= 0 && !link.op.negated && t.key.empty() && !t.re &&
            !anyCandidate(link, t.var, els))
          continue;  // no value of the collection can match the pattern
        for (size_t i = 0; i < els.size(); ++i) {
          const Element& e = els[i];
          if (!selected(t, e.name) || excluded(link, t.var, e.name)) continue;
          uint64_t key = ((static_cast<uint64_t>(t.var) + 1) << 48) |
                         (static_cast<uint64_t>(i & 0xffffffff) << 16);
          evalValue(link, vname, e.name, e.value, key, param);
        }
        continue;
      }
      if (isEngineCollection(t.var)) {
        std::string_view prefix = collectionPrefix(t.var);
        if (!t.re && !t.key.empty()) {
          s.name_buf.assign(prefix);
          s.name_buf += t.key;
          auto it = s.vars.find(s.name_buf);
          if (t.count) {
            evalValue(link, vname, "", it == s.vars.end() ? "0" : "1", 0, param);
            continue;
          }
          if (it == s.vars.end() || excluded(link, t.var, t.key)) continue;
          std::string v = it->second;
          evalValue(link, vname, t.key, v, 0, param);
          continue;
        }
        // Snapshot: matching may not touch vars, but keep the walk simple and safe.
        std::vector<std::pair<std::string, std::string>> items;
        for (const auto& [k, v] : s.vars) {
          if (k.compare(0, prefix.size(), prefix) != 0) continue;
          std::string_view n = std::string_view(k).substr(prefix.size());
          if (!selected(t, n) || excluded(link, t.var, n)) continue;
          items.emplace_back(std::string(n), v);
        }
        if (t.count) {
          evalValue(link, vname, "", std::to_string(items.size()), 0, param);
          continue;
        }
        for (const auto& [n, v] : items) evalValue(link, vname, n, v, 0, param);
        continue;
      }
      switch (t.var) {
        case Var::kMatchedVars:
        case Var::kMatchedVarsNames: {
          auto prev = s.prev_matched;  // copy: evalValue appends to s.matched, not prev
          if (t.count) {
            evalValue(link, vname, "", std::to_string(prev.size()), 0, param);
            break;
          }
          for (const auto& [n, v] : prev) {
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
          uint64_t key = (static_cast<uint64_t>(t.var) + 1) << 48;
          evalValue(link, vname, "", s.data.scalar(t.var), key, param);
          break;
        }
      }
    }
    if (have_captures) setCaptureVars(last_captures);
  }

  // ---- actions ----
  void runSetVar(const SetVar& sv) {
    std::string name = sv.collection + ".";
    appendLower(name, expand(sv.name));
    if (sv.op == SetVar::Op::kDelete) {
      s.vars.erase(name);
      return;
    }
    std::string value = expand(sv.value);
    if (sv.op == SetVar::Op::kSet) {
      s.vars[name] = std::move(value);
      return;
    }
    auto& cur = s.vars[name];
    int64_t a = toInt(cur), b = toInt(value);
    cur = std::to_string(sv.op == SetVar::Op::kAdd ? a + b : a - b);
  }

  void runCtl(const Ctl& c) {
    std::string v = expand(c.value);
    auto parseTarget = [&](std::string_view text, CTarget& out) -> bool {
      auto ts = parseTargets(text);
      if (!ts || ts->empty()) return false;
      const Target& t = (*ts)[0];
      out.var = t.var;
      out.count = false;
      if (t.selector_is_regex) {
        auto re = Regex::compile("(?i)" + t.selector);
        if (!re) return false;
        out.re = std::shared_ptr<Regex>(std::move(re).value().release());
      } else {
        out.key.clear();
        appendLower(out.key, t.selector);
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

  // Returns whether the rule (the whole chain) matched.
  bool evalRule(const CRule& r) {
    rule = &r;
    s.prev_matched.clear();
    // A link's setvar and ctl actions run as soon as that link matches, before the next link is
    // evaluated, whether or not the rest of the chain matches (as libmodsecurity does): CRS rule
    // 920450 sets tx.header_name_<name> in its head and reads TX:/^header_name_/ in its chain.
    for (const Link& link : r.links) {
      s.matched.clear();
      evalLink(link);
      if (s.matched.empty()) return false;
      std::swap(s.prev_matched, s.matched);
      for (const SetVar& sv : link.setvars)
        if (!link.has_per_match_setvars || !perMatch(sv)) runSetVar(sv);  // per-match ones ran
      for (const Ctl& c : link.ctls) runCtl(c);
      if (stop) return false;
    }
    if (r.log && r.id != 0) {
      MatchedRule m;
      m.id = r.id;
      m.msg = expand(r.msg);
      m.data = expand(r.logdata);
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

  void runPhase(const std::vector<Step>& steps) {
    size_t i = 0;
    while (i < steps.size() && !stop) {
      const Step& st = steps[i];
      if (st.rule < 0) {
        ++i;
        continue;
      }
      const CRule& r = impl.rules[st.rule];
      if ((!s.removed_ids.empty() || !s.removed_tags.empty()) && ruleRemoved(r)) {
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
        while (i < steps.size() && n > 0) {
          if (steps[i].rule >= 0) --n;
          ++i;
        }
      }
    }
  }

  int64_t txInt(const char* name) const {
    auto it = s.vars.find(name);
    return it == s.vars.end() ? 0 : toInt(it->second);
  }
};

}  // namespace

void Engine::evaluate(const HttpRequestView& request, Scratch& scratch, Verdict& out) const {
  Scratch::State& s = scratch.state();
  out.clear();
  if (impl_->mode == Impl::Mode::kOff) return;
  s.data.build(request);
  s.vars.clear();
  s.resetCache();
  std::fill(s.union_done.begin(), s.union_done.end(), 0);
  s.removed_ids.clear();
  s.removed_tags.clear();
  s.removed_targets.clear();
  s.detection_only = impl_->mode == Impl::Mode::kDetectionOnly;
  s.matched.clear();
  s.prev_matched.clear();
  s.matched_var.clear();
  s.matched_var_name.clear();
  Evaluator ev{*impl_, s, out};
  ev.runPhase(impl_->phases[0]);
  if (!ev.stop) ev.runPhase(impl_->phases[1]);
  out.anomaly_score = ev.txInt("tx.anomaly_score");
  out.sqli = ev.txInt("tx.sql_injection_score");
  out.xss = ev.txInt("tx.xss_score");
  out.rce = ev.txInt("tx.rce_score");
  out.lfi = ev.txInt("tx.lfi_score");
  out.rfi = ev.txInt("tx.rfi_score");
  out.php = ev.txInt("tx.php_injection_score");
  out.protocol = ev.txInt("tx.http_violation_score");
  out.session = ev.txInt("tx.session_fixation_score");
  if (out.anomaly_score == 0) {
    // Blocked or stopped before 949's summation: add the per-level counters.
    out.anomaly_score = ev.txInt("tx.anomaly_score_pl1") + ev.txInt("tx.anomaly_score_pl2") +
                        ev.txInt("tx.anomaly_score_pl3") + ev.txInt("tx.anomaly_score_pl4");
  }
  out.waf_score = attackScore(out.anomaly_score);
  out.waf_sqli = attackScore(out.sqli);
  out.waf_xss = attackScore(out.xss);
  out.waf_rce = attackScore(out.rce);
}

}  // namespace shipgate::managed
