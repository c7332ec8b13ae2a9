#include "shipgate/staticsite/static_site.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>

#include "temp_tree.h"

namespace shipgate::staticsite {
namespace {

using testing::bodyOf;
using testing::hasHeader;
using testing::headerOf;
using testing::TempTree;

constexpr int64_t kMtime = 1'700'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT
constexpr char kMtimeHttp[] = "Tue, 14 Nov 2023 22:13:20 GMT";

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    big_ = std::string(50'000, '\0');
    for (size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>('a' + i % 26);
    site_.write("index.html", "<!doctype html><h1>home</h1>");
    site_.write("app.3f9a1c2b.js", "console.log('identity');");
    site_.write("app.3f9a1c2b.js.gz", "GZ-BYTES");
    site_.write("app.3f9a1c2b.js.br", "BR-BYTES");
    site_.write("main-8c2f1e9a0b.css", "body{}");
    site_.write("main-8c2f1e9a0b.css.gz", "CSSGZ");
    site_.write("big.txt", big_);
    site_.write("data.unknownext", "??");
    site_.write("docs/index.html", "<h1>docs</h1>");
    site_.write("empty/.keep", "");
    site_.write("page.html", "<p>page</p>");
    outside_.write("secret.txt", "TOP SECRET");
    site_.symlink(outside_.at("secret.txt"), "leak.txt");
    site_.symlink(outside_.path(), "leakdir");
    for (const char* f :
         {"index.html", "app.3f9a1c2b.js", "app.3f9a1c2b.js.gz", "app.3f9a1c2b.js.br", "big.txt",
          "page.html", "main-8c2f1e9a0b.css", "main-8c2f1e9a0b.css.gz"}) {
      site_.setMtime(f, kMtime);
    }
    config_.root = site_.path();
  }

  std::unique_ptr<StaticSite> open() {
    auto site = StaticSite::open(config_, clock_);
    EXPECT_TRUE(site.isOk()) << site.status().toString();
    return std::move(site).value();
  }

  static StaticRequest get(std::string_view path) {
    StaticRequest r;
    r.method = "GET";
    r.path = path;
    return r;
  }

  TempTree site_;
  TempTree outside_;
  SimulatedClock clock_;
  staticsite::StaticSiteConfig config_;
  std::string big_;
};

TEST_F(StaticSiteTest, ServesAFileWithValidators) {
  auto site = open();
  StaticResponse r = site->serve(get("/page.html"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r), "<p>page</p>");
  EXPECT_EQ(r.length, 11u);
  EXPECT_FALSE(r.head);
  EXPECT_EQ(headerOf(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(headerOf(r, "Last-Modified"), kMtimeHttp);
  EXPECT_EQ(headerOf(r, "Accept-Ranges"), "bytes");
  EXPECT_EQ(headerOf(r, "Cache-Control"), "public, max-age=60");
  std::string etag = headerOf(r, "ETag");
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_FALSE(hasHeader(r, "Vary"));  // no precompressed sibling
  EXPECT_FALSE(hasHeader(r, "Content-Encoding"));
  EXPECT_FALSE(hasHeader(r, "Content-Length"));  // the writer adds it from length
}

TEST_F(StaticSiteTest, LargeFilesAreServedFromAnOpenFd) {
  auto site = open();
  StaticResponse r = site->serve(get("/big.txt"));
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(r.file);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.offset, 0);
  EXPECT_EQ(r.length, big_.size());
  EXPECT_EQ(bodyOf(r), big_);
  EXPECT_EQ(headerOf(r, "Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(StaticSiteTest, HeadSendsHeadersOnly) {
  auto site = open();
  StaticRequest req = get("/big.txt");
  req.method = "HEAD";
  StaticResponse r = site->serve(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.head);
  EXPECT_EQ(r.length, big_.size());
  EXPECT_FALSE(r.file);
  EXPECT_TRUE(r.body.empty());
  EXPECT_FALSE(headerOf(r, "ETag").empty());
}

TEST_F(StaticSiteTest, OtherMethodsGet405WithAllow) {
  auto site = open();
  for (const char* m : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"}) {
    StaticRequest req = get("/index.html");
    req.method = m;
    StaticResponse r = site->serve(req);
    EXPECT_EQ(r.status, 405) << m;
    EXPECT_EQ(headerOf(r, "Allow"), "GET, HEAD") << m;
  }
}

TEST_F(StaticSiteTest, DirectoriesServeTheirIndex) {
  auto site = open();
  StaticResponse root = site->serve(get("/"));
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(bodyOf(root), "<!doctype html><h1>home</h1>");
  EXPECT_EQ(headerOf(root, "Content-Type"), "text/html; charset=utf-8");

  StaticResponse docs = site->serve(get("/docs/"));
  EXPECT_EQ(docs.status, 200);
  EXPECT_EQ(bodyOf(docs), "<h1>docs</h1>");

  StaticResponse redirect = site->serve(get("/docs"));
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(headerOf(redirect, "Location"), "docs/");

  EXPECT_EQ(site->serve(get("/empty/")).status, 404);  // no index, no listing
}

TEST_F(StaticSiteTest, CustomIndexName) {
  site_.write("docs/start.htm", "start");
  config_.index = "start.htm";
  auto site = open();
  StaticResponse r = site->serve(get("/docs/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r), "start");
  config_.index = "../x.html";
  EXPECT_FALSE(StaticSite::open(config_, clock_).isOk());
}

TEST_F(StaticSiteTest, UnknownFilesAre404WithASmallBody) {
  auto site = open();
  StaticResponse r = site->serve(get("/nope.js"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 Not Found\n");
  EXPECT_EQ(r.length, r.body.size());
  EXPECT_EQ(headerOf(r, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(site->serve(get("/page.html/")).status, 404);  // a file is not a directory
  EXPECT_EQ(site->serve(get("/nope")).status, 404);        // no SPA fallback configured
}

TEST_F(StaticSiteTest, TraversalNeverLeavesTheRoot) {
  auto site = open();
  for (const char* p :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/docs/../../secret.txt", "/leak.txt",
        "/leakdir/secret.txt", "/leakdir/", "/.%2e/etc/passwd", "/%2E%2E/%2E%2E/etc/passwd",
        "/x\\..\\secret.txt", "/x\\..\\..\\secret.txt"}) {
    StaticResponse r = site->serve(get(p));
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(bodyOf(r).find("SECRET"), std::string::npos) << p;
  }
  for (const char* p : {"/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/a%00.html", "/bad%zz",
                        "/..%5csecret.txt", "/%c0%ae%c0%ae/secret.txt", "/a/..;/secret.txt"}) {
    EXPECT_EQ(site->serve(get(p)).status, 400) << p;
  }
  // ".." that stays inside the root is just normalised.
  EXPECT_EQ(bodyOf(site->serve(get("/docs/../page.html"))), "<p>page</p>");
}

TEST_F(StaticSiteTest, IfNoneMatchGives304) {
  auto site = open();
  StaticResponse first = site->serve(get("/page.html"));
  std::string etag = headerOf(first, "ETag");
  StaticRequest req = get("/page.html");
  req.if_none_match = etag;
  StaticResponse r = site->serve(req);
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(r.length, 0u);
  EXPECT_TRUE(bodyOf(r).empty());
  EXPECT_EQ(headerOf(r, "ETag"), etag);
  EXPECT_EQ(headerOf(r, "Cache-Control"), "public, max-age=60");

  std::string weak_list = "\"other\", W/" + etag;
  req.if_none_match = weak_list;
  EXPECT_EQ(site->serve(req).status, 304);
  req.if_none_match = "\"other\"";
  EXPECT_EQ(site->serve(req).status, 200);
  // If-None-Match wins over If-Modified-Since.
  req.if_modified_since = kMtimeHttp;
  EXPECT_EQ(site->serve(req).status, 200);
}

TEST_F(StaticSiteTest, IfModifiedSinceGives304) {
  auto site = open();
  StaticRequest req = get("/page.html");
  req.if_modified_since = kMtimeHttp;
  EXPECT_EQ(site->serve(req).status, 304);
  req.if_modified_since = "Wed, 15 Nov 2023 00:00:00 GMT";
  EXPECT_EQ(site->serve(req).status, 304);
  req.if_modified_since = "Mon, 13 Nov 2023 00:00:00 GMT";
  EXPECT_EQ(site->serve(req).status, 200);
  req.if_modified_since = "garbage";
  EXPECT_EQ(site->serve(req).status, 200);
}

TEST_F(StaticSiteTest, SingleRangeGives206) {
  auto site = open();
  StaticRequest req = get("/big.txt");
  req.range = "bytes=10-19";
  StaticResponse r = site->serve(req);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(headerOf(r, "Content-Range"), "bytes 10-19/50000");
  EXPECT_EQ(r.length, 10u);
  EXPECT_EQ(r.offset, 10);
  EXPECT_EQ(bodyOf(r), big_.substr(10, 10));

  req.range = "bytes=-7";
  r = site->serve(req);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(headerOf(r, "Content-Range"), "bytes 49993-49999/50000");
  EXPECT_EQ(bodyOf(r), big_.substr(49993));

  // Small (in-memory) files slice the same way.
  StaticRequest small = get("/page.html");
  small.range = "bytes=3-";
  r = site->serve(small);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(bodyOf(r), "page</p>");
  EXPECT_EQ(headerOf(r, "Content-Range"), "bytes 3-10/11");
}

TEST_F(StaticSiteTest, UnsatisfiableRangeGives416) {
  auto site = open();
  StaticRequest req = get("/big.txt");
  req.range = "bytes=50000-";
  StaticResponse r = site->serve(req);
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(headerOf(r, "Content-Range"), "bytes */50000");
  // Malformed or multiple ranges are ignored: the whole file.
  req.range = "bytes=0-1,5-6";
  EXPECT_EQ(site->serve(req).status, 200);
  req.range = "lines=1-2";
  EXPECT_EQ(site->serve(req).status, 200);
  // HEAD ignores Range.
  req.method = "HEAD";
  req.range = "bytes=0-1";
  EXPECT_EQ(site->serve(req).status, 200);
}

TEST_F(StaticSiteTest, IfRangeGuardsTheRange) {
  auto site = open();
  std::string etag = headerOf(site->serve(get("/big.txt")), "ETag");
  StaticRequest req = get("/big.txt");
  req.range = "bytes=0-9";
  req.if_range = etag;
  EXPECT_EQ(site->serve(req).status, 206);
  req.if_range = "\"stale\"";
  StaticResponse full = site->serve(req);
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(full.length, big_.size());
  std::string weak = "W/" + etag;
  req.if_range = weak;
  EXPECT_EQ(site->serve(req).status, 200);
  req.if_range = kMtimeHttp;
  EXPECT_EQ(site->serve(req).status, 206);
  req.if_range = "Mon, 13 Nov 2023 00:00:00 GMT";
  EXPECT_EQ(site->serve(req).status, 200);
}

TEST_F(StaticSiteTest, PrecompressedSiblingsByAcceptEncoding) {
  auto site = open();
  StaticRequest req = get("/app.3f9a1c2b.js");
  req.accept_encoding = "gzip, deflate, br";
  StaticResponse br = site->serve(req);
  EXPECT_EQ(br.status, 200);
  EXPECT_EQ(bodyOf(br), "BR-BYTES");
  EXPECT_EQ(headerOf(br, "Content-Encoding"), "br");
  EXPECT_EQ(headerOf(br, "Vary"), "Accept-Encoding");
  EXPECT_EQ(headerOf(br, "Content-Type"), "text/javascript; charset=utf-8");

  req.accept_encoding = "gzip";
  StaticResponse gz = site->serve(req);
  EXPECT_EQ(bodyOf(gz), "GZ-BYTES");
  EXPECT_EQ(headerOf(gz, "Content-Encoding"), "gzip");
  EXPECT_NE(headerOf(gz, "ETag"), headerOf(br, "ETag"));

  req.accept_encoding = "br;q=0.2, gzip;q=0.9";
  EXPECT_EQ(bodyOf(site->serve(req)), "GZ-BYTES");

  req.accept_encoding = "";
  StaticResponse plain = site->serve(req);
  EXPECT_EQ(bodyOf(plain), "console.log('identity');");
  EXPECT_FALSE(hasHeader(plain, "Content-Encoding"));
  EXPECT_EQ(headerOf(plain, "Vary"), "Accept-Encoding");
  EXPECT_NE(headerOf(plain, "ETag"), headerOf(gz, "ETag"));

  StaticRequest css = get("/main-8c2f1e9a0b.css");
  css.accept_encoding = "br";  // only .gz exists
  EXPECT_EQ(bodyOf(site->serve(css)), "body{}");
  css.accept_encoding = "br, gzip";
  EXPECT_EQ(bodyOf(site->serve(css)), "CSSGZ");
}

TEST_F(StaticSiteTest, RangeAndConditionalsApplyToTheChosenRepresentation) {
  auto site = open();
  StaticRequest req = get("/app.3f9a1c2b.js");
  req.accept_encoding = "gzip";
  req.range = "bytes=3-";
  StaticResponse r = site->serve(req);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(bodyOf(r), "BYTES");
  EXPECT_EQ(headerOf(r, "Content-Range"), "bytes 3-7/8");
  EXPECT_EQ(headerOf(r, "Content-Encoding"), "gzip");

  std::string gz_etag = headerOf(r, "ETag");
  StaticRequest cond = get("/app.3f9a1c2b.js");
  cond.accept_encoding = "gzip";
  cond.if_none_match = gz_etag;
  EXPECT_EQ(site->serve(cond).status, 304);
  cond.accept_encoding = "";  // identity has a different tag
  EXPECT_EQ(site->serve(cond).status, 200);
}

TEST_F(StaticSiteTest, CacheControlByName) {
  site_.write("about.3f9a1c2b.html", "<p>about</p>");  // hashed, but HTML: revalidated
  site_.write("about.3f9a1c2b.HTM", "<p>about</p>");
  auto site = open();
  const std::string immutable = "public, max-age=31536000, immutable";
  StaticResponse hashed_html = site->serve(get("/about.3f9a1c2b.html"));
  EXPECT_EQ(headerOf(hashed_html, "Cache-Control"), "public, max-age=60");
  EXPECT_EQ(headerOf(hashed_html, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(headerOf(site->serve(get("/about.3f9a1c2b.HTM")), "Content-Type"),
            "text/html; charset=utf-8");
  EXPECT_EQ(headerOf(site->serve(get("/app.3f9a1c2b.js")), "Cache-Control"), immutable);
  EXPECT_EQ(headerOf(site->serve(get("/main-8c2f1e9a0b.css")), "Cache-Control"), immutable);
  EXPECT_EQ(headerOf(site->serve(get("/index.html")), "Cache-Control"), "public, max-age=60");
  EXPECT_EQ(headerOf(site->serve(get("/big.txt")), "Cache-Control"), "public, max-age=60");

  config_.html_max_age_s = 0;
  config_.immutable_max_age_s = 600;
  auto other = open();
  EXPECT_EQ(headerOf(other->serve(get("/")), "Cache-Control"), "no-cache");
  EXPECT_EQ(headerOf(other->serve(get("/app.3f9a1c2b.js")), "Cache-Control"),
            "public, max-age=600, immutable");
}

TEST_F(StaticSiteTest, HashedEtagIsStableAcrossCopies) {
  auto site = open();
  std::string before = headerOf(site->serve(get("/app.3f9a1c2b.js")), "ETag");
  EXPECT_EQ(before, "\"3f9a1c2b-18\"");
  // A redeploy copies the file with a new mtime: the content-hash tag does not change.
  site_.setMtime("app.3f9a1c2b.js", kMtime + 500);
  clock_.advance(std::chrono::seconds(5));
  EXPECT_EQ(headerOf(site->serve(get("/app.3f9a1c2b.js")), "ETag"), before);
}

TEST_F(StaticSiteTest, SpaFallbackServesIndexForExtensionlessPaths) {
  config_.spa_fallback = true;
  auto site = open();
  StaticResponse r = site->serve(get("/properties/42"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r), "<!doctype html><h1>home</h1>");
  EXPECT_EQ(headerOf(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(headerOf(r, "Cache-Control"), "public, max-age=60");
  EXPECT_EQ(site->serve(get("/settings/")).status, 200);
  StaticResponse dir = site->serve(get("/empty/"));  // a directory without an index
  EXPECT_EQ(dir.status, 200);
  EXPECT_EQ(bodyOf(dir), "<!doctype html><h1>home</h1>");
  EXPECT_EQ(site->serve(get("/missing.js")).status, 404);      // has an extension
  EXPECT_EQ(site->serve(get("/leakdir/secret")).status, 200);  // falls back, never leaks
  EXPECT_EQ(bodyOf(site->serve(get("/leakdir/secret"))).find("SECRET"), std::string::npos);
  EXPECT_EQ(site->serve(get("/../etc/passwd")).status, 404);  // escapes are never rescued
  StaticRequest post = get("/properties/42");
  post.method = "POST";
  EXPECT_EQ(site->serve(post).status, 405);
}

TEST_F(StaticSiteTest, SeesNewFilesAfterRevalidation) {
  auto site = open();
  EXPECT_EQ(site->serve(get("/new.txt")).status, 404);
  site_.write("new.txt", "fresh");
  EXPECT_EQ(site->serve(get("/new.txt")).status, 404);  // cached negative result
  clock_.advance(std::chrono::seconds(3));
  StaticResponse r = site->serve(get("/new.txt"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r), "fresh");
}

TEST_F(StaticSiteTest, ConcurrentServeWhileEntriesRevalidate) {
  auto site = open();
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::thread ticker([&] {
    while (!stop) clock_.advance(std::chrono::milliseconds(500));
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 1500; ++i) {
        StaticRequest req = get(i % 3 == 0 ? "/big.txt" : i % 3 == 1 ? "/app.3f9a1c2b.js" : "/");
        req.accept_encoding = (i + t) % 2 ? "gzip, br" : "";
        StaticResponse r = site->serve(req);
        std::string body = bodyOf(r);
        bool ok = r.status == 200 &&
                  (i % 3 == 0   ? body == big_
                   : i % 3 == 1 ? body == ((i + t) % 2 ? "BR-BYTES" : "console.log('identity');")
                                : body == "<!doctype html><h1>home</h1>");
        if (!ok) ++wrong;
      }
    });
  }
  for (auto& w : workers) w.join();
  stop = true;
  ticker.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(StaticSiteTest, OutOfFdsIs500AndNotCached) {
  auto site = open();
  pid_t pid = ::fork();  // the fd limit is lowered in a child only
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::dup(0);  // the lowest free fd: the limit makes the next open fail with EMFILE
    ::close(fd);
    struct rlimit lim {};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    const rlim_t soft = lim.rlim_cur;
    lim.rlim_cur = static_cast<rlim_t>(fd);
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) _exit(2);
    int during = site->serve(get("/big.txt")).status;
    lim.rlim_cur = soft;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) _exit(3);
    int after = site->serve(get("/big.txt")).status;
    _exit(during == 500 && after == 200 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "expected 500 while out of fds, then 200";
}

TEST_F(StaticSiteTest, OpenFailsWithoutADirectory) {
  config_.root = site_.at("missing");
  EXPECT_FALSE(StaticSite::open(config_).isOk());
  config_.root = site_.at("page.html");
  EXPECT_FALSE(StaticSite::open(config_).isOk());
}

}  // namespace
}  // namespace shipgate::staticsite
