// The challenge page's script, run by a real JavaScript engine (node, via solve.js): its SHA-256
// matches OpenSSL, the counter it finds is the one the C++ solver finds, and the cookie it sets
// verifies on the server. Fails loudly when node is missing.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "shipgate/shield/challenge.h"

namespace shipgate::shield {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kIp = "192.0.2.44";
constexpr std::string_view kUa = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Firefox/121.0";

struct RunResult {
  int exit_code = -1;
  std::vector<std::string> lines;
  std::string value(std::string_view key) const {
    for (const auto& l : lines) {
      if (l.rfind(std::string(key) + "=", 0) == 0) return l.substr(key.size() + 1);
    }
    return {};
  }
};

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string findNode() {
  if (const char* n = std::getenv("SHIPGATE_NODE")) return n;
  for (const char* p : {"/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"}) {
    if (fs::exists(p)) return p;
  }
  return {};
}

std::string solveJs() {
  if (const char* p = std::getenv("SHIELD_SOLVE_JS")) return p;
  const char* src = std::getenv("SHIPGATE_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/unit/shield/solve.js";
}

class ChallengeJsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = findNode();
    ASSERT_FALSE(node_.empty()) << "node not found (set SHIPGATE_NODE): this test needs it";
    ASSERT_TRUE(fs::exists(solveJs())) << solveJs();
    dir_ = fs::temp_directory_path() /
           ("shield_js_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ChallengeConfig c;
    c.secret = "js-test-secret-0123456789";
    auto r = Challenge::create(c, clock_);  // default difficulty: 16 bits
    ASSERT_TRUE(r.isOk()) << r.status().message();
    challenge_ = std::move(r).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult run(const std::string& page_html, const std::string& extra_args) {
    fs::path page = dir_ / "page.html";
    std::ofstream(page) << page_html;
    std::string cmd = shellQuote(node_) + " " + shellQuote(solveJs()) + " " +
                      shellQuote(page.string()) + " " + extra_args;
    RunResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      if (end == std::string::npos) end = out.size();
      r.lines.push_back(out.substr(start, end - start));
      start = end + 1;
    }
    return r;
  }

  std::string node_;
  fs::path dir_;
  SimulatedClock clock_;
  std::unique_ptr<Challenge> challenge_;
};

TEST_F(ChallengeJsTest, PageScriptSolvesAndTheServerAccepts) {
  ChallengePage page = challenge_->page(kIp, kUa);
  RunResult r = run(page.body, "");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.value("reloaded"), "1");
  std::string set_cookie = r.value("cookie");
  ASSERT_EQ(set_cookie.rfind("sg_clearance=", 0), 0u) << set_cookie;
  EXPECT_NE(set_cookie.find("; Path=/; Max-Age=3600; SameSite=Lax"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // plain http

  std::string value = set_cookie.substr(std::string("sg_clearance=").size());
  value = value.substr(0, value.find(';'));
  CookieCheck check = challenge_->verifyCookie(value, kIp, kUa);
  EXPECT_TRUE(check.valid) << toString(check.reason) << " for " << value;

  // Same algorithm: both search counters upwards from 0, so they find the same one.
  std::string nonce = value.substr(0, value.rfind('.'));
  auto cpp_counter = solveProofOfWork(nonce, challenge_->difficultyBits());
  ASSERT_TRUE(cpp_counter.has_value());
  EXPECT_EQ(value.substr(value.rfind('.') + 1), std::to_string(*cpp_counter));

  // The cookie the browser made is still bound to this client.
  EXPECT_EQ(challenge_->verifyCookie(value, "192.0.2.45", kUa).reason, CookieVerdict::kWrongIp);
}

TEST_F(ChallengeJsTest, SecureAttributeOnHttps) {
  RunResult r = run(challenge_->page(kIp, kUa).body, "--protocol https:");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.value("cookie").find("; Secure"), std::string::npos) << r.value("cookie");
}

TEST_F(ChallengeJsTest, StopsAfterRepeatedFailures) {
  // A client whose cookie keeps being rejected must not reload forever.
  RunResult r = run(challenge_->page(kIp, kUa).body, "--tries 3");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.value("gave_up"), "1");
  EXPECT_EQ(r.value("cookie"), "");
}

TEST_F(ChallengeJsTest, Sha256MatchesOpenSsl) {
  // Padding boundaries (55/56/63/64/119/120 bytes), multi-block input and UTF-8.
  std::vector<std::string> inputs = {"", "abc", "v1.16.1700003600.00ff.7"};
  for (size_t n : {55, 56, 57, 63, 64, 65, 119, 120, 1000}) inputs.push_back(std::string(n, 'a'));
  inputs.push_back("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E");  // "héllo € 𝄞"
  std::string json = "[";
  for (size_t i = 0; i < inputs.size(); ++i) json += (i ? ",\"" : "\"") + inputs[i] + "\"";
  json += "]";
  fs::path inputs_file = dir_ / "inputs.json";
  std::ofstream(inputs_file) << json;

  RunResult r = run(challenge_->page(kIp, kUa).body, "--hash " + shellQuote(inputs_file));
  ASSERT_EQ(r.exit_code, 0);
  std::vector<std::string> hashes;
  for (const auto& l : r.lines) {
    if (l.rfind("hash=", 0) == 0) hashes.push_back(l.substr(5));
  }
  ASSERT_EQ(hashes.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(inputs[i].data()), inputs[i].size(), d);
    char hex[65];
    for (int j = 0; j < 32; ++j) snprintf(hex + 2 * j, 3, "%02x", d[j]);
    EXPECT_EQ(hashes[i], std::string(hex, 64))
        << "input #" << i << " (" << inputs[i].size() << " bytes)";
  }
}

}  // namespace
}  // namespace shipgate::shield
