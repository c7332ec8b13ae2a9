#include "staticsite/content_meta.h"

#include <gtest/gtest.h>

namespace shipgate::staticsite {
namespace {

TEST(ContentMetaTest, ContentTypes) {
  EXPECT_EQ(contentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(contentTypeFor("a/b/STYLE.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(contentTypeFor("app.3f9a1c2b.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(contentTypeFor("m.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(contentTypeFor("d.json"), "application/json; charset=utf-8");
  EXPECT_EQ(contentTypeFor("i.svg"), "image/svg+xml; charset=utf-8");
  EXPECT_EQ(contentTypeFor("i.png"), "image/png");
  EXPECT_EQ(contentTypeFor("i.jpg"), "image/jpeg");
  EXPECT_EQ(contentTypeFor("i.gif"), "image/gif");
  EXPECT_EQ(contentTypeFor("i.webp"), "image/webp");
  EXPECT_EQ(contentTypeFor("favicon.ico"), "image/x-icon");
  EXPECT_EQ(contentTypeFor("f.woff2"), "font/woff2");
  EXPECT_EQ(contentTypeFor("robots.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(contentTypeFor("m.wasm"), "application/wasm");
  EXPECT_EQ(contentTypeFor("app.js.map"), "application/json; charset=utf-8");
  EXPECT_EQ(contentTypeFor("sitemap.xml"), "application/xml; charset=utf-8");
  EXPECT_EQ(contentTypeFor("doc.pdf"), "application/pdf");
  EXPECT_EQ(contentTypeFor("blob.bin"), "application/octet-stream");
  EXPECT_EQ(contentTypeFor("Makefile"), "application/octet-stream");
  EXPECT_EQ(contentTypeFor(".html"), "application/octet-stream");
}

TEST(ContentMetaTest, HashedNames) {
  EXPECT_EQ(hashSegmentOf("app.3f9a1c2b.js"), "3f9a1c2b");
  EXPECT_EQ(hashSegmentOf("assets/main-8c2f1e9a0b.css"), "8c2f1e9a0b");
  EXPECT_EQ(hashSegmentOf("index-BqX8kZ9a.js"), "BqX8kZ9a");
  EXPECT_EQ(hashSegmentOf("app.3f9a1c2b.js.gz"), "3f9a1c2b");
  EXPECT_EQ(hashSegmentOf("3f9a1c2b.js"), "3f9a1c2b");
  EXPECT_EQ(hashSegmentOf("app.js"), "");
  EXPECT_EQ(hashSegmentOf("app.3f9a1c2.js"), "");               // 7 chars: too short
  EXPECT_EQ(hashSegmentOf("deadbeef.js"), "");                  // hex but no digit: a word
  EXPECT_EQ(hashSegmentOf("app.abcdefabcd.js"), "abcdefabcd");  // 10 hex chars: a hash
  EXPECT_EQ(hashSegmentOf("fontawesome1234.css"), "");          // no upper case, not hex
  EXPECT_EQ(hashSegmentOf("application.js"), "");
  EXPECT_EQ(hashSegmentOf("3f9a1c2b/app.js"), "");  // directory names do not count
  EXPECT_EQ(hashSegmentOf("app.3f9a1c2b"), "");     // the extension itself is not a hash
}

TEST(ContentMetaTest, HttpDatesRoundTrip) {
  EXPECT_EQ(formatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), 784111777);
  for (int64_t t : {0L, 951782400L, 1700000000L, 4102444799L}) {
    EXPECT_EQ(parseHttpDate(formatHttpDate(t)), t) << t;
  }
}

TEST(ContentMetaTest, MalformedDates) {
  EXPECT_FALSE(parseHttpDate(""));
  EXPECT_FALSE(parseHttpDate("yesterday"));
  EXPECT_FALSE(parseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC"));
  EXPECT_FALSE(parseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"));
  EXPECT_FALSE(parseHttpDate("Sun, 06 Nov 1994 25:49:37 GMT"));
  EXPECT_FALSE(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
}

}  // namespace
}  // namespace shipgate::staticsite
