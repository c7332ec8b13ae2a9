// Operators of the SecRule language: PCRE2 Regex, Hyperscan MultiRegex (prefilter) and PhraseSet
// (literal mode), and CompiledOperator for every operator the CRS uses. See operators.h.
#include "shipgate/managed/operators.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <hs/hs.h>
#include <pcre2.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "shipgate/common/mutex.h"
#include "shipgate/common/strings.h"
#include "shipgate/managed/detect.h"
#include "transform_impl.h"

namespace shipgate::managed {
namespace {

std::atomic<uint32_t> g_match_limit{Regex::kDefaultMatchLimit};
std::atomic<uint64_t> g_limit_hits{0};

// Per-thread PCRE2 state: match data for 10 groups + whole match, a match context carrying the
// limit and a JIT stack big enough for the CRS's longest alternations.
struct PcreThreadState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* ctx = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  uint32_t limit = 0;
  PcreThreadState() {
    data = pcre2_match_data_create(16, nullptr);
    ctx = pcre2_match_context_create(nullptr);
    jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, nullptr);
    if (ctx && jit_stack) pcre2_jit_stack_assign(ctx, nullptr, jit_stack);
  }
  ~PcreThreadState() {
    if (jit_stack) pcre2_jit_stack_free(jit_stack);
    if (ctx) pcre2_match_context_free(ctx);
    if (data) pcre2_match_data_free(data);
  }
  PcreThreadState(const PcreThreadState&) = delete;
  PcreThreadState& operator=(const PcreThreadState&) = delete;
  void syncLimit() {
    uint32_t want = g_match_limit.load(std::memory_order_relaxed);
    if (want != limit) {
      limit = want;
      pcre2_set_match_limit(ctx, want == 0 ? UINT32_MAX : want);
      pcre2_set_depth_limit(ctx, want == 0 ? UINT32_MAX : want);
    }
  }
};

PcreThreadState& pcreState() {
  thread_local PcreThreadState state;
  state.syncLimit();
  return state;
}

std::string pcreMessage(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof(buf)) < 0)
    return "PCRE2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buf));
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::notFound("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Files of @pmFromFile / @ipMatchFromFile: space-separated, relative to the data directory.
Result<std::vector<std::string>> readDataFiles(std::string_view param, const OperatorEnv& env,
                                               std::string_view op) {
  std::vector<std::string> lines;
  std::vector<std::string> files = splitAsciiSpace(param);
  if (files.empty()) return Status::invalidArgument("@" + std::string(op) + " needs a file name");
  for (const std::string& f : files) {
    if (f.rfind("http://", 0) == 0 || f.rfind("https://", 0) == 0) {
      return Status::invalidArgument("unsupported operator @" + std::string(op) +
                                     ": remote data file " + f + " (only local files are read)");
    }
    std::string path = f;
    if (path.front() != '/' && !env.data_dir.empty()) path = env.data_dir + "/" + f;
    auto text = readFile(path);
    if (!text) {
      return Status::invalidArgument("@" + std::string(op) + ": cannot read data file " + path);
    }
    for (auto& l : parseDataFile(*text)) lines.push_back(std::move(l));
  }
  return lines;
}

// ---- IP networks ----
struct IpNet {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};
  int prefix = 0;
};

bool parseIp(std::string_view text, bool* v6, std::array<uint8_t, 16>* out) {
  std::string s(trimAsciiSpace(text));
  out->fill(0);
  if (s.find(':') != std::string::npos) {
    *v6 = true;
    return inet_pton(AF_INET6, s.c_str(), out->data()) == 1;
  }
  *v6 = false;
  return inet_pton(AF_INET, s.c_str(), out->data()) == 1;
}

Result<std::vector<IpNet>> parseIpList(const std::vector<std::string>& items) {
  std::vector<IpNet> nets;
  for (const std::string& raw : items) {
    std::string_view item = trimAsciiSpace(raw);
    if (item.empty()) continue;
    IpNet n;
    size_t slash = item.find('/');
    std::string_view addr = item.substr(0, slash);
    if (!parseIp(addr, &n.v6, &n.addr)) {
      return Status::invalidArgument("@ipMatch: not an IP address or CIDR range: " +
                                     std::string(item));
    }
    int max = n.v6 ? 128 : 32;
    n.prefix = max;
    if (slash != std::string_view::npos) {
      std::string_view p = item.substr(slash + 1);
      if (p.empty() || p.size() > 3 ||
          !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Status::invalidArgument("@ipMatch: bad prefix length in " + std::string(item));
      }
      n.prefix = std::stoi(std::string(p));
      if (n.prefix > max) {
        return Status::invalidArgument("@ipMatch: prefix length over " + std::to_string(max) +
                                       " in " + std::string(item));
      }
    }
    nets.push_back(n);
  }
  return nets;
}

std::vector<std::string> splitIpParam(std::string_view param) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : param) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool ipInNets(std::string_view value, const std::vector<IpNet>& nets) {
  bool v6 = false;
  std::array<uint8_t, 16> a{};
  if (!parseIp(value, &v6, &a)) return false;
  for (const IpNet& n : nets) {
    if (n.v6 != v6) continue;
    int full = n.prefix / 8;
    if (std::memcmp(a.data(), n.addr.data(), full) != 0) continue;
    int rest = n.prefix % 8;
    if (rest != 0) {
      uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
      if ((a[full] & mask) != (n.addr[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

// ---- @validateByteRange ----
Result<std::array<bool, 256>> parseByteRanges(std::string_view param) {
  std::array<bool, 256> ok{};
  size_t pos = 0;
  bool any = false;
  while (pos <= param.size()) {
    size_t comma = param.find(',', pos);
    std::string_view item = trimAsciiSpace(
        param.substr(pos, comma == std::string_view::npos ? param.npos : comma - pos));
    if (!item.empty()) {
      size_t dash = item.find('-');
      auto num = [](std::string_view t, int* out) {
        t = trimAsciiSpace(t);
        if (t.empty() || t.size() > 3) return false;
        int v = 0;
        for (char c : t) {
          if (c < '0' || c > '9') return false;
          v = v * 10 + (c - '0');
        }
        if (v > 255) return false;
        *out = v;
        return true;
      };
      int lo = 0;
      int hi = 0;
      bool good = dash == std::string_view::npos
                      ? num(item, &lo) && (hi = lo, true)
                      : num(item.substr(0, dash), &lo) && num(item.substr(dash + 1), &hi);
      if (!good || lo > hi) {
        return Status::invalidArgument("@validateByteRange: bad range \"" + std::string(item) +
                                       "\" (want N or N-M with 0 <= N <= M <= 255)");
      }
      for (int b = lo; b <= hi; ++b) ok[b] = true;
      any = true;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (!any) return Status::invalidArgument("@validateByteRange needs at least one range");
  return ok;
}

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// True when `v` has a % not followed by two hex digits.
bool invalidUrlEncoding(std::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') continue;
    if (i + 2 >= v.size()) return true;  // fewer than two characters left
    if (!isHex(v[i + 1]) || !isHex(v[i + 2])) return true;
    i += 2;
  }
  return false;
}

// True when `v` is not well-formed UTF-8: a stray continuation byte, an invalid lead byte
// (0xC0, 0xC1, 0xF5..0xFF), a truncated sequence, a bad continuation, an overlong form, a
// surrogate (U+D800..U+DFFF) or a code point above U+10FFFF.
bool invalidUtf8(std::string_view v) {
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  size_t n = v.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return true;  // continuation byte without a lead, or 0xF8..0xFF
    }
    if (i + len > n) return true;
    for (int k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return true;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
      return true;  // overlong
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return true;
    i += len;
  }
  return false;
}

bool isWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

bool containsWord(std::string_view value, std::string_view word) {
  if (word.empty()) return true;
  size_t pos = 0;
  while ((pos = value.find(word, pos)) != std::string_view::npos) {
    bool left = pos == 0 || !isWordChar(value[pos - 1]);
    size_t end = pos + word.size();
    bool right = end >= value.size() || !isWordChar(value[end]);
    if (left && right) return true;
    ++pos;
  }
  return false;
}

// ---- Hyperscan helpers ----
struct MatchCollector {
  std::vector<uint8_t>* candidates;
};

int onCandidate(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
                unsigned int /*flags*/, void* ctx) {
  auto* c = static_cast<MatchCollector*>(ctx);
  if (id < c->candidates->size()) (*c->candidates)[id] = 1;
  return 0;
}

struct PhraseHit {
  bool found = false;
  unsigned int id = 0;
};

int onPhrase(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned int /*flags*/, void* ctx) {
  auto* h = static_cast<PhraseHit*>(ctx);
  h->found = true;
  h->id = id;
  return 1;  // the first match (smallest end offset) is enough
}

Status growScratch(void* db, MultiRegex::Scratch& scratch) {
  if (db == nullptr) return Status::success();
  auto* s = static_cast<hs_scratch_t*>(scratch.hs);
  hs_error_t err = hs_alloc_scratch(static_cast<hs_database_t*>(db), &s);
  scratch.hs = s;
  if (err != HS_SUCCESS) {
    return Status::internal("hs_alloc_scratch failed (" + std::to_string(err) + ")");
  }
  return Status::success();
}

Status prepareScratch(void* db, std::unique_ptr<MultiRegex::Scratch>& scratch) {
  if (!scratch) scratch = MultiRegex::newScratch();
  return growScratch(db, *scratch);
}

// ---- the on-disk cache of compiled MultiRegex databases ----
Mutex g_cache_mu;
std::optional<std::string> g_cache_dir GUARDED_BY(g_cache_mu);  // MultiRegex::setCacheDir

constexpr char kCacheMagic[8] = {'S', 'G', 'H', 'S', 'C', 'A', '0', '1'};

struct Fnv {
  uint64_t h;
  explicit Fnv(uint64_t seed) : h(seed) {}
  void add(std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  }
  void addNum(uint64_t v) {
    char b[8];
    std::memcpy(b, &v, 8);
    add(std::string_view(b, 8));
  }
};

std::string cacheKey(const std::vector<std::string>& patterns, unsigned flags) {
  Fnv a(1469598103934665603ULL);
  Fnv b(0x9E3779B97F4A7C15ULL);
  for (Fnv* f : {&a, &b}) {
    f->add(hs_version());
    f->addNum(flags);
    f->addNum(patterns.size());
    for (const std::string& p : patterns) {
      f->addNum(p.size());
      f->add(p);
    }
  }
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(a.h),
                static_cast<unsigned long long>(b.h));
  return buf;
}

void putU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }

bool getU32(std::string_view& in, uint32_t* v) {
  if (in.size() < 4) return false;
  std::memcpy(v, in.data(), 4);
  in.remove_prefix(4);
  return true;
}

// Cache entry: magic, pattern count, always count, (index, message length, message)..., then
// Hyperscan's serialized database (possibly empty).
bool loadCached(const std::string& path, size_t count, void** db, std::vector<uint32_t>* always,
                std::vector<std::string>* rejections) {
  auto text = readFile(path);
  if (!text) return false;
  std::string_view in = *text;
  if (in.size() < sizeof(kCacheMagic) || std::memcmp(in.data(), kCacheMagic, 8) != 0) return false;
  in.remove_prefix(8);
  uint32_t n = 0;
  uint32_t na = 0;
  if (!getU32(in, &n) || n != count || !getU32(in, &na) || na > count) return false;
  std::vector<uint32_t> a;
  std::vector<std::string> r;
  for (uint32_t k = 0; k < na; ++k) {
    uint32_t idx = 0;
    uint32_t len = 0;
    if (!getU32(in, &idx) || idx >= count || !getU32(in, &len) || len > in.size()) return false;
    a.push_back(idx);
    r.emplace_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  hs_database_t* d = nullptr;
  if (!in.empty()) {
    if (hs_deserialize_database(in.data(), in.size(), &d) != HS_SUCCESS) return false;
  } else if (na != count) {
    return false;
  }
  *db = d;
  *always = std::move(a);
  *rejections = std::move(r);
  return true;
}

void storeCached(const std::string& dir, const std::string& path, size_t count, void* db,
                 const std::vector<uint32_t>& always, const std::vector<std::string>& rejections) {
  std::string out(kCacheMagic, 8);
  putU32(out, static_cast<uint32_t>(count));
  putU32(out, static_cast<uint32_t>(always.size()));
  for (size_t k = 0; k < always.size(); ++k) {
    putU32(out, always[k]);
    putU32(out, static_cast<uint32_t>(rejections[k].size()));
    out += rejections[k];
  }
  if (db != nullptr) {
    char* bytes = nullptr;
    size_t len = 0;
    if (hs_serialize_database(static_cast<hs_database_t*>(db), &bytes, &len) != HS_SUCCESS) return;
    out.append(bytes, len);
    std::free(bytes);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return;
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(reinterpret_cast<uintptr_t>(&out));
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return;
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!f) {
      f.close();
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

// ModSecurity's numeric operators read both sides like atoi (see operators.h).
int64_t numericValue(std::string_view s) {
  // Most TX values the numeric operators read are one digit ("1", "5").
  if (s.size() == 1) return s[0] >= '0' && s[0] <= '9' ? s[0] - '0' : 0;
  size_t i = 0;
  // isspace in the C locale, without the locale lookup (the numeric operators run on every
  // request: the CRS's paranoia-level and setup rules compare TX variables).
  while (i < s.size() && detail::isSpace(static_cast<unsigned char>(s[i]))) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  }
  int64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (INT64_MAX - 9) / 10) {
      v = INT64_MAX;
      break;
    }
    v = v * 10 + (s[i] - '0');
  }
  return neg ? -v : v;
}

// ================= Regex =================

Result<std::unique_ptr<Regex>> Regex::compile(std::string_view pattern) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &err, &offset, nullptr);
  if (code == nullptr) {
    return Status::invalidArgument("invalid regular expression at offset " +
                                   std::to_string(offset) + ": " + pcreMessage(err));
  }
  std::unique_ptr<Regex> re(new Regex());
  re->pattern_ = std::string(pattern);
  re->code_ = code;
  re->jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  re->whole_ = pattern == "^.*$" || pattern == ".*" || pattern == "^.*" || pattern == ".*$";
  return re;
}

namespace {

// `pattern` compiled as Regex::compile does, without JIT, to read what PCRE2 knows of it. Null
// when it does not compile.
std::unique_ptr<pcre2_code, decltype(&pcre2_code_free)> compileForInfo(std::string_view pattern) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  return {pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                        PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &err, &offset, nullptr),
          &pcre2_code_free};
}

}  // namespace

bool Regex::firstBytes(std::string_view pattern, std::array<uint64_t, 4>* bytes) {
  auto code = compileForInfo(pattern);
  if (!code) return false;
  uint32_t min_length = 0, type = 0;
  if (pcre2_pattern_info(code.get(), PCRE2_INFO_MINLENGTH, &min_length) != 0 || min_length == 0 ||
      pcre2_pattern_info(code.get(), PCRE2_INFO_FIRSTCODETYPE, &type) != 0) {
    return false;
  }
  bytes->fill(0);
  auto add = [bytes](uint32_t b) { (*bytes)[b >> 6] |= uint64_t{1} << (b & 63); };
  if (type == 1) {  // one first byte; PCRE2 does not say whether it is caseless: take both cases
    uint32_t unit = 0;
    if (pcre2_pattern_info(code.get(), PCRE2_INFO_FIRSTCODEUNIT, &unit) != 0 || unit > 0x7f)
      return false;
    add(unit);
    if (unit >= 'a' && unit <= 'z') add(unit - 32);
    if (unit >= 'A' && unit <= 'Z') add(unit + 32);
    return true;
  }
  const uint8_t* map = nullptr;
  if (pcre2_pattern_info(code.get(), PCRE2_INFO_FIRSTBITMAP, &map) != 0 || map == nullptr)
    return false;
  for (uint32_t b = 0; b < 256; ++b)
    if ((map[b >> 3] >> (b & 7)) & 1) add(b);
  return true;
}

bool Regex::firstPairs(std::string_view pattern, size_t max_first,
                       std::vector<std::pair<uint8_t, std::array<uint64_t, 4>>>* rows) {
  rows->clear();
  auto code = compileForInfo(pattern);
  if (!code) return false;
  uint32_t min_length = 0, lookbehind = 0;
  if (pcre2_pattern_info(code.get(), PCRE2_INFO_MINLENGTH, &min_length) != 0 || min_length < 2 ||
      pcre2_pattern_info(code.get(), PCRE2_INFO_MAXLOOKBEHIND, &lookbehind) != 0) {
    return false;
  }
  // What a match start can see before it. With no lookbehind, nothing: a test at the start of
  // the two bytes shows every case. A one-byte lookbehind that comes only from `\b`, `\B` or `\A`
  // (no lookbehind group, no verb or alpha assertion) sees whether there is a byte before, and
  // whether it is a word byte (the default tables: no UCP, no locale): the start of the text, a
  // word byte and a non-word byte before the pair show every case. Any other lookbehind reads
  // bytes a pair does not show.
  std::vector<std::string> befores{""};
  if (lookbehind != 0) {
    if (lookbehind > 1 || pattern.find("(?<=") != std::string_view::npos ||
        pattern.find("(?<!") != std::string_view::npos ||
        pattern.find("(*") != std::string_view::npos) {
      return false;
    }
    befores = {"", "a", " "};
  }
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create(1, nullptr), &pcre2_match_data_free);
  if (!md) return false;
  // A match can start with `text` (after one of `befores`) when an anchored match there
  // succeeds, or runs out of text before it fails (hard partial: more text could complete it).
  // PCRE2's DFA matcher decides: it follows every path byte by byte, where the backtracking
  // matcher fails `.{3}` on two bytes without a partial match (it inspects none of them). A
  // pattern the DFA matcher does not run (back-references, recursion) gets no pairs.
  std::string subject;
  std::array<int, 2000> workspace{};
  bool unknown = false;
  auto canStart = [&](std::string_view text) {
    for (const std::string& before : befores) {
      subject.assign(before).append(text);
      int rc = pcre2_dfa_match(code.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                               subject.size(), before.size(), PCRE2_ANCHORED | PCRE2_PARTIAL_HARD,
                               md.get(), nullptr, workspace.data(), workspace.size());
      if (rc >= 0 || rc == PCRE2_ERROR_PARTIAL) return true;
      if (rc != PCRE2_ERROR_NOMATCH) unknown = true;
    }
    return false;
  };
  std::vector<char> firsts;
  for (unsigned a = 0; a < 256 && !unknown; ++a) {
    const char first = static_cast<char>(a);
    if (!canStart({&first, 1})) continue;
    if (firsts.size() == max_first) return false;
    firsts.push_back(first);
  }
  for (char a : firsts) {
    std::array<uint64_t, 4> seconds{};
    for (unsigned b = 0; b < 256 && !unknown; ++b) {
      const char two[2] = {a, static_cast<char>(b)};
      if (canStart({two, 2})) seconds[b >> 6] |= uint64_t{1} << (b & 63);
    }
    if (seconds != std::array<uint64_t, 4>{}) rows->emplace_back(static_cast<uint8_t>(a), seconds);
  }
  if (unknown) rows->clear();
  return !unknown;
}

uint32_t Regex::minLength(std::string_view pattern) {
  auto code = compileForInfo(pattern);
  uint32_t min_length = 0;
  if (!code || pcre2_pattern_info(code.get(), PCRE2_INFO_MINLENGTH, &min_length) != 0) return 0;
  return min_length;
}

Regex::~Regex() {
  if (code_ != nullptr) pcre2_code_free(static_cast<pcre2_code*>(code_));
}

void Regex::setMatchLimit(uint32_t limit) { g_match_limit.store(limit); }
uint32_t Regex::matchLimit() { return g_match_limit.load(); }
uint64_t Regex::matchLimitHits() { return g_limit_hits.load(); }

bool Regex::match(std::string_view text, Captures* captures) const {
  if (whole_) {
    if (captures != nullptr) {
      captures->groups.resize(1);
      captures->groups[0].assign(text);
    }
    return true;
  }
  PcreThreadState& st = pcreState();
  if (st.data == nullptr || st.ctx == nullptr) return false;
  auto* code = static_cast<pcre2_code*>(code_);
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data() == nullptr ? "" : text.data());
  // pcre2_jit_match skips pcre2_match's checks and dispatch, which cost more than a typical CRS
  // pattern's compiled code itself (the engine runs ~150 of them per ordinary request).
  int rc = jit_ ? pcre2_jit_match(code, subject, text.size(), 0, 0, st.data, st.ctx)
                : pcre2_match(code, subject, text.size(), 0, 0, st.data, st.ctx);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    // The JIT ran out of stack: try the interpreter, still bounded by the match limit.
    rc = pcre2_match(code, subject, text.size(), 0, PCRE2_NO_JIT, st.data, st.ctx);
  }
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    g_limit_hits.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (captures != nullptr) {
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.data);
    uint32_t pairs = pcre2_get_ovector_count(st.data);
    uint32_t n = rc == 0 ? pairs : static_cast<uint32_t>(rc);
    n = std::min<uint32_t>(n, 10);
    captures->groups.clear();
    for (uint32_t i = 0; i < n; ++i) {
      if (ov[2 * i] == PCRE2_UNSET || ov[2 * i + 1] < ov[2 * i]) {
        captures->groups.emplace_back();
      } else {
        captures->groups.emplace_back(text.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
      }
    }
  }
  return true;
}

// ================= MultiRegex =================

MultiRegex::Scratch::~Scratch() {
  if (hs != nullptr) hs_free_scratch(static_cast<hs_scratch_t*>(hs));
}

void MultiRegex::setCacheDir(std::string dir) {
  MutexLock lock(g_cache_mu);
  g_cache_dir = std::move(dir);
}

std::string MultiRegex::cacheDir() {
  {
    MutexLock lock(g_cache_mu);
    if (g_cache_dir) return *g_cache_dir;
  }
  if (const char* d = std::getenv("SHIPGATE_HS_CACHE_DIR")) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x == '/') {
    return std::string(x) + "/shipgate/hyperscan";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/') {
    return std::string(h) + "/.cache/shipgate/hyperscan";
  }
  return "";
}

Result<std::unique_ptr<MultiRegex>> MultiRegex::compile(const std::vector<std::string>& patterns) {
  std::unique_ptr<MultiRegex> m(new MultiRegex());
  m->count_ = patterns.size();
  const unsigned kFlags =
      HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL | HS_FLAG_ALLOWEMPTY;
  const std::string cache_dir = patterns.empty() ? std::string() : cacheDir();
  std::string cache_path;
  if (!cache_dir.empty()) {
    cache_path = cache_dir + "/" + cacheKey(patterns, kFlags) + ".hsdb";
    if (loadCached(cache_path, patterns.size(), &m->db_, &m->always_, &m->rejections_)) {
      m->from_cache_ = true;
      return m;
    }
  }
  std::vector<uint32_t> live;  // indices still in the set
  live.reserve(patterns.size());
  for (uint32_t i = 0; i < patterns.size(); ++i) {
    // Hyperscan takes NUL-terminated expressions: a pattern with a NUL byte cannot be given.
    if (patterns[i].find('\0') != std::string::npos) {
      m->always_.push_back(i);
      m->rejections_.push_back("pattern contains a NUL byte");
    } else {
      live.push_back(i);
    }
  }
  // Compile the set; when Hyperscan names one expression it rejects, move that one to always_
  // and retry. An error without an expression index (resource limits) puts every pattern in
  // always_ only if compiling them one by one also fails.
  while (!live.empty()) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags(live.size(), kFlags);
    std::vector<unsigned> ids;
    exprs.reserve(live.size());
    for (uint32_t i : live) {
      exprs.push_back(patterns[i].c_str());
      ids.push_back(i);
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    hs_error_t rc =
        hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db, &err);
    if (rc == HS_SUCCESS) {
      m->db_ = db;
      break;
    }
    int bad = err != nullptr ? err->expression : -1;
    std::string msg = err != nullptr && err->message != nullptr ? err->message : "compile failed";
    hs_free_compile_error(err);
    if (bad >= 0 && static_cast<size_t>(bad) < live.size()) {
      m->always_.push_back(live[bad]);
      m->rejections_.push_back(msg);
      live.erase(live.begin() + bad);
      continue;
    }
    // No culprit named: find them one at a time.
    std::vector<uint32_t> keep;
    for (uint32_t i : live) {
      hs_database_t* one = nullptr;
      hs_compile_error_t* e1 = nullptr;
      if (hs_compile(patterns[i].c_str(), kFlags, HS_MODE_BLOCK, nullptr, &one, &e1) ==
          HS_SUCCESS) {
        hs_free_database(one);
        keep.push_back(i);
      } else {
        m->always_.push_back(i);
        m->rejections_.push_back(e1 != nullptr && e1->message != nullptr ? e1->message
                                                                         : "compile failed");
        hs_free_compile_error(e1);
      }
    }
    if (keep.size() == live.size()) {
      // Each compiles alone but not together (a size limit): give up grouping them.
      for (uint32_t i : keep) {
        m->always_.push_back(i);
        m->rejections_.push_back(msg);
      }
      keep.clear();
    }
    live = std::move(keep);
  }
  // Keep always_ and rejections_ in the same (index) order.
  std::vector<size_t> order(m->always_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return m->always_[a] < m->always_[b]; });
  std::vector<uint32_t> a2;
  std::vector<std::string> r2;
  for (size_t i : order) {
    a2.push_back(m->always_[i]);
    r2.push_back(std::move(m->rejections_[i]));
  }
  m->always_ = std::move(a2);
  m->rejections_ = std::move(r2);
  if (!cache_path.empty()) {
    storeCached(cache_dir, cache_path, m->count_, m->db_, m->always_, m->rejections_);
  }
  return m;
}

MultiRegex::~MultiRegex() {
  if (db_ != nullptr) hs_free_database(static_cast<hs_database_t*>(db_));
}

Status MultiRegex::prepare(std::unique_ptr<Scratch>& scratch) const {
  return prepareScratch(db_, scratch);
}

void MultiRegex::scan(std::string_view text, Scratch& scratch,
                      std::vector<uint8_t>& candidates) const {
  candidates.assign(count_, 0);
  for (uint32_t i : always_) candidates[i] = 1;
  if (db_ == nullptr) return;
  auto* db = static_cast<hs_database_t*>(db_);
  MatchCollector c{&candidates};
  const char* data = text.data() == nullptr ? "" : text.data();
  auto run = [&] {
    return hs_scan(db, data, static_cast<unsigned>(text.size()), 0,
                   static_cast<hs_scratch_t*>(scratch.hs), onCandidate, &c);
  };
  hs_error_t rc = scratch.hs == nullptr ? HS_INVALID : run();
  if (rc == HS_INVALID || rc == HS_SCRATCH_IN_USE) {
    if (rc == HS_INVALID && growScratch(db_, scratch).isOk()) rc = run();
  }
  if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
    std::fill(candidates.begin(), candidates.end(), 1);  // never a false negative
  }
}

// ================= PhraseSet =================

Result<std::unique_ptr<PhraseSet>> PhraseSet::compile(const std::vector<std::string>& phrases) {
  std::unique_ptr<PhraseSet> p(new PhraseSet());
  for (const std::string& ph : phrases) {
    if (!ph.empty()) p->phrases_.push_back(ph);
  }
  if (p->phrases_.empty()) return p;
  std::vector<const char*> exprs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags(p->phrases_.size(), HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
  std::vector<unsigned> ids;
  for (unsigned i = 0; i < p->phrases_.size(); ++i) {
    exprs.push_back(p->phrases_[i].data());
    lens.push_back(p->phrases_[i].size());
    ids.push_back(i);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) != HS_SUCCESS) {
    std::string msg = err != nullptr && err->message != nullptr ? err->message : "compile failed";
    hs_free_compile_error(err);
    return Status::invalidArgument("phrase list does not compile: " + msg);
  }
  p->db_ = db;
  return p;
}

PhraseSet::~PhraseSet() {
  if (db_ != nullptr) hs_free_database(static_cast<hs_database_t*>(db_));
}

Status PhraseSet::prepare(std::unique_ptr<MultiRegex::Scratch>& scratch) const {
  return prepareScratch(db_, scratch);
}

bool PhraseSet::match(std::string_view text, MultiRegex::Scratch& scratch,
                      std::string* found) const {
  if (db_ == nullptr) return false;
  PhraseHit hit;
  const char* data = text.data() == nullptr ? "" : text.data();
  auto run = [&] {
    return hs_scan(static_cast<hs_database_t*>(db_), data, static_cast<unsigned>(text.size()), 0,
                   static_cast<hs_scratch_t*>(scratch.hs), onPhrase, &hit);
  };
  hs_error_t rc = scratch.hs == nullptr ? HS_INVALID : run();
  if (rc == HS_INVALID && growScratch(db_, scratch).isOk()) rc = run();
  if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
    // Fall back to a plain case-insensitive search rather than miss.
    for (const std::string& ph : phrases_) {
      if (containsLowerNeedle(text, asciiLowerCopy(ph))) {
        if (found != nullptr) *found = ph;
        return true;
      }
    }
    return false;
  }
  if (!hit.found) return false;
  if (found != nullptr) *found = phrases_[hit.id];
  return true;
}

// ================= CompiledOperator =================
namespace {

enum class Kind {
  kRx,
  kPm,
  kStreq,
  kContains,
  kContainsWord,
  kBeginsWith,
  kEndsWith,
  kWithin,
  kStrmatch,
  kEq,
  kGe,
  kGt,
  kLe,
  kLt,
  kIpMatch,
  kValidateByteRange,
  kValidateUrlEncoding,
  kValidateUtf8Encoding,
  kDetectSqli,
  kDetectXss,
  kUnconditional,
  kNoMatch,
};

// The numeric operators' comparison (kNone for the others); Kind lists them in
// Comparison's order.
CompiledOperator::Comparison comparisonOf(Kind k) {
  if (k < Kind::kEq || k > Kind::kLt) return CompiledOperator::Comparison::kNone;
  return static_cast<CompiledOperator::Comparison>(static_cast<int>(k) -
                                                   static_cast<int>(Kind::kEq) + 1);
}

class Op final : public CompiledOperator {
 public:
  Op(Kind kind, std::string name, std::string param, bool dynamic)
      : kind_(kind), param_(std::move(param)) {
    name_ = std::move(name);
    dynamic_ = dynamic;
    number_ = numericValue(param_);
    if (!dynamic) comparison_ = comparisonOf(kind);
  }

  std::unique_ptr<Regex> regex;
  std::unique_ptr<PhraseSet> phrases;
  std::vector<IpNet> nets;
  std::array<bool, 256> bytes{};
  // @validateByteRange with a static range that leaves out at most four byte values (the CRS's
  // "1-255" leaves out NUL): those values, found with memchr. Empty: test every byte.
  std::string few_forbidden;

  std::string_view groupablePattern() const override {
    // A pattern every text matches gains nothing from a prefilter.
    return kind_ == Kind::kRx && !dynamic_ && regex && !regex->matchesEverything()
               ? std::string_view(regex->pattern())
               : std::string_view();
  }

  const std::vector<std::string>* phraseList() const override {
    return kind_ == Kind::kPm && !dynamic_ && phrases ? &phrases->phrases() : nullptr;
  }

  Status prepare(std::unique_ptr<MultiRegex::Scratch>& scratch) const override {
    if (phrases) return phrases->prepare(scratch);
    if (!scratch) scratch = MultiRegex::newScratch();
    return Status::success();
  }

  // The numeric operators' parameter: read once when it is static.
  int64_t number(std::string_view p) const { return dynamic_ ? numericValue(p) : number_; }

  bool match(std::string_view value, std::string_view param, MultiRegex::Scratch& scratch,
             Captures* captures, std::string* matched) const override {
    std::string_view p = dynamic_ ? param : std::string_view(param_);
    switch (kind_) {
      case Kind::kRx: {
        const Regex* re = regex.get();
        if (dynamic_) re = dynamicRegex(p);
        if (re == nullptr) return false;
        Captures local;
        Captures* cap = captures != nullptr ? captures : (matched != nullptr ? &local : nullptr);
        if (!re->match(value, cap)) return false;
        if (matched != nullptr && cap != nullptr && !cap->groups.empty()) {
          *matched = cap->groups[0];
        }
        return true;
      }
      case Kind::kPm: {
        if (!dynamic_) return phrases->match(value, scratch, matched);
        for (const std::string& ph : splitAsciiSpace(p)) {
          if (containsLowerNeedle(value, asciiLowerCopy(ph))) {
            if (matched != nullptr) *matched = ph;
            return true;
          }
        }
        return false;
      }
      case Kind::kStreq:
        return value == p && setMatched(matched, value);
      case Kind::kContains:
        return value.find(p) != std::string_view::npos && setMatched(matched, p);
      case Kind::kStrmatch:
        return value.find(p) != std::string_view::npos && setMatched(matched, p);
      case Kind::kContainsWord:
        return containsWord(value, p) && setMatched(matched, p);
      case Kind::kBeginsWith:
        return value.substr(0, p.size()) == p && value.size() >= p.size() && setMatched(matched, p);
      case Kind::kEndsWith:
        return value.size() >= p.size() && value.substr(value.size() - p.size()) == p &&
               setMatched(matched, p);
      case Kind::kWithin:
        // containsBytes, not find(): the CRS's lists (tx.restricted_headers "/proxy/ /if/ ...")
        // repeat the first byte of every value looked up in them, where find() stops at each.
        return containsBytes(p, value) && setMatched(matched, value);
      case Kind::kEq:
      case Kind::kGe:
      case Kind::kGt:
      case Kind::kLe:
      case Kind::kLt:
        return compareNumbers(comparisonOf(kind_), numericValue(value), number(p));
      case Kind::kIpMatch: {
        if (!dynamic_) return ipInNets(value, nets);
        auto n = parseIpList(splitIpParam(p));
        return n.isOk() && ipInNets(value, *n);
      }
      case Kind::kValidateByteRange: {
        if (!few_forbidden.empty()) {  // the first byte outside the range, if any
          const char* first = nullptr;
          for (char b : few_forbidden) {
            size_t span =
                first != nullptr ? static_cast<size_t>(first - value.data()) : value.size();
            if (span == 0) break;
            const void* at = std::memchr(value.data(), b, span);
            if (at != nullptr) first = static_cast<const char*>(at);
          }
          if (first == nullptr) return false;
          if (matched != nullptr) *matched = std::string(1, *first);
          return true;
        }
        std::array<bool, 256> dynamic_ok{};
        const std::array<bool, 256>* ok_ptr = &bytes;
        if (dynamic_) {
          auto r = parseByteRanges(p);
          if (!r) return false;
          dynamic_ok = *r;
          ok_ptr = &dynamic_ok;
        }
        const std::array<bool, 256>& ok = *ok_ptr;
        for (unsigned char c : value) {
          if (!ok[c]) {
            if (matched != nullptr) *matched = std::string(1, static_cast<char>(c));
            return true;
          }
        }
        return false;
      }
      case Kind::kValidateUrlEncoding:
        return invalidUrlEncoding(value);
      case Kind::kValidateUtf8Encoding:
        return invalidUtf8(value);
      case Kind::kDetectSqli: {
        std::string fp;
        if (!detectSqli(value, &fp)) return false;
        if (matched != nullptr) *matched = fp;
        return true;
      }
      case Kind::kDetectXss:
        return detectXss(value) && setMatched(matched, value);
      case Kind::kUnconditional:
        return true;
      case Kind::kNoMatch:
        return false;
    }
    return false;
  }

 private:
  static bool setMatched(std::string* matched, std::string_view v) {
    if (matched != nullptr) *matched = std::string(v);
    return true;
  }

  // @rx with %{macros}: compiled on use, a few kept per thread.
  static const Regex* dynamicRegex(std::string_view pattern) {
    thread_local std::unordered_map<std::string, std::unique_ptr<Regex>> cache;
    auto it = cache.find(std::string(pattern));
    if (it != cache.end()) return it->second.get();
    if (cache.size() >= 64) cache.clear();
    auto re = Regex::compile(pattern);
    std::unique_ptr<Regex> ptr = re.isOk() ? std::move(re).value() : nullptr;
    const Regex* raw = ptr.get();
    cache.emplace(std::string(pattern), std::move(ptr));
    return raw;
  }

  Kind kind_;
  std::string param_;
};

struct Unsupported {
  const char* name;
  const char* why;
};

constexpr Unsupported kUnsupported[] = {
    {"rbl", "needs DNS lookups of a real-time block list on the request path"},
    {"geolookup", "needs a GeoIP database"},
    {"inspectfile", "runs an external program per uploaded file"},
    {"fuzzyhash", "needs ssdeep fuzzy hashes"},
    {"validatedtd", "XML DTD validation is not provided"},
    {"validateschema", "XML schema validation is not provided"},
    {"verifycc", "credit-card number detection is not provided"},
    {"verifycpf", "CPF number detection is not provided"},
    {"verifyssn", "SSN detection is not provided"},
    {"verifysvnr", "SVNR detection is not provided"},
    {"gsblookup", "needs Google Safe Browsing lookups"},
    {"rsub", "rewrites stream data, which the gateway does not do"},
    {"validatehash", "needs response hashing (SecHashEngine)"},
};

}  // namespace

Result<std::unique_ptr<CompiledOperator>> CompiledOperator::compile(const Operator& op,
                                                                    const OperatorEnv& env) {
  const std::string name = asciiLowerCopy(op.name.empty() ? std::string("rx") : op.name);
  const bool dynamic = op.param.find("%{") != std::string::npos;
  for (const Unsupported& u : kUnsupported) {
    if (name == u.name) {
      return Status::invalidArgument("unsupported operator @" + op.name + ": " + u.why);
    }
  }
  auto make = [&](Kind k, bool dyn) { return std::make_unique<Op>(k, name, op.param, dyn); };
  static const std::pair<const char*, Kind> kSimple[] = {
      {"streq", Kind::kStreq},
      {"contains", Kind::kContains},
      {"containsword", Kind::kContainsWord},
      {"beginswith", Kind::kBeginsWith},
      {"endswith", Kind::kEndsWith},
      {"within", Kind::kWithin},
      {"strmatch", Kind::kStrmatch},
      {"eq", Kind::kEq},
      {"ge", Kind::kGe},
      {"gt", Kind::kGt},
      {"le", Kind::kLe},
      {"lt", Kind::kLt},
  };
  for (const auto& [n, k] : kSimple) {
    if (name == n) return std::unique_ptr<CompiledOperator>(make(k, dynamic));
  }
  if (name == "rx") {
    auto o = make(Kind::kRx, dynamic);
    if (!dynamic) {
      auto re = Regex::compile(op.param);
      if (!re) return Status::invalidArgument("@rx: " + re.status().message());
      o->regex = std::move(re).value();
    }
    return std::unique_ptr<CompiledOperator>(std::move(o));
  }
  if (name == "pm" || name == "pmfromfile" || name == "pmf") {
    auto o = make(Kind::kPm, dynamic && name == "pm");
    if (o->dynamicParam()) return std::unique_ptr<CompiledOperator>(std::move(o));
    std::vector<std::string> phrases;
    if (name == "pm") {
      phrases = splitAsciiSpace(op.param);
      if (phrases.empty()) return Status::invalidArgument("@pm needs at least one phrase");
    } else {
      auto lines = readDataFiles(op.param, env, op.name);
      if (!lines) return lines.status();
      phrases = std::move(lines).value();
    }
    auto set = PhraseSet::compile(phrases);
    if (!set) return Status::invalidArgument("@" + op.name + ": " + set.status().message());
    o->phrases = std::move(set).value();
    return std::unique_ptr<CompiledOperator>(std::move(o));
  }
  if (name == "ipmatch" || name == "ipmatchfromfile" || name == "ipmatchf") {
    const bool from_file = name != "ipmatch";
    auto o = make(Kind::kIpMatch, dynamic && !from_file);
    if (o->dynamicParam()) return std::unique_ptr<CompiledOperator>(std::move(o));
    std::vector<std::string> items;
    if (from_file) {
      auto lines = readDataFiles(op.param, env, op.name);
      if (!lines) return lines.status();
      items = std::move(lines).value();
    } else {
      items = splitIpParam(op.param);
      if (items.empty()) return Status::invalidArgument("@ipMatch needs at least one address");
    }
    auto nets = parseIpList(items);
    if (!nets) return nets.status();
    o->nets = std::move(nets).value();
    return std::unique_ptr<CompiledOperator>(std::move(o));
  }
  if (name == "validatebyterange") {
    auto o = make(Kind::kValidateByteRange, dynamic);
    if (!dynamic) {
      auto r = parseByteRanges(op.param);
      if (!r) return r.status();
      o->bytes = *r;
      std::string forbidden;
      for (size_t b = 0; b < 256; ++b)
        if (!o->bytes[b]) forbidden.push_back(static_cast<char>(b));
      if (!forbidden.empty() && forbidden.size() <= 4) o->few_forbidden = std::move(forbidden);
    }
    return std::unique_ptr<CompiledOperator>(std::move(o));
  }
  if (name == "validateurlencoding") {
    return std::unique_ptr<CompiledOperator>(make(Kind::kValidateUrlEncoding, false));
  }
  if (name == "validateutf8encoding") {
    return std::unique_ptr<CompiledOperator>(make(Kind::kValidateUtf8Encoding, false));
  }
  if (name == "detectsqli")
    return std::unique_ptr<CompiledOperator>(make(Kind::kDetectSqli, false));
  if (name == "detectxss") return std::unique_ptr<CompiledOperator>(make(Kind::kDetectXss, false));
  if (name == "unconditionalmatch") {
    return std::unique_ptr<CompiledOperator>(make(Kind::kUnconditional, false));
  }
  if (name == "nomatch") return std::unique_ptr<CompiledOperator>(make(Kind::kNoMatch, false));
  return Status::invalidArgument("unknown operator @" + op.name);
}

}  // namespace shipgate::managed
