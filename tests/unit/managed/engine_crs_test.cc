// The full Debian CRS (modsecurity-crs) at paranoia levels 1 and 4 on a table of requests:
// ordinary traffic passes, attacks are intercepted by 949110 with the expected rule families.
#include <gtest/gtest.h>

#include "engine_test_util.h"

namespace shipgate::managed {
namespace {

using testing::has;
using testing::ids;
using testing::Req;
using testing::run;

std::shared_ptr<const Engine> crs(int pl, std::vector<Exclusion> ex = {}) {
  // Loading compiles every Hyperscan group (seconds): the plain engines are shared.
  static std::shared_ptr<const Engine> plain[5];
  if (ex.empty() && plain[pl]) return plain[pl];
  CrsSettings s;
  s.paranoia_level = pl;
  s.exclusions = std::move(ex);
  std::vector<std::string> report;
  auto e = Engine::load(s, &report);
  EXPECT_TRUE(e.isOk()) << e.status().message();
  if (!e.isOk()) return nullptr;
  if (s.exclusions.empty()) plain[pl] = *e;
  return *e;
}

bool hasPrefix(const Verdict& v, int64_t lo, int64_t hi) {
  for (int64_t id : v.matched_ids)
    if (id >= lo && id <= hi) return true;
  return false;
}

Req get(std::string uri) {
  Req r;
  r.uri = std::move(uri);
  return r;
}

Req post(std::string uri, std::string type, std::string body) {
  Req r;
  r.method = "POST";
  r.uri = std::move(uri);
  r.header("Content-Type", std::move(type));
  r.header("Content-Length", std::to_string(body.size()));
  r.body = std::move(body);
  return r;
}

std::vector<Req> benign() {
  return {
      get("/"),
      get("/static/css/site.css?v=3"),
      get("/api/v1/orders?page=2&per_page=50&sort=created_at&status=shipped"),
      get("/search?q=how+to+choose+a+good+book"),
      post(
          "/api/v1/orders", "application/json",
          R"({"customer":{"name":"Ana Silva","email":"ana@example.com"},"items":[{"sku":"A-1","qty":2}],"note":"leave at the door"})"),
      post("/contact", "application/x-www-form-urlencoded",
           "name=John+Smith&email=john%40example.com&message=Hello%2C+I+would+like+to+order+a+"
           "table+for+four+people+next+Friday.+Thanks%21"),
  };
}

struct Attack {
  const char* name;
  Req req;
  int64_t lo, hi;  // an expected rule id in [lo, hi]
};

std::vector<Attack> attacks() {
  return {
      {"sqli", get("/item?id=1'%20or%20'1'='1"), 942000, 942999},
      {"xss", get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"), 941100, 941110},
      {"lfi", get("/download?file=../../etc/passwd"), 930100, 930120},
      {"rce", get("/ping?cmd=;cat%20/etc/passwd"), 932000, 932999},
      {"sqli-union", get("/item?id=1%20UNION%20SELECT%20username,password%20FROM%20users--"),
       942000, 942999},
      {"java", get("/api?data=java.lang.Runtime.getRuntime().exec(%22id%22)"), 944000, 944999},
      {"php",
       post("/upload", "application/x-www-form-urlencoded",
            "content=%3C%3Fphp+system%28%24_GET%5B%27c%27%5D%29%3B+%3F%3E"),
       933000, 933999},
      // 920450 sets tx.header_name_<name> in its head and reads it in its chain: the head's
      // setvar must run before the chain is evaluated, once per header name (the restricted
      // header is not the last one).
      {"restricted-header",
       [] {
         Req r = get("/");
         r.headers.insert(r.headers.begin() + 1, {"Accept-Charset", "ISO-8859-1,utf-8;q=0.7"});
         return r;
       }(),
       920450, 920450},
  };
}

class CrsAtLevel : public ::testing::TestWithParam<int> {};

TEST_P(CrsAtLevel, BenignTrafficPasses) {
  auto e = crs(GetParam());
  ASSERT_TRUE(e);
  auto s = e->newScratch();
  for (const Req& r : benign()) {
    Verdict v = run(*e, *s, r);
    // PL4 is strict by design; at PL1 nothing in this table may be blocked.
    if (GetParam() == 1) {
      EXPECT_FALSE(v.intercepted) << r.method << " " << r.uri << ": " << ids(v);
      EXPECT_EQ(v.waf_score, v.anomaly_score == 0 ? 99 : attackScore(v.anomaly_score));
    }
  }
}

TEST_P(CrsAtLevel, AttacksAreInterceptedBy949110) {
  auto e = crs(GetParam());
  ASSERT_TRUE(e);
  auto s = e->newScratch();
  for (const Attack& a : attacks()) {
    Verdict v = run(*e, *s, a.req);
    EXPECT_TRUE(v.intercepted) << a.name << ": " << ids(v);
    EXPECT_EQ(v.status, 403) << a.name;
    EXPECT_EQ(v.intercepting_rule, 949110) << a.name;
    EXPECT_TRUE(has(v, 949110)) << a.name;
    EXPECT_TRUE(hasPrefix(v, a.lo, a.hi)) << a.name << ": " << ids(v);
    EXPECT_GE(v.anomaly_score, 5) << a.name;
    EXPECT_LE(v.waf_score, 20) << a.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Paranoia, CrsAtLevel, ::testing::Values(1, 4));

TEST(CrsCategories, SqliAndXssScoresLandInTheirCategory) {
  auto e = crs(1);
  ASSERT_TRUE(e);
  auto s = e->newScratch();
  Verdict sq = run(*e, *s, get("/item?id=1'%20or%20'1'='1"));
  EXPECT_GE(sq.sqli, 5);
  EXPECT_LE(sq.waf_sqli, 20);
  EXPECT_EQ(sq.waf_xss, 99);
  Verdict xs = run(*e, *s, get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"));
  EXPECT_GE(xs.xss, 5);
  EXPECT_LE(xs.waf_xss, 20);
  EXPECT_EQ(xs.waf_sqli, 99);
  Verdict rc = run(*e, *s, get("/ping?cmd=;cat%20/etc/passwd"));
  EXPECT_LE(rc.waf_rce, 20);
}

TEST(CrsExclusions, RemovingTheSqliRulesLetsTheRequestThrough) {
  Req attack = get("/item?id=1'%20or%20'1'='1");
  {
    auto e = crs(1);
    ASSERT_TRUE(e);
    auto s = e->newScratch();
    Verdict v = run(*e, *s, attack);
    ASSERT_TRUE(v.intercepted);
  }
  Exclusion by_tag;
  by_tag.tag = "attack-sqli";
  {
    auto e = crs(1, {by_tag});
    ASSERT_TRUE(e);
    auto s = e->newScratch();
    Verdict v = run(*e, *s, attack);
    EXPECT_FALSE(hasPrefix(v, 942000, 942999)) << ids(v);
    EXPECT_EQ(v.sqli, 0);
  }
  Exclusion by_target;
  by_target.ids = {IdRange{942000, 942999}};
  Target t;
  t.var = Var::kArgs;
  t.selector = "id";
  by_target.targets = {t};
  {
    auto e = crs(1, {by_target});
    ASSERT_TRUE(e);
    auto s = e->newScratch();
    Verdict v = run(*e, *s, attack);
    EXPECT_FALSE(hasPrefix(v, 942000, 942999)) << ids(v);
    // The same payload in another argument is still caught.
    Verdict w = run(*e, *s, get("/item?q=1'%20or%20'1'='1"));
    EXPECT_TRUE(w.intercepted) << ids(w);
  }
}

TEST(CrsExclusions, RemovingOneRuleByIdRemovesOnlyIt) {
  Req attack = get("/item?id=1'%20or%20'1'='1");
  auto base = crs(1);
  ASSERT_TRUE(base);
  auto s0 = base->newScratch();
  Verdict v0 = run(*base, *s0, attack);
  ASSERT_FALSE(v0.matched_ids.empty());
  int64_t first = 0;
  for (int64_t id : v0.matched_ids)
    if (id >= 942000 && id <= 942999) {
      first = id;
      break;
    }
  ASSERT_NE(first, 0) << ids(v0);
  Exclusion ex;
  ex.ids = {IdRange{first, first}};
  auto e = crs(1, {ex});
  auto s = e->newScratch();
  Verdict v = run(*e, *s, attack);
  EXPECT_FALSE(has(v, first)) << ids(v);
  EXPECT_EQ(v.sqli, v0.sqli - 5);
}

TEST(CrsLoad, ReportsTheSummaryAndVersion) {
  CrsSettings s;
  std::vector<std::string> report;
  auto e = Engine::load(s, &report);
  ASSERT_TRUE(e.isOk()) << e.status().message();
  EXPECT_EQ((*e)->version().substr(0, 10), "OWASP_CRS/");
  EXPECT_GT((*e)->ruleCount(), 300u);
  ASSERT_FALSE(report.empty());
  EXPECT_NE(report.back().find("rules (phase 1:"), std::string::npos) << report.back();
  for (const auto& l : report) std::printf("report: %s\n", l.c_str());
}

}  // namespace
}  // namespace shipgate::managed
