// The accessibility scan for real: tools/axe-scan (axe-core 4.10 in Debian's headless Chromium
// through playwright-core) loads pages served over loopback by a real HTTP server, and
// gates::scanAccessibility reads and judges what it wrote. A page with three known WCAG A/AA
// violations (an image without alt, an input without a label, low-contrast text) and a clean
// page; the runner's failures (404, a server that never answers, no runner, no node). Needs node,
// Chromium and `npm ci` in tools/axe-scan (scripts/install-deps.sh): without them the tests fail.
#include "shipgate/gates/axe_scan.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "support/paths.h"

namespace shipgate::gates {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kBadPage = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Properties</title></head>
<body><main><h1>Properties</h1>
<img src="house.png">
<form><input type="text" name="q"></form>
<p style="color:#aaaaaa;background:#ffffff">Low contrast text</p>
</main></body></html>
)";

constexpr const char* kGoodPage = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Home</title></head>
<body><main><h1>Home</h1>
<img src="house.png" alt="A house">
<form><label for="q">Search</label><input type="text" id="q" name="q"></form>
<p style="color:#222222;background:#ffffff">Readable text</p>
</main></body></html>
)";

std::string runner() {
  return (fs::path(testsupport::sourceDir()) / "tools/axe-scan/axe-scan.js").string();
}

// The pages above on 127.0.0.1:<port>/bad.html and /good.html (a real HTTP server).
class Pages {
 public:
  Pages() {
    dir_.writeFile("bad.html", kBadPage);
    dir_.writeFile("good.html", kGoodPage);
    server_.set_mount_point("/", dir_.file(""));
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket listens already (bind); wait for the accept loop, bounded.
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~Pages() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  testsupport::TempDir dir_{"sg-axe-pages"};
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

AxeScanOptions options(std::vector<std::string> urls) {
  AxeScanOptions o;
  o.urls = std::move(urls);
  o.runner = runner();
  o.timeout = 120s;
  return o;
}

std::vector<std::string> idsOn(const AccessibilitySummary& s, const std::string& url) {
  std::vector<std::string> ids;
  for (const auto& v : s.violations)
    if (v.url == url) ids.push_back(v.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(AxeScan, FindsTheKnownViolationsAndPassesTheCleanPage) {
  Pages pages;
  auto r = scanAccessibility(options({pages.url("/bad.html"), pages.url("/good.html")}));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->summary.pages, 2);
  EXPECT_EQ(idsOn(r->summary, pages.url("/bad.html")),
            (std::vector<std::string>{"color-contrast", "image-alt", "label"}));
  EXPECT_TRUE(idsOn(r->summary, pages.url("/good.html")).empty());
  ASSERT_EQ(r->summary.violations.size(), 3u);
  for (const auto& v : r->summary.violations) {
    EXPECT_EQ(v.nodes, 1) << v.id;
    const std::string level = v.id == "color-contrast" ? "wcag2aa" : "wcag2a";
    EXPECT_NE(std::find(v.tags.begin(), v.tags.end(), level), v.tags.end()) << v.id;
  }
  EXPECT_EQ(r->verdict.gate, "accessibility");
  EXPECT_FALSE(r->verdict.pass);
  EXPECT_EQ(r->verdict.measured, 3);
  EXPECT_EQ(r->verdict.measured_text, "3 violations (3 elements) on 2 pages");
  EXPECT_NE(r->report_json.find("\"testEngine\""), std::string::npos);
}

TEST(AxeScan, CleanPagePasses) {
  Pages pages;
  auto r = scanAccessibility(options({pages.url("/good.html")}));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->summary.pages, 1);
  EXPECT_TRUE(r->summary.violations.empty());
  EXPECT_TRUE(r->verdict.pass) << r->verdict.reason;
  EXPECT_EQ(r->verdict.measured, 0);
  EXPECT_EQ(r->verdict.measured_text, "0 violations (0 elements) on 1 page");
}

TEST(AxeScan, WcagAOnlyLetsTheAaContrastViolationThrough) {
  Pages pages;
  AxeScanOptions o = options({pages.url("/bad.html")});
  o.wording = "WCAG 2.1 A compliance";
  auto r = scanAccessibility(o);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->summary.violations.size(), 3u);
  EXPECT_EQ(r->verdict.measured, 2);  // image-alt and label are level A; color-contrast is AA
}

TEST(AxeScan, PageNotFoundIsAnErrorNamingTheUrl) {
  Pages pages;
  const std::string missing = pages.url("/missing.html");
  auto r = scanAccessibility(options({pages.url("/good.html"), missing}));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "accessibility scan failed (exit 1): " + missing + ": HTTP 404, expected 2xx");
}

TEST(AxeScan, NavigationTimeoutIsBoundedPerPage) {
  // A server that accepts connections (the kernel's backlog) and never answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";
  AxeScanOptions o = options({url});
  o.page_timeout = 2s;
  auto r = scanAccessibility(o);
  ::close(fd);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(),
            "accessibility scan failed (exit 1): " + url + ": navigation timed out after 2000 ms");
}

// A short page limit is for pages, not for starting Chromium: a browser that takes 6 s to start
// (a CI machine busy with other tests took over 2 s) still scans a page with a 5 s limit.
TEST(AxeScan, SlowChromiumStartIsNotAPageTimeout) {
  Pages pages;
  testsupport::TempDir dir{"sg-axe-slow"};
  const std::string wrapper =
      dir.writeFile("slow-chromium", "#!/bin/sh\nsleep 6\nexec /usr/bin/chromium \"$@\"\n");
  ASSERT_EQ(::chmod(wrapper.c_str(), 0755), 0);
  ASSERT_EQ(::setenv("CHROMIUM", wrapper.c_str(), 1), 0);  // the runner's browser
  AxeScanOptions o = options({pages.url("/good.html")});
  o.page_timeout = 5s;
  auto r = scanAccessibility(o);
  ::unsetenv("CHROMIUM");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->summary.pages, 1);
  EXPECT_TRUE(r->verdict.pass) << r->verdict.reason;
}

TEST(AxeScan, WholeScanTimeoutKillsTheRunner) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  AxeScanOptions o = options({"http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"});
  o.page_timeout = 60s;
  o.timeout = 3s;
  auto r = scanAccessibility(o);
  ::close(fd);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout);
  EXPECT_EQ(r.status().message().rfind(
                "accessibility scan of 1 page timed out after 3000 ms (runner killed)", 0),
            0u)
      << r.status().message();
}

TEST(AxeScan, MissingRunnerOrNodeIsAClearError) {
  AxeScanOptions o = options({"http://127.0.0.1:9/"});
  o.runner = "/nonexistent/axe-scan.js";
  auto r = scanAccessibility(o);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(),
            "the accessibility runner /nonexistent/axe-scan.js does not exist");

  o = options({"http://127.0.0.1:9/"});
  o.node = "/nonexistent/node";
  r = scanAccessibility(o);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message().rfind("accessibility scan: cannot run /nonexistent/node", 0), 0u)
      << r.status().message();
}

TEST(AxeScan, DefaultRunnerIsFoundInTheSourceTree) {
  auto r = defaultAxeRunner();
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(fs::canonical(*r), fs::canonical(runner()));
}

// The reader on a real runner output (saved from the first test's pages).
TEST(AxeScan, ReaderOnSavedChromiumOutput) {
  const fs::path fixture =
      fs::path(testsupport::sourceDir()) / "tests/unit/gates/fixtures/axe-chromium.json";
  auto r = readReportFile(ReportKind::kAxe, fixture);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  const auto& s = std::get<AccessibilitySummary>(*r);
  EXPECT_EQ(s.pages, 2);
  EXPECT_EQ(idsOn(s, "http://127.0.0.1:18765/bad.html"),
            (std::vector<std::string>{"color-contrast", "image-alt", "label"}));
  EXPECT_TRUE(idsOn(s, "http://127.0.0.1:18765/good.html").empty());
}

}  // namespace
}  // namespace shipgate::gates
