// False positives of the managed rules: the benign corpus (3,000 seeded requests of ordinary API
// and form traffic, benign_corpus.h) through the full Debian CRS at paranoia level 1 in process.
// Prints, per rule, how many requests it fires on, and the share intercepted (949110); asserts
// ceilings for both (the share ModSecurity + CRS blocks on the same corpus is 3.67 %; shipgate
// with its match confirmation, engine_confirm.h, 0.23 %).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "benign_corpus.h"
#include "engine_test_util.h"
#include "shipgate/managed/detect.h"

namespace shipgate::managed {
namespace {

TEST(ManagedFp, BenignCorpusAtParanoiaLevel1) {
  std::string error;
  // FP_SEED / FP_COUNT explore other corpora (the ceilings below hold for seed 1, 3000).
  const char* seed_env = std::getenv("FP_SEED");
  const char* count_env = std::getenv("FP_COUNT");
  const char* pl_env = std::getenv("FP_PL");  // and other paranoia levels
  const char* confirm_env = std::getenv("FP_CONFIRM");  // "0": the CRS's verdicts unconfirmed
  const bool standard = seed_env == nullptr && count_env == nullptr && pl_env == nullptr &&
                        confirm_env == nullptr;
  auto corpus = benign::generate(seed_env ? std::stoull(seed_env) : 1,
                                 count_env ? std::stoul(count_env) : 3000, "localhost", &error);
  ASSERT_FALSE(corpus.empty()) << error;
  CrsSettings s;
  s.paranoia_level = pl_env ? std::stoi(pl_env) : 1;
  s.confirm_matches = confirm_env == nullptr || std::string(confirm_env) != "0";
  std::vector<std::string> report;
  auto e = Engine::load(s, &report);
  ASSERT_TRUE(e.isOk()) << e.status().message();
  auto scratch_ptr = (*e)->newScratch();
  Engine::Scratch& scratch = *scratch_ptr;
  std::map<int64_t, int> per_rule;
  std::map<std::string, std::pair<int, int>> per_kind;
  int intercepted = 0;
  for (const auto& raw : corpus) {
    testing::Req r = testing::parseRaw(raw.bytes);
    Verdict v = testing::run(**e, scratch, r);
    std::vector<int64_t> seen;
    for (int64_t id : v.matched_ids) {
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      seen.push_back(id);
      ++per_rule[id];
    }
    // FP_DUMP=DIR: writes each request (DIR/NNNN.req) and the rules that fired on it
    // (DIR/ours.txt: "NNNN kind id id ..."), to replay the corpus against another WAF.
    if (const char* dump = std::getenv("FP_DUMP")) {
      size_t n = static_cast<size_t>(&raw - corpus.data());
      char name[16];
      std::snprintf(name, sizeof name, "%04zu", n);
      std::ofstream(std::string(dump) + "/" + name + ".req", std::ios::binary) << raw.bytes;
      std::ofstream(std::string(dump) + "/ours.txt", std::ios::app)
          << name << " " << raw.kind << " " << testing::ids(v) << "\n";
    }
    auto& k = per_kind[raw.kind];
    ++k.first;
    if (v.intercepted) {
      ++intercepted;
      ++k.second;
      if (std::getenv("FP_SHOW"))
        for (const auto& m : v.matched)
          if (m.id != 949110)
            std::printf("blocked %lld %s [%s] %s\n", static_cast<long long>(m.id),
                        m.matched_var.c_str(), m.data.c_str(), r.uri.c_str());
    }
  }
  double share = 100.0 * intercepted / static_cast<double>(corpus.size());
  std::printf("benign corpus: %zu requests, intercepted %d = %.2f %%\n", corpus.size(),
              intercepted, share);
  for (const auto& [kind, k] : per_kind) std::printf("  kind %-8s %d/%d\n", kind.c_str(), k.second, k.first);
  for (const auto& [id, n] : per_rule) std::printf("  rule %lld fires on %d\n", static_cast<long long>(id), n);

  auto fires = [&](int64_t id) { return per_rule.count(id) ? per_rule[id] : 0; };
  // 942100 (our detectSqli) fired on 55: the address "3 Select Court" (53, as "1E") and the
  // search "select notes from meeting" (2). libinjection (ModSecurity) fires it on 2 others.
  if (!standard) return;
  EXPECT_EQ(fires(942100), 0);
  // Without the match confirmation (FP_CONFIRM=0) 108 = 3.60 % are blocked (ModSecurity + CRS:
  // 110 = 3.67 %): 942360 on 53 ("3 Select Court"), 932150 on 24 (prose starting with
  // "rename"), 932115 on 22 and 932100 on 2 (TeX-quoted `/usr/share/...' paths in license
  // texts). The confirmation (src/managed/engine_confirm.h) rejects all of them.
  EXPECT_EQ(fires(942360), 0);
  EXPECT_EQ(fires(932150), 0);
  EXPECT_EQ(fires(932115), 0);
  EXPECT_EQ(fires(932100), 0);
  // 7 = 0.23 %: the CRS's own FPs left (942230 2, 933210 2, 931120, 932140, 941180 1 each).
  EXPECT_LE(intercepted, 7);
}

TEST(ManagedFp, DetectSqliNumberThenKeyword) {
  EXPECT_FALSE(detectSqli("3 Select Court"));
  EXPECT_FALSE(detectSqli("12 Union Street"));
  EXPECT_FALSE(detectSqli("221 Update Lane, Springfield"));
  EXPECT_TRUE(detectSqli("1 select * from users"));
  EXPECT_TRUE(detectSqli("1 union select password from users"));
  EXPECT_TRUE(detectSqli("1' union select 1,2--"));
}

TEST(ManagedFp, DetectSqliSelectPhrase) {
  EXPECT_FALSE(detectSqli("select notes from meeting"));
  EXPECT_FALSE(detectSqli("select notes from meeting You may charge a"));
  EXPECT_FALSE(detectSqli("select notes from meeting All rights reserved License"));
  EXPECT_TRUE(detectSqli("select password from users where username is admin"));
  EXPECT_TRUE(detectSqli("select password from users limit 1"));
  EXPECT_TRUE(detectSqli("select name from users join roles on x"));
  EXPECT_TRUE(detectSqli("select * from users"));
  EXPECT_TRUE(detectSqli("select password from users where id=1"));
  EXPECT_TRUE(detectSqli("select user() from dual"));
  EXPECT_TRUE(detectSqli("1;select password from users"));
}

}  // namespace
}  // namespace shipgate::managed
