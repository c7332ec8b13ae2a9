// Rate-limit keys read the request through the http text toolkit: the normalised path (the one
// the gateway routes and forwards), cookies from every Cookie header with quotes removed, and
// query arguments by decoded name. Spellings of the same request share one bucket.
#include <gtest/gtest.h>

#include <string>

#include "shipgate/http/path.h"
#include "unit/firewall/firewall_fixture.h"

namespace shipgate::firewall {
namespace {

using testing::TestRequest;

std::shared_ptr<const Firewall> limitBy(const std::string& characteristic, Clock& clock) {
  return testing::firewallFrom(R"yaml(
security_rules:
  - name: keyed
    expression: 'starts_with(http.request.uri.path, "/api/")'
    action: rate_limit
    ratelimit:
      characteristics: [')yaml" + characteristic + R"yaml(']
      period: 10s
      requests_per_period: 2
)yaml",
                               clock);
}

// Inspects `r` the way the gateway does: with the path its request parser normalised.
Outcome inspect(const Firewall& fw, TestRequest r, Scratch& s) {
  RequestView v = r.view();
  std::string scratch;
  http::NormalizedPath path = http::normalizePath(http::splitTarget(r.target).path, scratch);
  EXPECT_TRUE(path.ok()) << r.target;
  v.path = path.path;
  return fw.inspect(v, s).outcome;
}

TEST(FirewallKeys, PathKeyIsTheNormalisedPath) {
  SimulatedClock clock;
  auto fw = limitBy("http.request.uri.path", clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/api/x"), s), Outcome::kPass);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/api/./x?a=1"), s), Outcome::kPass);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/api//%78"), s), Outcome::kRateLimited);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/api/y"), s), Outcome::kPass);
}

TEST(FirewallKeys, CookieKeyReadsEveryCookieHeaderUnquoted) {
  SimulatedClock clock;
  auto fw = limitBy("http.request.cookies[\"sid\"]", clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  auto with = [](std::vector<std::string> cookies) {
    TestRequest r = TestRequest::chrome("/api/x");
    for (auto& c : cookies) r.headers.emplace_back("Cookie", c);
    return r;
  };
  EXPECT_EQ(inspect(*fw, with({"sid=abc"}), s), Outcome::kPass);
  EXPECT_EQ(inspect(*fw, with({"a=1", "theme=dark; sid=\"abc\""}), s), Outcome::kPass);
  EXPECT_EQ(inspect(*fw, with({" sid = abc ; b=2"}), s), Outcome::kRateLimited);
  EXPECT_EQ(inspect(*fw, with({"sid=other"}), s), Outcome::kPass);
}

TEST(FirewallKeys, QueryArgumentKeyMatchesTheDecodedName) {
  SimulatedClock clock;
  auto fw = limitBy("http.request.uri.args[\"user_id\"]", clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/api/x?user_id=7"), s), Outcome::kPass);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/api/x?a=1&user%5Fid=7"), s), Outcome::kPass);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/api/x?user_id=7&user_id=8"), s),
            Outcome::kRateLimited);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/api/x?user_id=8"), s), Outcome::kPass);
}

}  // namespace
}  // namespace shipgate::firewall
