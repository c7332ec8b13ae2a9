// The per-chain prefilter never loses a match: every request line of the CRS v3.3.4 regression
// tests (their URIs as GETs, their one-line bodies as form POSTs) gives the same matched rules
// with the prefilter (the chains' literal and weak prefilters, their combined @pm scans, and the
// rules passed over from their steps when no value is a candidate) as with every @rx and @pm run
// on every value, at paranoia levels 1 and 4; and so
// does each of them again with the payload in request headers and cookies (the prefilter's
// per-variable weak sets, target sets and cookie exclusions see other variables).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "engine_test_util.h"
#include "support/paths.h"

namespace shipgate::managed {
namespace {

using testing::ids;
using testing::Req;
using testing::run;

std::string unquote(std::string v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.pop_back();
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) {
        char n = v[++i];
        out.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : n);
      } else {
        out.push_back(v[i]);
      }
    }
    return out;
  }
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') return v.substr(1, v.size() - 2);
  return v;
}

std::vector<Req> regressionRequests() {
  std::vector<Req> out;
  // The regression tests of the CRS release the Debian package ships (see the crsproof README).
  const std::string root = testsupport::crsRegressionTests();
  if (root.empty()) return out;  // the caller fails on an empty list
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      size_t p = line.find_first_not_of(' ');
      if (p == std::string::npos) continue;
      std::string_view l(line);
      l.remove_prefix(p);
      if (l.rfind("uri:", 0) == 0) {
        Req r;
        std::string_view v = l.substr(4);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        r.uri = unquote(std::string(v));
        if (r.uri.empty() || r.uri[0] != '/') continue;
        out.push_back(std::move(r));
      } else if (l.rfind("data:", 0) == 0 && l.size() > 6 && l[5] == ' ' && l[6] != '|' &&
                 l[6] != '>') {
        Req r;
        r.method = "POST";
        r.uri = "/post";
        r.body = unquote(std::string(l.substr(6)));
        r.header("Content-Type", "application/x-www-form-urlencoded");
        r.header("Content-Length", std::to_string(r.body.size()));
        out.push_back(std::move(r));
      }
    }
  }
  return out;
}

class ManagedEnginePrefilter : public ::testing::TestWithParam<int> {};

TEST_P(ManagedEnginePrefilter, SameMatchesAsRunningEveryRegex) {
  auto reqs = regressionRequests();
  ASSERT_GT(reqs.size(), 1000u) << "CRS regression tests not found";
  CrsSettings on, off;
  on.paranoia_level = off.paranoia_level = GetParam();
  off.prefilter = false;
  auto a = Engine::load(on);
  auto b = Engine::load(off);
  ASSERT_TRUE(a.isOk()) << a.status().message();
  ASSERT_TRUE(b.isOk()) << b.status().message();
  auto sa = (*a)->newScratch();
  auto sb = (*b)->newScratch();
  size_t differ = 0, matched = 0;
  const size_t plain = reqs.size();
  for (size_t i = 0; i < plain; ++i) {
    Req r = reqs[i];
    std::string payload = r.body.empty() ? r.uri : r.body;
    for (char& c : payload)
      if (c == '\r' || c == '\n') c = ' ';
    r.header("Cookie", "__utmz=" + payload + "; sid=" + payload + "; theme=dark");
    r.header("Referer", "https://shop.example.com/?q=" + payload);
    r.header("X-Note", payload);
    reqs.push_back(std::move(r));
  }
  for (const Req& r : reqs) {
    Verdict va = run(**a, *sa, r);
    Verdict vb = run(**b, *sb, r);
    if (!vb.matched_ids.empty()) ++matched;
    if (va.matched_ids != vb.matched_ids) {
      if (++differ <= 10)
        ADD_FAILURE() << r.method << " " << r.uri << " " << r.body << "\n prefilter: " << ids(va)
                      << "\n every regex: " << ids(vb);
    }
  }
  EXPECT_EQ(differ, 0u);
  EXPECT_GT(matched, reqs.size() * 2 / 5);  // the corpus exercises the rules
  EXPECT_EQ(reqs.size(), 2 * plain);
  std::printf("PL%d: %zu requests, %zu with matches, %zu differ\n", GetParam(), reqs.size(),
              matched, differ);
}

// PL4 runs every rule; PL1 is the default, whose skipAfter paths differ.
INSTANTIATE_TEST_SUITE_P(Levels, ManagedEnginePrefilter, ::testing::Values(1, 4));

}  // namespace
}  // namespace shipgate::managed
