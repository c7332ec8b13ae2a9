// Operators of the managed rules (operators.h): every operator's match and non-match cases, the
// PCRE2 Regex (flags, captures, match limit), the Hyperscan PhraseSet, and the MultiRegex
// contract on the whole CRS's @rx set: every pattern whose Regex matches a sample is among the
// MultiRegex's candidates for it (the differential test that proves grouping @rx is safe).
#include "shipgate/managed/operators.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/managed/detect.h"
#include "shipgate/managed/seclang.h"
#include "support/paths.h"

namespace shipgate::managed {
namespace {

namespace fs = std::filesystem;

const char* kCrsRules = "/usr/share/modsecurity-crs/rules";
// The CRS v3.3.4 regression tests (testsupport::crsRegressionTests). A missing suite fails the
// corpus tests (no skip).
std::string crsTestsDir() { return testsupport::crsRegressionTests(); }

std::unique_ptr<CompiledOperator> op(const std::string& name, const std::string& param,
                                     const std::string& data_dir = kCrsRules) {
  Operator o;
  o.name = name;
  o.param = param;
  OperatorEnv env;
  env.data_dir = data_dir;
  auto c = CompiledOperator::compile(o, env);
  EXPECT_TRUE(c.isOk()) << name << " " << param << ": " << c.status().message();
  if (!c.isOk()) return nullptr;
  return std::move(c).value();
}

Status compileError(const std::string& name, const std::string& param) {
  Operator o;
  o.name = name;
  o.param = param;
  auto c = CompiledOperator::compile(o, OperatorEnv{});
  return c.isOk() ? Status::success() : c.status();
}

struct OpRun {
  std::unique_ptr<CompiledOperator> c;
  std::unique_ptr<MultiRegex::Scratch> scratch;
  explicit OpRun(std::unique_ptr<CompiledOperator> op) : c(std::move(op)) {
    EXPECT_TRUE(c->prepare(scratch).isOk());
    if (!scratch) scratch = MultiRegex::newScratch();
  }
  bool operator()(std::string_view v, std::string* matched = nullptr, Captures* cap = nullptr,
                  std::string_view param = {}) {
    return c->match(v, param, *scratch, cap, matched);
  }
};

OpRun mk(const std::string& name, const std::string& param) { return OpRun(op(name, param)); }

// ---------------- Regex ----------------

TEST(Regex, MatchesAnywhereAndReportsCaptures) {
  auto re = Regex::compile("(a+)(b)?c");
  ASSERT_TRUE(re.isOk());
  Captures cap;
  EXPECT_TRUE((*re)->match("xxaaac", &cap));
  ASSERT_EQ(cap.groups.size(), 2u);  // whole match + group 1 (group 2 unset is trailing)
  EXPECT_EQ(cap.groups[0], "aaac");
  EXPECT_EQ(cap.groups[1], "aaa");
  EXPECT_TRUE((*re)->match("aabc", &cap));
  ASSERT_EQ(cap.groups.size(), 3u);
  EXPECT_EQ(cap.groups[2], "b");
  EXPECT_FALSE((*re)->match("xyz"));
}

TEST(Regex, DotAllAndDollarEndOnlyAsModSecurity) {
  auto dot = Regex::compile("a.b");
  ASSERT_TRUE(dot.isOk());
  EXPECT_TRUE((*dot)->match("a\nb"));  // DOTALL: . matches a newline
  auto end = Regex::compile("abc$");
  ASSERT_TRUE(end.isOk());
  EXPECT_TRUE((*end)->match("xabc"));
  EXPECT_FALSE((*end)->match("abc\n"));  // DOLLAR_ENDONLY: $ is not before a final newline
  auto caseless = Regex::compile("(?i)select");
  ASSERT_TRUE(caseless.isOk());
  EXPECT_TRUE((*caseless)->match("SeLeCt"));
  auto cs = Regex::compile("select");
  EXPECT_FALSE((*cs)->match("SELECT"));
}

TEST(Regex, BytesNotUtf8AndEmbeddedNul) {
  auto re = Regex::compile("a\\x00b");
  ASSERT_TRUE(re.isOk());
  EXPECT_TRUE((*re)->match(std::string_view("xa\0b", 4)));
  auto hi = Regex::compile("\\xff\\xfe");
  ASSERT_TRUE(hi.isOk());
  EXPECT_TRUE((*hi)->match("\xff\xfe"));  // bytes, not code points: invalid UTF-8 is fine
}

TEST(Regex, AtMostTenCaptureEntries) {
  auto re = Regex::compile("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)");
  ASSERT_TRUE(re.isOk());
  Captures cap;
  ASSERT_TRUE((*re)->match("abcdefghijk", &cap));
  ASSERT_EQ(cap.groups.size(), 10u);
  EXPECT_EQ(cap.groups[0], "abcdefghijk");
  EXPECT_EQ(cap.groups[9], "i");
}

// The engine skips the Hyperscan prefilter of patterns whose first bytes a text does not hold:
// the set must hold every byte a match can start with, case-folded where PCRE2 folds.
TEST(Regex, FirstBytesHoldEveryByteAMatchCanStartWith) {
  std::array<uint64_t, 4> bytes{};
  auto starts = [&](unsigned char b) { return ((bytes[b >> 6] >> (b & 63)) & 1) != 0; };
  auto count = [&] {
    size_t n = 0;
    for (uint64_t w : bytes) n += static_cast<size_t>(__builtin_popcountll(w));
    return n;
  };
  ASSERT_TRUE(Regex::firstBytes(R"((?:;|\{|\|\||&&|\$\()\s*\w)", &bytes));
  EXPECT_TRUE(starts(';') && starts('{') && starts('|') && starts('&') && starts('$'));
  EXPECT_EQ(count(), 5u);
  ASSERT_TRUE(Regex::firstBytes("(?i)select", &bytes));  // caseless: both cases
  EXPECT_TRUE(starts('s') && starts('S'));
  EXPECT_EQ(count(), 2u);
  ASSERT_TRUE(Regex::firstBytes(R"((?:^|[\\/])\.\.)", &bytes));  // ^ then '.', or a slash
  EXPECT_TRUE(starts('.') && starts('/') && starts('\\'));
  EXPECT_EQ(count(), 3u);
  // Any byte may start a match: no set.
  EXPECT_FALSE(Regex::firstBytes("x?", &bytes));  // matches the empty string
  EXPECT_FALSE(Regex::firstBytes(".+", &bytes));
  EXPECT_FALSE(Regex::firstBytes("(", &bytes));  // does not compile
}

// Whether `text` holds a byte of `bytes` (bit b of bytes[b / 64]).
bool holdsAByteOf(std::string_view text, const std::array<uint64_t, 4>& bytes) {
  for (unsigned char c : text)
    if ((bytes[c >> 6] >> (c & 63)) & 1) return true;
  return false;
}

using PairRows = std::vector<std::pair<uint8_t, std::array<uint64_t, 4>>>;

// The pairs of `rows` as two-byte strings, in order.
std::vector<std::string> pairStrings(const PairRows& rows) {
  std::vector<std::string> out;
  for (const auto& [first, seconds] : rows)
    for (unsigned b = 0; b < 256; ++b)
      if ((seconds[b >> 6] >> (b & 63)) & 1)
        out.push_back({static_cast<char>(first), static_cast<char>(b)});
  return out;
}

// Whether `text` holds a pair of `rows`.
bool holdsAPairOf(std::string_view text, const PairRows& rows) {
  for (const std::string& pair : pairStrings(rows))
    if (text.find(pair) != std::string_view::npos) return true;
  return false;
}

// The engine drops a pattern from a weak set's candidates when a value holds none of the byte
// pairs its matches can start with (WeakSet::pair_entries): the pairs are every pair a match
// can start with, and no other.
TEST(Regex, FirstPairsAreThePairsAMatchCanStartWith) {
  PairRows rows;
  using Pairs = std::vector<std::string>;
  // 930100's shape: a slash or backslash, then an encoded or plain dot.
  ASSERT_TRUE(Regex::firstPairs(R"((?:\\|/)(?:\.|%2e))", 16, &rows));
  EXPECT_EQ(pairStrings(rows), (Pairs{"/%", "/.", "\\%", "\\."}));
  ASSERT_TRUE(Regex::firstPairs("(?i)ab|cd", 16, &rows));  // caseless: both cases of each
  EXPECT_EQ(pairStrings(rows), (Pairs{"AB", "Ab", "CD", "Cd", "aB", "ab", "cD", "cd"}));
  // A lookahead inside the two bytes is decided; one past them may still hold.
  ASSERT_TRUE(Regex::firstPairs("a(?!b)[a-c]|x(?=yz)y", 16, &rows));
  EXPECT_EQ(pairStrings(rows), (Pairs{"aa", "ac", "xy"}));
  // `\b` looks one byte back: "-x" starts a match after a word byte ("a-x"), "x-" after none
  // or a non-word byte (" x-").
  ASSERT_TRUE(Regex::firstPairs(R"(\b-x|\bx-)", 16, &rows));
  EXPECT_EQ(pairStrings(rows), (Pairs{"-x", "x-"}));
  ASSERT_TRUE(Regex::firstPairs(R"(\Bab)", 16, &rows));
  EXPECT_EQ(pairStrings(rows), (Pairs{"ab"}));
  ASSERT_TRUE(Regex::firstPairs("^ab|(?m)^cd$", 16, &rows));  // anchors: the pairs still hold
  EXPECT_EQ(pairStrings(rows), (Pairs{"ab", "cd"}));
  // Not known from two bytes, or not worth a gate.
  EXPECT_FALSE(Regex::firstPairs("(?<=x)ab", 16, &rows));  // looks back past the pair
  EXPECT_FALSE(Regex::firstPairs("(?<!x)ab", 16, &rows));
  EXPECT_FALSE(Regex::firstPairs("ab|c", 16, &rows));    // matches a single byte
  EXPECT_FALSE(Regex::firstPairs("[a-q]x", 16, &rows));  // 17 first bytes
  ASSERT_TRUE(Regex::firstPairs("[a-q]x", 17, &rows));
  EXPECT_EQ(rows.size(), 17u);
  EXPECT_FALSE(Regex::firstPairs("(ab", 16, &rows));  // does not compile
}

// The engine does not scan a value for a weak pattern, nor run a cheap one, when the value lacks
// the bytes the pattern's matches need (ChainGroup::WeakSet::need_bits).
TEST(Regex, RequiredBytesAreWhatEveryPartOfEveryMatchConsumes) {
  // The sets, rarest first, joined by " & "; a set of more than 32 bytes as "<n bytes>".
  auto needs = [](std::string_view pattern) {
    std::vector<std::array<uint64_t, 4>> sets = Regex::requiredBytes(pattern);
    if (sets.empty()) return std::string("unknown");
    std::string out;
    for (const auto& bytes : sets) {
      std::string one;
      size_t n = 0;
      for (unsigned b = 0; b < 256; ++b) {
        if (((bytes[b >> 6] >> (b & 63)) & 1) == 0) continue;
        ++n;
        if (b > 0x20 && b < 0x7f) {
          one += static_cast<char>(b);
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", b);
          one += hex;
        }
      }
      if (n > 32) one = "<" + std::to_string(n) + " bytes>";
      out += (out.empty() ? "" : " & ") + one;
    }
    return out;
  };
  // A sequence needs what each part needs: punctuation first, then letters, then classes; at
  // most four sets.
  EXPECT_EQ(needs("union select"), "u & n & i & o");
  EXPECT_EQ(needs(R"(\w+=\d)"), "= & <138 bytes> & <191 bytes>");  // classes as wide as a locale
  EXPECT_EQ(needs(R"(^\(\s*\)\s+{)"), "( & ) & { & <134 bytes>");
  EXPECT_EQ(needs("x{,3}"), "{ & , & } & x");  // not a quantifier in PCRE2 10.42: "x{,3}"
  // Alternation: a set of each branch, united; caseless letters in both cases.
  EXPECT_EQ(needs(R"((?:^|=)\s*(?:\{|\(|\w+=))"), "(={");
  EXPECT_EQ(needs("(?i)(?:<script|javascript:)"), ":< & JSjs & ACac & RVrv");
  EXPECT_EQ(needs("(?i:ab|c)"), "ACac");
  EXPECT_EQ(needs("(?i)x(?-i)y|z"), "yz");  // (?-i) holds for the rest of its branch
  // Classes: ranges, escapes, and a negated class leaves out only what it lists.
  EXPECT_EQ(needs(R"([\x00-\x08\x0e-\x1f])"),
            "\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14"
            "\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f");
  EXPECT_EQ(needs(R"([]a-])"), "-]a");
  EXPECT_EQ(needs(R"(\.[^.~]+~)"), ". & ~ & <254 bytes>");
  // Repetition: a part that may occur zero times needs nothing; {n,} with n >= 1 does.
  EXPECT_EQ(needs("a*b?c{0,2}d{2,}"), "d");
  // Zero-width parts need nothing; a pattern made only of them has no set.
  EXPECT_EQ(needs(R"(\b(?=select)(?<!x)\$)"), "$");
  EXPECT_EQ(needs(R"((a)\1)"), "a");  // a back-reference needs nothing of its own
  EXPECT_EQ(needs("^$"), "unknown");
  EXPECT_EQ(needs("a|"), "unknown");  // the empty branch matches without a byte
  EXPECT_EQ(needs("(?:a|)b"), "b");
  EXPECT_EQ(needs("(?x) a b"), "unknown");  // extended syntax: not read
  EXPECT_EQ(needs(R"(\p{L})"), "unknown");
  EXPECT_EQ(needs("[[:alpha:]]"), "unknown");
  EXPECT_EQ(needs("(?#c)a"), "unknown");
  EXPECT_EQ(needs(R"(\Q$(\E)"), "unknown");      // quoting: "\xfe\Q\E*" is "\xfe*"
  EXPECT_EQ(needs("(?P>n)(?<n>q)"), "unknown");  // a call of another group
  EXPECT_EQ(needs("(?P<n>q)"), "q");
  EXPECT_EQ(needs("(a"), "unknown");
  EXPECT_EQ(needs("a)"), "unknown");
  // Every text a pattern matches holds a byte of each of its sets.
  const std::pair<const char*, const char*> matches[] = {
      {R"((?:^|=)\s*(?:\{|\(|\w+=))", "a=b=c"},
      {"(?i)(?:<script|javascript:)", "JAVASCRIPT:alert(1)"},
      {R"(\.[^.~]+~)", "index.php~"},
      {"a*b?c{0,2}d{2,}", "xdd"},
      {R"([^a-z]+)", "ABC"},
      {"(?i)[^a]", "aAb"},
      {"x{,3}", "x{,3}"},
      {R"(^\(\s*\)\s+{)", "() { :; }; echo"},
  };
  for (const auto& [pattern, text] : matches) {
    std::vector<std::array<uint64_t, 4>> sets = Regex::requiredBytes(pattern);
    ASSERT_FALSE(sets.empty()) << pattern;
    auto re = Regex::compile(pattern);
    ASSERT_TRUE(re.isOk()) << pattern;
    ASSERT_TRUE((*re)->match(text)) << pattern << " / " << text;
    for (const auto& bytes : sets) {
      EXPECT_TRUE(holdsAByteOf(text, bytes))
          << pattern << " matches \"" << text << "\" without a byte of a set of " << needs(pattern);
    }
  }
}

// The engine does not scan a text shorter than the shortest match of a weak pattern set.
TEST(Regex, MinLengthIsTheShortestMatch) {
  EXPECT_EQ(Regex::minLength("abc"), 3u);
  EXPECT_EQ(Regex::minLength("(?:ab|c)d\\d{2}"), 4u);
  EXPECT_EQ(Regex::minLength("x?"), 0u);
  EXPECT_EQ(Regex::minLength("^$"), 0u);
  EXPECT_EQ(Regex::minLength("("), 0u);  // does not compile: no bound
}

// "^.*$" and its kin match every text whole without running PCRE: the same answer and capture as
// PCRE gives for an equivalent spelling that takes the ordinary path.
TEST(Regex, MatchEverythingPatternsAnswerAsPcre) {
  const std::vector<std::string> texts = {"",        "abc", "\n", "a\nb\n", std::string("x\0y", 3),
                                          "\xff\r\n"};
  for (const std::string p : {"^.*$", ".*", "^.*", ".*$"}) {
    auto fast = Regex::compile(p);
    auto slow = Regex::compile("(?:" + p + ")");
    ASSERT_TRUE(fast.isOk() && slow.isOk()) << p;
    for (const std::string& t : texts) {
      Captures a, b;
      a.groups = {"stale", "stale"};  // earlier groups do not survive a match
      ASSERT_EQ((*fast)->match(t, &a), (*slow)->match(t, &b)) << p;
      EXPECT_EQ(a.groups, b.groups) << p;
      EXPECT_EQ(a.groups.size(), 1u) << p;
    }
  }
}

TEST(Regex, InvalidPatternIsAnErrorWithOffset) {
  auto re = Regex::compile("ab(c");
  ASSERT_FALSE(re.isOk());
  EXPECT_NE(re.status().message().find("invalid regular expression at offset 4"), std::string::npos)
      << re.status().message();
}

TEST(Regex, MatchLimitIsNoMatchAndCounted) {
  EXPECT_EQ(Regex::matchLimit(), Regex::kDefaultMatchLimit);
  auto re = Regex::compile("^(a+)+$");
  ASSERT_TRUE(re.isOk());
  std::string evil(60, 'a');
  evil += "b";
  uint64_t before = Regex::matchLimitHits();
  EXPECT_FALSE((*re)->match(evil));
  EXPECT_EQ(Regex::matchLimitHits(), before + 1);
  EXPECT_TRUE((*re)->match("aaaa"));  // a normal subject still matches
  EXPECT_EQ(Regex::matchLimitHits(), before + 1);
}

TEST(Regex, ThreadSafe) {
  auto re = Regex::compile("(\\d+)-(\\d+)");
  ASSERT_TRUE(re.isOk());
  std::vector<std::thread> ts;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        Captures cap;
        std::string s = "x" + std::to_string(t) + "-" + std::to_string(i) + "y";
        if ((*re)->match(s, &cap) && cap.groups[2] == std::to_string(i)) ++good;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(good.load(), 8000);
}

// ---------------- MultiRegex / PhraseSet ----------------

TEST(MultiRegex, CandidatesIncludeEveryMatch) {
  auto m = MultiRegex::compile({"union\\s+select", "(?i)<script", "^/admin", "a(?C1)b"});
  ASSERT_TRUE(m.isOk()) << m.status().message();
  EXPECT_EQ((*m)->size(), 4u);
  // The callout is rejected by Hyperscan even as a prefilter: always a candidate.
  ASSERT_EQ((*m)->alwaysCandidates(), std::vector<uint32_t>{3});
  EXPECT_NE((*m)->rejections()[0].find("Callout"), std::string::npos);
  std::unique_ptr<MultiRegex::Scratch> scratch;
  ASSERT_TRUE((*m)->prepare(scratch).isOk());
  std::vector<uint8_t> cand;
  (*m)->scan("1 union   select 2", *scratch, cand);
  EXPECT_EQ(cand, (std::vector<uint8_t>{1, 0, 0, 1}));
  (*m)->scan("/admin/<SCRIPT>", *scratch, cand);
  EXPECT_EQ(cand, (std::vector<uint8_t>{0, 1, 1, 1}));
  (*m)->scan("", *scratch, cand);
  EXPECT_EQ(cand, (std::vector<uint8_t>{0, 0, 0, 1}));
}

TEST(MultiRegex, UnpreparedScratchGrowsInsteadOfMissing) {
  auto m = MultiRegex::compile({"abc"});
  ASSERT_TRUE(m.isOk());
  auto small = MultiRegex::compile({"x"});
  ASSERT_TRUE(small.isOk());
  auto scratch = MultiRegex::newScratch();
  std::vector<uint8_t> cand;
  (*m)->scan("xxabcxx", *scratch, cand);  // no hs scratch yet
  EXPECT_EQ(cand, std::vector<uint8_t>{1});
  std::unique_ptr<MultiRegex::Scratch> shared;
  ASSERT_TRUE((*small)->prepare(shared).isOk());
  ASSERT_TRUE((*m)->prepare(shared).isOk());  // one scratch grown for both
  (*small)->scan("x", *shared, cand);
  EXPECT_EQ(cand, std::vector<uint8_t>{1});
  (*m)->scan("ab", *shared, cand);
  EXPECT_EQ(cand, std::vector<uint8_t>{0});
}

TEST(MultiRegex, EmptySetAndEmptyMatchingPattern) {
  auto none = MultiRegex::compile({});
  ASSERT_TRUE(none.isOk());
  auto scratch = MultiRegex::newScratch();
  std::vector<uint8_t> cand{1, 1};
  (*none)->scan("abc", *scratch, cand);
  EXPECT_TRUE(cand.empty());
  auto empty = MultiRegex::compile({"^$", "x*"});
  ASSERT_TRUE(empty.isOk()) << empty.status().message();
  EXPECT_TRUE((*empty)->alwaysCandidates().empty());
  (*empty)->scan("", *scratch, cand);
  EXPECT_EQ(cand, (std::vector<uint8_t>{1, 1}));
}

TEST(MultiRegex, CompiledSetsAreCachedOnDisk) {
  fs::path dir = fs::temp_directory_path() / ("ops_hs_cache_" + std::to_string(getpid()));
  fs::remove_all(dir);
  MultiRegex::setCacheDir(dir.string());
  std::vector<std::string> pats{"(?i)union\\s+select", "a(?C1)b", "^/admin"};
  auto first = MultiRegex::compile(pats);
  ASSERT_TRUE(first.isOk());
  EXPECT_FALSE((*first)->fromCache());
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".hsdb");
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  auto second = MultiRegex::compile(pats);
  ASSERT_TRUE(second.isOk());
  EXPECT_TRUE((*second)->fromCache());
  EXPECT_EQ((*second)->alwaysCandidates(), (*first)->alwaysCandidates());
  EXPECT_EQ((*second)->rejections(), (*first)->rejections());
  auto scratch = MultiRegex::newScratch();
  std::vector<uint8_t> a;
  std::vector<uint8_t> b;
  for (const char* t : {"1 UNION SELECT 2", "/admin", "nothing", ""}) {
    (*first)->scan(t, *scratch, a);
    (*second)->scan(t, *scratch, b);
    EXPECT_EQ(a, b) << t;
  }
  // Another set is another entry; a corrupt entry is recompiled and rewritten.
  auto other = MultiRegex::compile({"x+y"});
  ASSERT_TRUE(other.isOk());
  EXPECT_FALSE((*other)->fromCache());
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ofstream(e.path(), std::ios::trunc) << "garbage";
  }
  auto third = MultiRegex::compile(pats);
  ASSERT_TRUE(third.isOk());
  EXPECT_FALSE((*third)->fromCache());
  (*third)->scan("1 UNION SELECT 2", *scratch, a);
  EXPECT_EQ(a, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_TRUE((*MultiRegex::compile(pats))->fromCache());
  // An empty directory name disables the cache.
  MultiRegex::setCacheDir("");
  auto uncached = MultiRegex::compile(pats);
  ASSERT_TRUE(uncached.isOk());
  EXPECT_FALSE((*uncached)->fromCache());
  fs::remove_all(dir);
}

TEST(MultiRegex, OneScratchPerThreadSharesTheSets) {
  auto m = MultiRegex::compile({"(?i)union\\s+select", "<script", "\\.\\./"});
  ASSERT_TRUE(m.isOk());
  auto p = PhraseSet::compile({"passwd", "shadow"});
  ASSERT_TRUE(p.isOk());
  std::atomic<int> good{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      std::unique_ptr<MultiRegex::Scratch> scratch;
      if (!(*m)->prepare(scratch).isOk() || !(*p)->prepare(scratch).isOk()) return;
      std::vector<uint8_t> cand;
      std::string found;
      for (int i = 0; i < 1000; ++i) {
        (*m)->scan("a/../b UNION  SELECT " + std::to_string(i), *scratch, cand);
        bool ok = cand == std::vector<uint8_t>{1, 0, 1};
        ok = ok && (*p)->match("/etc/shadow?" + std::to_string(i), *scratch, &found) &&
             found == "shadow";
        if (ok) ++good;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(good.load(), 4000);
}

TEST(PhraseSet, CaseInsensitiveAndReportsThePhrase) {
  auto p = PhraseSet::compile({"passwd", "etc/shadow", "<?php"});
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ((*p)->size(), 3u);
  std::unique_ptr<MultiRegex::Scratch> scratch;
  ASSERT_TRUE((*p)->prepare(scratch).isOk());
  std::string found;
  EXPECT_TRUE((*p)->match("GET /ETC/Shadow HTTP", *scratch, &found));
  EXPECT_EQ(found, "etc/shadow");
  EXPECT_TRUE((*p)->match("x<?PHP echo", *scratch, &found));
  EXPECT_EQ(found, "<?php");
  // Two phrases: the one whose match ends first is reported.
  EXPECT_TRUE((*p)->match("passwd and etc/shadow", *scratch, &found));
  EXPECT_EQ(found, "passwd");
  found = "unchanged";
  EXPECT_FALSE((*p)->match("pass wd", *scratch, &found));
  EXPECT_EQ(found, "unchanged");
  auto empty = PhraseSet::compile({});
  ASSERT_TRUE(empty.isOk());
  EXPECT_FALSE((*empty)->match("anything", *scratch, &found));
}

// ---------------- operators ----------------

TEST(Operators, RxStaticIsGroupableAndReportsTheMatch) {
  OpRun rx = mk("rx", "(?i)union\\s+(all\\s+)?select");
  EXPECT_EQ(rx.c->groupablePattern(), "(?i)union\\s+(all\\s+)?select");
  EXPECT_FALSE(rx.c->dynamicParam());
  EXPECT_EQ(rx.c->name(), "rx");
  std::string matched;
  Captures cap;
  EXPECT_TRUE(rx("1 UNION ALL SELECT 2", &matched, &cap));
  EXPECT_EQ(matched, "UNION ALL SELECT");
  ASSERT_EQ(cap.groups.size(), 2u);
  EXPECT_EQ(cap.groups[1], "ALL ");
  EXPECT_FALSE(rx("union of selections"));
}

TEST(Operators, RxDynamicCompilesTheExpandedPattern) {
  OpRun rx = mk("rx", "^%{tx.allowed}$");
  EXPECT_TRUE(rx.c->dynamicParam());
  EXPECT_TRUE(rx.c->groupablePattern().empty());
  EXPECT_TRUE(rx("GET", nullptr, nullptr, "^(GET|HEAD)$"));
  EXPECT_FALSE(rx("POST", nullptr, nullptr, "^(GET|HEAD)$"));
  EXPECT_FALSE(rx("POST", nullptr, nullptr, "(unbalanced"));  // a bad expansion never matches
  EXPECT_TRUE(rx("POST", nullptr, nullptr, "POST"));
}

TEST(Operators, InvalidRxIsAnError) {
  Status s = compileError("rx", "a[b");
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.message().rfind("@rx: invalid regular expression", 0), 0u) << s.message();
}

TEST(Operators, PmIsCaseInsensitivePhraseList) {
  OpRun pm = mk("pm", "Select union  insert");
  std::string matched;
  EXPECT_TRUE(pm("id=1 UNION x", &matched));
  EXPECT_EQ(matched, "union");
  EXPECT_TRUE(pm("selection"));  // phrases, not words
  EXPECT_FALSE(pm("delete from"));
  EXPECT_FALSE(compileError("pm", "  ").isOk());
  OpRun dyn = mk("pm", "%{tx.words}");
  EXPECT_TRUE(dyn.c->dynamicParam());
  EXPECT_TRUE(dyn("A FOO B", &matched, nullptr, "bar foo"));
  EXPECT_EQ(matched, "foo");
  EXPECT_FALSE(dyn("baz", nullptr, nullptr, "bar foo"));
}

TEST(Operators, PmFromFileReadsTheCrsDataFiles) {
  OpRun pmf = mk("pmFromFile", "lfi-os-files.data");
  std::string matched;
  EXPECT_TRUE(pmf("/x/../../ETC/PASSWD", &matched));
  EXPECT_EQ(matched, "etc/passwd");
  EXPECT_FALSE(pmf("/index.html"));
  OpRun pmf2 = mk("pmf", "scanners-user-agents.data");
  EXPECT_TRUE(pmf2("Mozilla/5.0 sqlmap/1.7"));
  EXPECT_FALSE(pmf2("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"));
}

TEST(Operators, PmFromFileLocalFilesCommentsAndErrors) {
  fs::path dir = fs::temp_directory_path() / ("ops_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "a.data") << "# comment\n\n  Alpha  \nbeta\r\n";
    std::ofstream(dir / "b.data") << "gamma";
  }
  OpRun p(op("pmFromFile", "a.data b.data", dir.string()));
  EXPECT_TRUE(p("xxALPHAxx"));
  EXPECT_TRUE(p("BETA"));
  EXPECT_TRUE(p("gammaray"));
  EXPECT_FALSE(p("comment"));  // the comment line is no phrase
  Operator o;
  o.name = "pmFromFile";
  o.param = "missing.data";
  auto bad = CompiledOperator::compile(o, OperatorEnv{dir.string()});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("cannot read data file " + (dir / "missing.data").string()),
            std::string::npos)
      << bad.status().message();
  o.param = "https://example.com/list.data";
  bad = CompiledOperator::compile(o, OperatorEnv{dir.string()});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message().rfind("unsupported operator @pmFromFile", 0), 0u);
  fs::remove_all(dir);
}

TEST(Operators, StringComparisons) {
  OpRun streq = mk("streq", "POST");
  EXPECT_TRUE(streq("POST"));
  EXPECT_FALSE(streq("post"));
  EXPECT_FALSE(streq("POSTX"));
  OpRun contains = mk("contains", "..");
  EXPECT_TRUE(contains("/a/../b"));
  EXPECT_FALSE(contains("/a/./b"));
  OpRun word = mk("containsWord", "select");
  EXPECT_TRUE(word("1 select 2"));
  EXPECT_TRUE(word("select"));
  EXPECT_TRUE(word("(select)"));
  EXPECT_FALSE(word("selection"));
  EXPECT_FALSE(word("preselect"));
  EXPECT_TRUE(word("selection select"));  // the second occurrence is a word
  OpRun begins = mk("beginsWith", "/api/");
  EXPECT_TRUE(begins("/api/users"));
  EXPECT_FALSE(begins("/v1/api/"));
  EXPECT_FALSE(begins("/api"));
  OpRun ends = mk("endsWith", ".php");
  EXPECT_TRUE(ends("/index.php"));
  EXPECT_FALSE(ends("/index.php5"));
  EXPECT_FALSE(ends("php"));
  OpRun strmatch = mk("strmatch", "WebZIP");
  EXPECT_TRUE(strmatch("Mozilla WebZIP/4.0"));
  EXPECT_FALSE(strmatch("webzip"));
}

TEST(Operators, WithinIsValueInsideParam) {
  // ModSecurity: @within matches when the VALUE is found inside the parameter string.
  OpRun within = mk("within", "GET HEAD POST OPTIONS");
  EXPECT_TRUE(within("GET"));
  EXPECT_TRUE(within("POST"));
  EXPECT_TRUE(within("HEAD POST"));  // a substring, not a list member test
  EXPECT_FALSE(within("DELETE"));
  EXPECT_FALSE(within("GET HEAD POST OPTIONS PUT"));
  OpRun dyn = mk("within", "%{tx.allowed_methods}");
  EXPECT_TRUE(dyn("PUT", nullptr, nullptr, "GET PUT"));
  EXPECT_FALSE(dyn("PATCH", nullptr, nullptr, "GET PUT"));
}

TEST(Operators, NumericComparisonsReadLikeAtoi) {
  EXPECT_TRUE(mk("eq", "0")(""));
  EXPECT_TRUE(mk("eq", "0")("abc"));  // a non-number is 0
  EXPECT_TRUE(mk("eq", "5")("5abc"));
  EXPECT_TRUE(mk("eq", "-3")(" -3"));
  EXPECT_FALSE(mk("eq", "5")("6"));
  EXPECT_TRUE(mk("ge", "5")("5"));
  EXPECT_FALSE(mk("ge", "5")("4"));
  EXPECT_TRUE(mk("gt", "5")("6"));
  EXPECT_FALSE(mk("gt", "5")("5"));
  EXPECT_TRUE(mk("le", "5")("5"));
  EXPECT_FALSE(mk("le", "5")("6"));
  EXPECT_TRUE(mk("lt", "5")("4"));
  EXPECT_FALSE(mk("lt", "5")("5"));
  EXPECT_TRUE(mk("gt", "1")("99999999999999999999999"));  // saturates, no overflow
  // One-byte values: a digit is its number, anything else 0 (as the longer path reads "+", " ").
  EXPECT_TRUE(mk("eq", "9")("9"));
  EXPECT_TRUE(mk("eq", "0")("x"));
  EXPECT_TRUE(mk("eq", "0")("+"));
  EXPECT_TRUE(mk("eq", "0")(" "));
  EXPECT_TRUE(mk("eq", "0")(":"));  // the byte after '9'
  EXPECT_TRUE(mk("eq", "0")("/"));  // the byte before '0'
  OpRun dyn = mk("ge", "%{tx.inbound_anomaly_score_threshold}");
  EXPECT_TRUE(dyn.c->dynamicParam());
  EXPECT_TRUE(dyn("5", nullptr, nullptr, "5"));
  EXPECT_FALSE(dyn("4", nullptr, nullptr, "5"));
}

// The inline form the engine decides TX gates with (comparison(), numberParam(), numericValue,
// compareNumbers) gives what match() gives, for every numeric operator, and only they have it.
TEST(Operators, InlineComparisonAgreesWithMatch) {
  const char* values[] = {
      "", "0", "4", "5", "6", "-5", " 5", "+6", "5x", "x", "99999999999999999999"};
  for (const char* op : {"eq", "ge", "gt", "le", "lt"}) {
    for (const char* param : {"5", "-5", "0", " 6"}) {
      OpRun r = mk(op, param);
      ASSERT_NE(r.c->comparison(), CompiledOperator::Comparison::kNone) << op;
      EXPECT_EQ(r.c->numberParam(), numericValue(param)) << op << " " << param;
      for (const char* v : values) {
        EXPECT_EQ(compareNumbers(r.c->comparison(), numericValue(v), r.c->numberParam()), r(v))
            << "@" << op << " " << param << " on '" << v << "'";
      }
    }
  }
  EXPECT_EQ(mk("ge", "%{tx.threshold}").c->comparison(), CompiledOperator::Comparison::kNone);
  EXPECT_EQ(mk("streq", "5").c->comparison(), CompiledOperator::Comparison::kNone);
  EXPECT_EQ(mk("rx", "5").c->comparison(), CompiledOperator::Comparison::kNone);
}

TEST(Operators, IpMatchAddressesAndCidrsV4V6) {
  OpRun ip = mk("ipMatch", "127.0.0.1,10.0.0.0/8, 192.168.1.0/23,::1,2001:db8::/32");
  EXPECT_TRUE(ip("127.0.0.1"));
  EXPECT_FALSE(ip("127.0.0.2"));
  EXPECT_TRUE(ip("10.255.1.2"));
  EXPECT_TRUE(ip("192.168.0.77"));
  EXPECT_FALSE(ip("192.168.2.1"));
  EXPECT_TRUE(ip("::1"));
  EXPECT_TRUE(ip("2001:db8:ffff::1"));
  EXPECT_FALSE(ip("2001:db9::1"));
  EXPECT_FALSE(ip("not-an-ip"));
  EXPECT_FALSE(ip("::ffff:10.0.0.1"));  // v6 values never match v4 ranges
  OpRun all = mk("ipMatch", "0.0.0.0/0");
  EXPECT_TRUE(all("8.8.8.8"));
  Status bad = compileError("ipMatch", "10.0.0.0/33");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.message().find("prefix length over 32 in 10.0.0.0/33"), std::string::npos);
  bad = compileError("ipMatch", "10.0.0.300");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.message().find("not an IP address or CIDR range: 10.0.0.300"), std::string::npos);
}

TEST(Operators, IpMatchFromFile) {
  fs::path dir = fs::temp_directory_path() / ("ops_ip_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ips.data") << "# blocked\n203.0.113.0/24\n2001:db8::5\n";
  OpRun ip(op("ipMatchFromFile", "ips.data", dir.string()));
  EXPECT_TRUE(ip("203.0.113.9"));
  EXPECT_TRUE(ip("2001:db8::5"));
  EXPECT_FALSE(ip("203.0.114.9"));
  fs::remove_all(dir);
}

TEST(Operators, ValidateByteRangeMatchesOutsideBytes) {
  OpRun r = mk("validateByteRange", "9,10,13,32-126");
  EXPECT_FALSE(r("hello world\r\n\tok~"));
  std::string matched;
  EXPECT_TRUE(r(std::string_view("a\0b", 3), &matched));
  EXPECT_EQ(matched, std::string(1, '\0'));
  EXPECT_TRUE(r("caf\xc3\xa9"));
  EXPECT_TRUE(r("\x7f"));
  OpRun crs = mk("validateByteRange", "1-255");  // the CRS's 920270 at paranoia level 1
  EXPECT_FALSE(crs("any\xffthing"));
  EXPECT_TRUE(crs(std::string_view("nul\0", 4)));
  EXPECT_FALSE(crs(""));
  // A range that leaves out a few bytes (NUL, 'A', 0xFF): the byte reported is the value's first
  // one outside the range, whichever of them it is.
  OpRun few = mk("validateByteRange", "1-64,66-254");
  EXPECT_FALSE(few("bcd xyz"));
  EXPECT_TRUE(few("x\xff yA", &matched));
  EXPECT_EQ(matched, "\xff");
  EXPECT_TRUE(few(std::string_view("zA\0\xff", 4), &matched));
  EXPECT_EQ(matched, "A");
  EXPECT_TRUE(few(std::string_view("\0A", 2), &matched));
  EXPECT_EQ(matched, std::string(1, '\0'));
  Status bad = compileError("validateByteRange", "1-300");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.message().find("bad range \"1-300\""), std::string::npos) << bad.message();
  EXPECT_FALSE(compileError("validateByteRange", "20-10").isOk());
  EXPECT_FALSE(compileError("validateByteRange", "a").isOk());
}

TEST(Operators, ValidateUrlEncoding) {
  OpRun v = mk("validateUrlEncoding", "");
  EXPECT_FALSE(v("a%20b%2F%c3%A9"));
  EXPECT_FALSE(v("plain"));
  EXPECT_TRUE(v("a%2"));
  EXPECT_TRUE(v("a%"));
  EXPECT_TRUE(v("%zz"));
  EXPECT_TRUE(v("%2g"));
  EXPECT_TRUE(v("100%"));
}

TEST(Operators, ValidateUtf8Encoding) {
  OpRun v = mk("validateUtf8Encoding", "");
  EXPECT_FALSE(v("plain ascii"));
  EXPECT_FALSE(v("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(v("\xc3"));              // truncated
  EXPECT_TRUE(v("\x80"));              // stray continuation
  EXPECT_TRUE(v("\xc0\xaf"));          // overlong '/'
  EXPECT_TRUE(v("\xe0\x80\xaf"));      // overlong 3-byte
  EXPECT_TRUE(v("\xf0\x80\x80\xaf"));  // overlong 4-byte
  EXPECT_TRUE(v("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_TRUE(v("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_TRUE(v("\xc3\x28"));          // bad continuation
  EXPECT_TRUE(v("\xff"));
}

TEST(Operators, DetectSqliAndXssCallTheDetectors) {
  OpRun sqli = mk("detectSQLi", "");
  OpRun xss = mk("detectXSS", "");
  const char* samples[] = {"1' or '1'='1",
                           "1 UNION SELECT password FROM users--",
                           "hello world",
                           "<script>alert(1)</script>",
                           "<img src=x onerror=alert(1)>",
                           "O'Reilly",
                           "a=b&c=d"};
  for (const char* s : samples) {
    std::string fp;
    bool want = detectSqli(s, &fp);
    std::string matched;
    EXPECT_EQ(sqli(s, &matched), want) << s;
    if (want) {
      EXPECT_EQ(matched, fp) << s;
    }
    EXPECT_EQ(xss(s), detectXss(s)) << s;
  }
}

TEST(Operators, UnconditionalAndNoMatch) {
  EXPECT_TRUE(mk("unconditionalMatch", "")("anything"));
  EXPECT_TRUE(mk("unconditionalMatch", "")(""));
  EXPECT_FALSE(mk("noMatch", "")("anything"));
}

TEST(Operators, NegationIsNotAppliedByMatch) {
  Operator o;
  o.name = "streq";
  o.param = "GET";
  o.negated = true;
  auto c = CompiledOperator::compile(o, OperatorEnv{});
  ASSERT_TRUE(c.isOk());
  auto scratch = MultiRegex::newScratch();
  EXPECT_TRUE((*c)->match("GET", {}, *scratch, nullptr, nullptr));
  EXPECT_FALSE((*c)->match("PUT", {}, *scratch, nullptr, nullptr));
  o.name = "rx";
  o.param = "^a";
  auto r = CompiledOperator::compile(o, OperatorEnv{});
  ASSERT_TRUE(r.isOk());
  EXPECT_TRUE((*r)->match("abc", {}, *scratch, nullptr, nullptr));
}

TEST(Operators, OperatorNamesAreCaseInsensitive) {
  EXPECT_TRUE(mk("BeginsWith", "x")("xy"));
  EXPECT_TRUE(mk("IPMATCH", "1.2.3.4")("1.2.3.4"));
}

TEST(Operators, UnsupportedOperatorsSayWhy) {
  for (const char* name : {"rbl", "geoLookup", "inspectFile", "fuzzyHash", "validateDTD",
                           "validateSchema", "verifyCC", "gsbLookup", "rsub", "verifySSN"}) {
    Status s = compileError(name, "x");
    ASSERT_FALSE(s.isOk()) << name;
    EXPECT_EQ(s.message().rfind(std::string("unsupported operator @") + name + ": ", 0), 0u)
        << s.message();
  }
  Status s = compileError("frobnicate", "x");
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.message(), "unknown operator @frobnicate");
}

// ---------------- the CRS's @rx set ----------------

// Every static @rx of the CRS files as the SecRule reader reads them (chained rules included,
// %{macro} patterns left out: those are compiled per request, never grouped).
struct CrsPattern {
  std::string file;
  std::string pattern;
};

std::vector<CrsPattern> crsRxPatterns() {
  std::vector<CrsPattern> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kCrsRules)) {
    if (e.path().extension() == ".conf") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto dirs = parseSecLang(ss.str(), f.filename().string());
    EXPECT_TRUE(dirs.isOk()) << dirs.status().message();
    if (!dirs.isOk()) continue;
    for (const Directive& d : *dirs) {
      if (d.kind != DirectiveKind::kRule) continue;
      for (const Rule* r = d.rule.get(); r != nullptr; r = r->chained.get()) {
        if (r->op.name == "rx" && r->op.param.find("%{") == std::string::npos) {
          out.push_back({f.filename().string(), r->op.param});
        }
      }
    }
  }
  return out;
}

std::string yamlUnquote(std::string v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.pop_back();
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) {
        char c = v[++i];
        if (c == 'x' && i + 2 < v.size()) {
          out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else if (c == 'n') {
          out += '\n';
        } else if (c == 't') {
          out += '\t';
        } else if (c == 'r') {
          out += '\r';
        } else if (c == '0') {
          out += '\0';
        } else {
          out += c;
        }
      } else {
        out += v[i];
      }
    }
    return out;
  }
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') return v.substr(1, v.size() - 2);
  return v;
}

std::string urlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// Attack strings of the CRS regression tests (uri and data, raw, URL-decoded, lower-cased and
// split into parameter values) plus benign text.
std::vector<std::string> sampleStrings() {
  std::set<std::string> samples;
  const std::string tests_dir = crsTestsDir();
  if (fs::exists(tests_dir)) {
    for (const auto& e : fs::recursive_directory_iterator(tests_dir)) {
      if (e.path().extension() != ".yaml") continue;
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line)) {
        size_t k = line.find_first_not_of(' ');
        if (k == std::string::npos) continue;
        std::string rest;
        if (line.compare(k, 5, "uri: ") == 0) {
          rest = line.substr(k + 5);
        } else if (line.compare(k, 6, "data: ") == 0) {
          rest = line.substr(k + 6);
        } else {
          continue;
        }
        std::string raw = yamlUnquote(rest);
        if (raw.empty() || raw.size() > 4096) continue;
        std::string dec = urlDecode(raw);
        std::string low = dec;
        std::transform(low.begin(), low.end(), low.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        samples.insert(raw);
        samples.insert(dec);
        samples.insert(low);
        // Parameter values, as ARGS would hold them.
        std::string_view q = raw;
        if (size_t qm = q.find('?'); qm != std::string_view::npos) q = q.substr(qm + 1);
        size_t pos = 0;
        while (pos <= q.size()) {
          size_t amp = q.find('&', pos);
          std::string_view kv = q.substr(pos, amp == std::string_view::npos ? q.npos : amp - pos);
          if (size_t eq = kv.find('='); eq != std::string_view::npos) {
            samples.insert(urlDecode(kv.substr(eq + 1)));
          }
          if (amp == std::string_view::npos) break;
          pos = amp + 1;
        }
      }
    }
  }
  const char* benign[] = {
      "Hello world",
      "/index.html",
      "/api/v1/users?id=42&sort=name",
      "application/json",
      "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
      "{\"name\":\"Alice O'Brien\",\"note\":\"select the best option, then update\"}",
      "The union of two sets contains every element of either.",
      "Please drop me a line at alice@example.com",
      "/static/css/site.min.css",
      "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      "en-US,en;q=0.5",
      "gzip, deflate, br",
      "keep-alive",
      "session=abc123; theme=dark",
      "",
      "1",
      "true",
      "C:\\Program Files\\App\\bin",
      "/usr/share/doc/readme.txt",
      "x=1 or maybe 2",
      "if (a < b) { return a; } else { return b; }",
      "SELECT is a word in a sentence here",
  };
  for (const char* b : benign) samples.insert(b);
  return {samples.begin(), samples.end()};
}

// The CRS set takes Hyperscan ~20 s of CPU to compile: cache it in the build directory.
void useBuildCache() {
  const char* b = std::getenv("SHIPGATE_BUILD_DIR");
  MultiRegex::setCacheDir(b != nullptr ? std::string(b) + "/managed_hs_cache" : std::string());
}

TEST(CrsRx, EveryPatternCompilesInPcreAndMostInHyperscanPrefilter) {
  useBuildCache();
  std::vector<CrsPattern> pats = crsRxPatterns();
  ASSERT_GT(pats.size(), 200u) << "the CRS rule files are missing (" << kCrsRules << ")";
  std::vector<std::string> texts;
  size_t pcre_ok = 0;
  for (const auto& p : pats) {
    auto re = Regex::compile(p.pattern);
    EXPECT_TRUE(re.isOk()) << p.file << ": " << p.pattern << ": " << re.status().message();
    if (re.isOk()) ++pcre_ok;
    texts.push_back(p.pattern);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto m = MultiRegex::compile(texts);
  ASSERT_TRUE(m.isOk()) << m.status().message();
  std::printf("MultiRegex::compile of the CRS @rx set: %.1f s%s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
              (*m)->fromCache() ? " (from the cache)" : "");
  size_t rejected = (*m)->alwaysCandidates().size();
  std::printf(
      "CRS @rx patterns: %zu, PCRE2 compiles %zu, Hyperscan prefilter compiles %zu, "
      "rejected %zu\n",
      pats.size(), pcre_ok, pats.size() - rejected, rejected);
  for (size_t k = 0; k < rejected; ++k) {
    uint32_t i = (*m)->alwaysCandidates()[k];
    std::printf("  rejected: %s: %.80s... (%s)\n", pats[i].file.c_str(), pats[i].pattern.c_str(),
                (*m)->rejections()[k].c_str());
  }
  EXPECT_EQ(pcre_ok, pats.size());
  // Grouping only pays when nearly all patterns are in the Hyperscan database.
  EXPECT_LE(rejected * 10, pats.size());
}

TEST(CrsRx, MultiRegexHasNoFalseNegativesOnTheRegressionCorpus) {
  useBuildCache();
  std::vector<CrsPattern> pats = crsRxPatterns();
  ASSERT_GT(pats.size(), 200u);
  std::vector<std::unique_ptr<Regex>> regexes;
  std::vector<std::string> texts;
  for (const auto& p : pats) {
    auto re = Regex::compile(p.pattern);
    ASSERT_TRUE(re.isOk());
    regexes.push_back(std::move(re).value());
    texts.push_back(p.pattern);
  }
  auto m = MultiRegex::compile(texts);
  ASSERT_TRUE(m.isOk());
  std::unique_ptr<MultiRegex::Scratch> scratch;
  ASSERT_TRUE((*m)->prepare(scratch).isOk());
  // Diagnostics: OPS_DEBUG_LIMIT=<n> runs with match limit n and prints each pattern that hits it.
  if (const char* l = std::getenv("OPS_DEBUG_LIMIT")) Regex::setMatchLimit(std::atoi(l));
  std::vector<std::string> samples = sampleStrings();
  ASSERT_GT(samples.size(), 300u) << "the CRS regression tests are missing (" << crsTestsDir()
                                  << "); set SHIPGATE_CRS_TESTS";
  size_t candidates = 0;
  size_t true_matches = 0;
  size_t misses = 0;
  uint64_t limit_before = Regex::matchLimitHits();
  std::vector<uint8_t> cand;
  std::vector<double> spent(regexes.size(), 0.0);
  const bool timing = std::getenv("OPS_DEBUG_TIME") != nullptr;
  for (const std::string& s : samples) {
    (*m)->scan(s, *scratch, cand);
    for (size_t i = 0; i < regexes.size(); ++i) {
      candidates += cand[i];
      uint64_t h0 = Regex::matchLimitHits();
      auto t0 = std::chrono::steady_clock::now();
      bool hit = regexes[i]->match(s);
      if (timing) {
        spent[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      if (std::getenv("OPS_DEBUG_LIMIT") && Regex::matchLimitHits() != h0) {
        std::printf("LIMIT %s len=%zu pattern=%.60s\n", pats[i].file.c_str(), s.size(),
                    pats[i].pattern.c_str());
      }
      if (hit) {
        ++true_matches;
        if (!cand[i]) {
          ++misses;
          ADD_FAILURE() << "false negative: " << pats[i].file << " pattern " << pats[i].pattern
                        << " matches \"" << s << "\" but is no candidate";
        }
      }
    }
  }
  std::printf(
      "samples %zu, patterns %zu, PCRE matches %zu, candidates %zu "
      "(candidate/true-match ratio %.2f, candidates per sample %.2f of %zu), "
      "match-limit hits %llu\n",
      samples.size(), regexes.size(), true_matches, candidates,
      true_matches ? static_cast<double>(candidates) / true_matches : 0.0,
      static_cast<double>(candidates) / samples.size(), regexes.size(),
      static_cast<unsigned long long>(Regex::matchLimitHits() - limit_before));
  if (timing) {
    std::vector<size_t> order(regexes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spent[a] > spent[b]; });
    for (size_t k = 0; k < 10 && k < order.size(); ++k) {
      std::printf("TIME %.3fs %s %.70s\n", spent[order[k]], pats[order[k]].file.c_str(),
                  pats[order[k]].pattern.c_str());
    }
  }
  EXPECT_EQ(misses, 0u);
  EXPECT_GT(true_matches, 500u);
  // At the default limit no attack string of the corpus is cut short (no lost recall).
  if (std::getenv("OPS_DEBUG_LIMIT") == nullptr) {
    EXPECT_EQ(Regex::matchLimitHits() - limit_before, 0u);
  }
}

// Regex::requiredBytes, Regex::firstBytes and Regex::firstPairs on every CRS @rx pattern: a text
// the pattern matches holds a byte of each set and one of the pairs (the engine drops a weak
// pattern, and skips its scan, when a value does not), checked on every sample of the regression
// corpus; and most patterns have one.
TEST(CrsRx, RequiredBytesHoldInEveryMatchOnTheRegressionCorpus) {
  std::vector<CrsPattern> pats = crsRxPatterns();
  ASSERT_GT(pats.size(), 200u);
  std::vector<std::string> samples = sampleStrings();
  ASSERT_GT(samples.size(), 300u);
  size_t known = 0, first_known = 0, pairs_known = 0, checked = 0;
  for (const auto& p : pats) {
    auto re = Regex::compile(p.pattern);
    ASSERT_TRUE(re.isOk());
    std::array<uint64_t, 4> first{};
    const std::vector<std::array<uint64_t, 4>> required = Regex::requiredBytes(p.pattern);
    const bool has_first = Regex::firstBytes(p.pattern, &first);
    PairRows pairs;
    const bool has_pairs = Regex::firstPairs(p.pattern, 16, &pairs);
    known += !required.empty();
    first_known += has_first;
    pairs_known += has_pairs;
    for (const std::string& s : samples) {
      if (!(*re)->match(s)) continue;
      ++checked;
      for (const auto& bytes : required)
        EXPECT_TRUE(holdsAByteOf(s, bytes))
            << p.file << ": " << p.pattern << " matches \"" << s << "\" without a required byte";
      EXPECT_TRUE(!has_first || holdsAByteOf(s, first))
          << p.file << ": " << p.pattern << " matches \"" << s << "\" without a first byte";
      EXPECT_TRUE(!has_pairs || holdsAPairOf(s, pairs))
          << p.file << ": " << p.pattern << " matches \"" << s << "\" without a first pair";
    }
  }
  std::printf(
      "CRS @rx patterns %zu: required bytes known for %zu, first bytes for %zu, first pairs for "
      "%zu; %zu matches checked\n",
      pats.size(), known, first_known, pairs_known, checked);
  EXPECT_GT(pairs_known, 30u);
  EXPECT_GT(checked, 500u);
  EXPECT_GT(known * 10, pats.size() * 8);  // the reader covers the CRS's syntax
}

TEST(CrsPm, PhraseSetAgreesWithAPlainSearchOnEveryCrsDataFile) {
  std::vector<std::string> samples = sampleStrings();
  ASSERT_GT(samples.size(), 300u);
  auto lower = [](std::string v) {
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v;
  };
  std::unique_ptr<MultiRegex::Scratch> scratch;
  size_t files = 0;
  size_t hits = 0;
  for (const auto& e : fs::directory_iterator(kCrsRules)) {
    if (e.path().extension() != ".data") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> phrases = parseDataFile(ss.str());
    auto set = PhraseSet::compile(phrases);
    ASSERT_TRUE(set.isOk()) << e.path() << ": " << set.status().message();
    ASSERT_TRUE((*set)->prepare(scratch).isOk());
    ++files;
    std::vector<std::string> lowered;
    for (const auto& ph : phrases) lowered.push_back(lower(ph));
    for (const std::string& s : samples) {
      std::string ls = lower(s);
      bool want = std::any_of(lowered.begin(), lowered.end(), [&](const std::string& ph) {
        return !ph.empty() && ls.find(ph) != std::string::npos;
      });
      std::string found;
      bool got = (*set)->match(s, *scratch, &found);
      ASSERT_EQ(got, want) << e.path().filename() << " on \"" << s << "\"";
      if (got) {
        ++hits;
        EXPECT_NE(ls.find(lower(found)), std::string::npos) << found << " not in " << s;
      }
    }
  }
  EXPECT_GE(files, 15u);
  EXPECT_GT(hits, 100u);
  std::printf("CRS data files %zu, samples %zu, phrase hits %zu\n", files, samples.size(), hits);
}

}  // namespace
}  // namespace shipgate::managed
