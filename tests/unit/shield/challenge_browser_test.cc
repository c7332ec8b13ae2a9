// The managed challenge in a real browser: a cpp-httplib server answers every request without a
// valid sg_clearance cookie with Challenge::page(), and headless Chromium (playwright-core,
// tests/unit/shield/browser_solve.js) must solve it, store the cookie, reload and get through;
// with JavaScript disabled it must stay on the 403 page. Fails loudly without node, Chromium or
// playwright-core.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "shipgate/shield/challenge.h"

namespace shipgate::shield {
namespace {

namespace fs = std::filesystem;

std::string sourceDir() {
  const char* s = std::getenv("SHIPGATE_SOURCE_DIR");
  return s ? s : ".";
}

class ChallengeBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists("/usr/bin/node")) << "node is required";
    ASSERT_TRUE(fs::exists(std::getenv("CHROMIUM") ? std::getenv("CHROMIUM") : "/usr/bin/chromium"))
        << "Chromium is required (set CHROMIUM)";
    ASSERT_TRUE(fs::exists(sourceDir() + "/tests/js/node_modules/playwright-core"))
        << "playwright-core is required: npm ci in tests/js";
    ChallengeConfig c;  // random secret, 16 bits
    auto r = Challenge::create(c, RealClock::instance());
    ASSERT_TRUE(r.isOk());
    challenge_ = std::move(r).value();
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::string ua = req.get_header_value("User-Agent");
      const std::string cookie_header = req.get_header_value("Cookie");  // owns the view below
      auto cookie = findClearanceCookie(cookie_header);
      if (cookie) {
        // refuse_: pretend the client moved to another address, so every cookie is refused.
        CookieCheck check = challenge_->verifyCookie(
            *cookie, refuse_ ? std::string("192.0.2.1") : req.remote_addr, ua);
        std::lock_guard<std::mutex> lock(mu_);
        last_reason_ = std::string(toString(check.reason)) + " for cookie " + std::string(*cookie);
        if (check.valid) {
          ++cleared_;
          res.set_content("<!doctype html><p>cleared</p>", "text/html");
          return;
        }
      }
      ++challenged_;
      ChallengePage page = challenge_->page(req.remote_addr, ua);
      res.status = page.status;
      for (const auto& [name, value] : page.headers) res.set_header(name, value);
      res.set_content(page.body, page.content_type.c_str());
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket is already listening after bind_to_any_port; early connections wait in the
    // backlog.
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  nlohmann::json drive(const std::string& extra) {
    std::string cmd = "node '" + sourceDir() + "/tests/unit/shield/browser_solve.js' " +
                      "'http://127.0.0.1:" + std::to_string(port_) + "/listing/42' " + extra;
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    if (p) pclose(p);
    auto j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }

  std::unique_ptr<Challenge> challenge_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> challenged_{0};
  std::atomic<int> cleared_{0};
  std::atomic<bool> refuse_{false};
  std::mutex mu_;
  std::string last_reason_;  // GUARDED_BY(mu_)
};

TEST_F(ChallengeBrowserTest, ChromiumSolvesTheChallengeAndGetsThrough) {
  nlohmann::json r = drive("");
  ASSERT_FALSE(r.contains("error"))
      << r.dump().substr(0, 2000) << "\nlast verdict: " << last_reason_;
  EXPECT_EQ(r["first_status"], 403);
  EXPECT_NE(r["text"].get<std::string>().find("cleared"), std::string::npos) << r.dump();
  EXPECT_EQ(challenged_.load(), 1) << "last cookie verdict: " << last_reason_;
  EXPECT_GE(cleared_.load(), 1);
  ASSERT_TRUE(r["cookie"].is_object()) << r.dump();
  EXPECT_EQ(r["cookie"]["path"], "/");
  EXPECT_EQ(r["cookie"]["sameSite"], "Lax");
  EXPECT_FALSE(r["cookie"]["secure"].get<bool>());  // plain http
  // No CSP violation or script error on the challenge page (Chromium logs the 403 itself).
  for (const auto& e : r["errors"]) {
    EXPECT_NE(e.get<std::string>().find("status of 403"), std::string::npos) << e;
  }
  std::printf("solved and reloaded in %s ms\n", r["elapsed_ms"].dump().c_str());
}

TEST_F(ChallengeBrowserTest, WithoutJavaScriptTheChallengeKeepsComing) {
  nlohmann::json r = drive("--no-js");
  ASSERT_FALSE(r.contains("error")) << r.dump();
  EXPECT_EQ(r["first_status"], 403);
  EXPECT_EQ(r["final_status"], 403);
  EXPECT_EQ(cleared_.load(), 0);
  EXPECT_EQ(challenged_.load(), 2);
  EXPECT_TRUE(r["cookie"].is_null());
  EXPECT_NE(r["text"].get<std::string>().find("enable JavaScript"), std::string::npos);
}

TEST_F(ChallengeBrowserTest, GivesUpInsteadOfReloadingForever) {
  refuse_ = true;
  nlohmann::json r = drive("--wait-for 'Verification failed'");
  ASSERT_FALSE(r.contains("error")) << r.dump().substr(0, 2000);
  EXPECT_EQ(cleared_.load(), 0);
  EXPECT_EQ(challenged_.load(), 4);  // the first page and three reloads, then it stops
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(last_reason_.rfind("wrong_ip", 0), 0u) << last_reason_;
  }
}

}  // namespace
}  // namespace shipgate::shield
