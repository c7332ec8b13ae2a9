// TrafficPlan::route: exact host, longest wildcard, host-less sites, longest path prefix.
#include <gtest/gtest.h>

#include "plan_fixture.h"

namespace shipgate::traffic {
namespace {

using testing::appSite;
using testing::PlanFixture;

traffic::SiteConfig staticSite(const std::string& name, std::vector<std::string> hosts,
                               const std::string& prefix = "/") {
  traffic::SiteConfig s;
  s.name = name;
  s.kind = traffic::SiteKind::kStatic;
  s.hosts = std::move(hosts);
  s.path_prefix = prefix;
  return s;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Config cfg;
    trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 0));
    trafficConfigForTest(cfg).apps.push_back(testing::app("admin", 1, 0));
    trafficConfigForTest(cfg).sites.push_back(staticSite("fallback", {}));
    trafficConfigForTest(cfg).sites.push_back(
        staticSite("www", {"www.example.com", "example.com"}));
    trafficConfigForTest(cfg).sites.push_back(appSite("api", "api", {"example.com"}, "/api"));
    trafficConfigForTest(cfg).sites.push_back(
        appSite("api-v2", "api", {"example.com"}, "/api/v2/"));
    trafficConfigForTest(cfg).sites.push_back(staticSite("tenants", {"*.example.com"}));
    trafficConfigForTest(cfg).sites.push_back(staticSite("eu-tenants", {"*.eu.example.com"}));
    trafficConfigForTest(cfg).sites.push_back(
        appSite("admin", "admin", {"*.example.com"}, "/admin"));
    trafficConfigForTest(cfg).sites.push_back(appSite("any-health", "admin", {}, "/healthz"));
    trafficConfigForTest(cfg).sites.push_back(
        appSite("only", "api", {"only.example.com"}, "/only"));
    fx.build(std::move(cfg));
  }
  std::string routeName(std::string_view host, std::string_view path) {
    auto m = fx.plan->route(host, path);
    return m ? m->site->name : "<none>";
  }
  PlanFixture fx;
};

TEST_F(RouterTest, ExactHostBeatsWildcard) {
  EXPECT_EQ(routeName("www.example.com", "/"), "www");
  EXPECT_EQ(routeName("example.com", "/index.html"), "www");
}

TEST_F(RouterTest, HostIsCaseInsensitiveAndPortIsStripped) {
  EXPECT_EQ(routeName("WWW.Example.COM:8443", "/"), "www");
  EXPECT_EQ(routeName("Shop.EU.example.com:80", "/"), "eu-tenants");
  EXPECT_EQ(routeName("example.com.", "/"), "www");
}

TEST_F(RouterTest, LongestPathPrefixWinsAtSegmentBoundary) {
  EXPECT_EQ(routeName("example.com", "/api"), "api");
  EXPECT_EQ(routeName("example.com", "/api/v1/x"), "api");
  EXPECT_EQ(routeName("example.com", "/api?q=1"), "api");
  EXPECT_EQ(routeName("example.com", "/api/v2/props"), "api-v2");
  EXPECT_EQ(routeName("example.com", "/apix"), "www");
}

TEST_F(RouterTest, LongestWildcardWins) {
  EXPECT_EQ(routeName("a.example.com", "/"), "tenants");
  EXPECT_EQ(routeName("a.b.example.com", "/"), "tenants");
  EXPECT_EQ(routeName("shop.eu.example.com", "/"), "eu-tenants");
  EXPECT_EQ(routeName("a.example.com", "/admin/users"), "admin");
  // A wildcard does not match its bare suffix.
  EXPECT_EQ(routeName("eu.example.com", "/"), "tenants");
}

TEST_F(RouterTest, HostlessSitesCatchTheRest) {
  EXPECT_EQ(routeName("other.org", "/"), "fallback");
  EXPECT_EQ(routeName("other.org", "/healthz"), "any-health");
  EXPECT_EQ(routeName("", "/healthz"), "any-health");
  EXPECT_EQ(routeName("x.example.com", "/healthz"), "tenants");
  // A host tier whose prefixes do not match falls through to the next tier.
  EXPECT_EQ(routeName("only.example.com", "/only/a"), "only");
  EXPECT_EQ(routeName("only.example.com", "/other"), "tenants");
}

TEST_F(RouterTest, MatchCarriesIndices) {
  auto m = fx.plan->route("example.com", "/api/v2/x");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->site_index, 3);
  EXPECT_EQ(m->app_index, fx.plan->appIndex("api"));
  auto s = fx.plan->route("www.example.com", "/");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->app_index, -1);
  EXPECT_EQ(fx.plan->appIndex("admin"), 1);
  EXPECT_EQ(fx.plan->appIndex("nope"), -1);
}

TEST(RouterNoFallback, UnknownHostHasNoRoute) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 0));
  trafficConfigForTest(cfg).sites.push_back(appSite("api", "api", {"api.example.com"}));
  fx.build(std::move(cfg));
  EXPECT_FALSE(fx.plan->route("evil.example.com", "/").has_value());
  EXPECT_TRUE(fx.plan->route("api.example.com", "/").has_value());
}

}  // namespace
}  // namespace shipgate::traffic
