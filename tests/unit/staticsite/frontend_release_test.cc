// Builds the coinestate frontend with its real build script into a temp directory and serves the
// release through StaticSite: the page references hashed assets, those get immutable caching and
// their gzip siblings, and index.html stays short-lived.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <set>

#include "shipgate/staticsite/static_site.h"
#include "temp_tree.h"

namespace shipgate::staticsite {
namespace {

using testing::bodyOf;
using testing::headerOf;
using testing::TempTree;

TEST(FrontendReleaseTest, BuildScriptOutputServesAsAHashedRelease) {
  const char* source = std::getenv("SHIPGATE_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "SHIPGATE_SOURCE_DIR is not set (run through ctest)";
  TempTree tmp;
  std::string out = tmp.at("release");
  std::string cmd = std::string("bash '") + source + "/examples/coinestate/frontend/build.sh' '" +
                    out + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  staticsite::StaticSiteConfig config;
  config.root = out;
  config.spa_fallback = true;
  SimulatedClock clock;
  auto site = StaticSite::open(config, clock).value();

  StaticRequest req;
  req.method = "GET";
  req.path = "/";
  StaticResponse index = site->serve(req);
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(headerOf(index, "Cache-Control"), "public, max-age=60");
  std::string html = bodyOf(index);
  EXPECT_NE(html.find("data-api-version"), std::string::npos);

  std::regex ref(R"re((?:src|href)="(/[a-z]+\.[0-9a-f]{10}\.(?:js|css|svg))")re");
  std::set<std::string> assets;
  for (std::sregex_iterator it(html.begin(), html.end(), ref), end; it != end; ++it) {
    assets.insert((*it)[1].str());
  }
  ASSERT_EQ(assets.size(), 3u) << html;
  for (const std::string& asset : assets) {
    StaticRequest a;
    a.method = "GET";
    a.path = asset;
    StaticResponse plain = site->serve(a);
    EXPECT_EQ(plain.status, 200) << asset;
    EXPECT_EQ(headerOf(plain, "Cache-Control"), "public, max-age=31536000, immutable") << asset;
    EXPECT_EQ(headerOf(plain, "Vary"), "Accept-Encoding") << asset;
    a.accept_encoding = "gzip";
    StaticResponse gz = site->serve(a);
    EXPECT_EQ(headerOf(gz, "Content-Encoding"), "gzip") << asset;
    std::string gz_body = bodyOf(gz);
    ASSERT_GE(gz_body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(gz_body[0]), 0x1f) << asset;  // gzip magic
    EXPECT_EQ(static_cast<unsigned char>(gz_body[1]), 0x8b) << asset;
  }

  // A deep SPA route gets the page, whose root-relative asset links still resolve.
  req.path = "/properties/prop-001";
  StaticResponse deep = site->serve(req);
  EXPECT_EQ(deep.status, 200);
  EXPECT_EQ(bodyOf(deep), html);
}

}  // namespace
}  // namespace shipgate::staticsite
