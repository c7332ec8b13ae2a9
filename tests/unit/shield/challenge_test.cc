// Challenge: cookies minted by solving the proof of work in C++ verify; every kind of bad
// cookie fails with its own reason.
#include "shipgate/shield/challenge.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

namespace shipgate::shield {
namespace {

constexpr std::string_view kIp = "203.0.113.7";
constexpr std::string_view kUa = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0 Safari/537.36";

class ChallengeTest : public ::testing::Test {
 protected:
  std::unique_ptr<Challenge> make(int bits = 12, std::string secret = "0123456789abcdef-test") {
    ChallengeConfig c;
    c.secret = std::move(secret);
    c.difficulty_bits = bits;
    c.ttl = std::chrono::seconds(3600);
    auto r = Challenge::create(c, clock_);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return std::move(r).value();
  }
  static std::string mint(const Challenge& ch, std::string_view ip, std::string_view ua) {
    std::string nonce = ch.issueNonce(ip, ua);
    auto counter = solveProofOfWork(nonce, ch.difficultyBits());
    EXPECT_TRUE(counter.has_value());
    return nonce + "." + std::to_string(*counter);
  }
  static int zeroBits(std::string_view s) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
    return leadingZeroBits(d);
  }
  SimulatedClock clock_;
};

TEST_F(ChallengeTest, SolvedCookieVerifies) {
  auto ch = make();
  std::string cookie = mint(*ch, kIp, kUa);
  EXPECT_GE(zeroBits(cookie), 12);
  auto r = ch->verifyCookie(cookie, kIp, kUa);
  EXPECT_TRUE(r.valid) << toString(r.reason);
  EXPECT_EQ(r.reason, CookieVerdict::kValid);
  // Still valid just before expiry, and for an equivalent spelling of the IP.
  clock_.advance(std::chrono::seconds(3599));
  EXPECT_TRUE(ch->verifyCookie(cookie, kIp, kUa).valid);
  auto v6 = mint(*ch, "2001:db8::1", kUa);
  EXPECT_TRUE(ch->verifyCookie(v6, "2001:0db8:0:0::1", kUa).valid);
}

TEST_F(ChallengeTest, EachFailureHasItsOwnReason) {
  auto ch = make();
  std::string cookie = mint(*ch, kIp, kUa);
  auto reason = [&](std::string_view value, std::string_view ip = kIp, std::string_view ua = kUa) {
    return ch->verifyCookie(value, ip, ua).reason;
  };

  EXPECT_EQ(reason(cookie, "198.51.100.9"), CookieVerdict::kWrongIp);
  EXPECT_EQ(reason(cookie, kIp, "curl/8.4.0"), CookieVerdict::kWrongUserAgent);

  // Tampered nonce: change the expiry (a digit) or the salt; the MAC no longer matches.
  std::string tampered = cookie;
  size_t exp_pos = tampered.find('.', 3) + 1;  // after "v1.<bits>."
  tampered[exp_pos + 3] = tampered[exp_pos + 3] == '9' ? '8' : '9';
  EXPECT_EQ(reason(tampered), CookieVerdict::kBadSignature);
  std::string bits_lowered = "v1.1" + cookie.substr(cookie.find('.', 3));
  EXPECT_EQ(reason(bits_lowered), CookieVerdict::kBadSignature);

  // Another server's secret.
  auto other = make(12, "another-secret-of-16+bytes");
  EXPECT_EQ(other->verifyCookie(cookie, kIp, kUa).reason, CookieVerdict::kBadSignature);

  // Insufficient work: a counter whose hash lacks the zero bits.
  std::string nonce = cookie.substr(0, cookie.rfind('.'));
  for (uint64_t c = 0;; ++c) {
    std::string candidate = nonce + "." + std::to_string(c);
    if (zeroBits(candidate) < 12) {
      EXPECT_EQ(reason(candidate), CookieVerdict::kInsufficientWork);
      break;
    }
  }
  // A server that raised the difficulty rejects cookies solved for less.
  auto harder = make(20);
  EXPECT_EQ(harder->verifyCookie(cookie, kIp, kUa).reason, CookieVerdict::kInsufficientWork);

  clock_.advance(std::chrono::seconds(3600));
  EXPECT_EQ(reason(cookie), CookieVerdict::kExpired);
}

TEST_F(ChallengeTest, GarbageIsMalformed) {
  auto ch = make();
  std::string cookie = mint(*ch, kIp, kUa);
  std::string no_counter = cookie.substr(0, cookie.rfind('.'));
  for (std::string bad :
       {std::string(), std::string("x"), std::string("v1"), std::string("........"),
        std::string(10'000, 'a'), no_counter, no_counter + ".", no_counter + ".-1",
        no_counter + ".01", no_counter + ".99999999999999999999999", no_counter + ".1.2",
        "v2" + cookie.substr(2), cookie + "x", std::string("\0\0\0", 3),
        cookie.substr(0, 20) + "G" + cookie.substr(21)}) {
    EXPECT_EQ(ch->verifyCookie(bad, kIp, kUa).reason, CookieVerdict::kMalformed) << bad;
  }
  // Upper-case hex in the mac is not the canonical form.
  std::string upper = cookie;
  size_t mac_pos = upper.rfind('.', upper.rfind('.') - 1) + 1;
  for (size_t i = mac_pos; i < mac_pos + 64; ++i) upper[i] = static_cast<char>(toupper(upper[i]));
  if (upper != cookie) {
    EXPECT_EQ(ch->verifyCookie(upper, kIp, kUa).reason, CookieVerdict::kMalformed);
  }
}

TEST_F(ChallengeTest, ReasonNames) {
  EXPECT_EQ(toString(CookieVerdict::kValid), "valid");
  EXPECT_EQ(toString(CookieVerdict::kWrongIp), "wrong_ip");
  EXPECT_EQ(toString(CookieVerdict::kWrongUserAgent), "wrong_user_agent");
  EXPECT_EQ(toString(CookieVerdict::kInsufficientWork), "insufficient_work");
  EXPECT_EQ(toString(CookieVerdict::kBadSignature), "bad_signature");
  EXPECT_EQ(toString(CookieVerdict::kExpired), "expired");
  EXPECT_EQ(toString(CookieVerdict::kMalformed), "malformed");
}

TEST_F(ChallengeTest, RandomSecretWhenNoneConfigured) {
  ChallengeConfig c;
  auto a = Challenge::create(c, clock_);
  auto b = Challenge::create(c, clock_);
  ASSERT_TRUE(a.isOk() && b.isOk());
  std::string nonce = (*a)->issueNonce(kIp, kUa);
  std::string cookie = nonce + "." + std::to_string(*solveProofOfWork(nonce, 16));
  EXPECT_TRUE((*a)->verifyCookie(cookie, kIp, kUa).valid);
  EXPECT_EQ((*b)->verifyCookie(cookie, kIp, kUa).reason, CookieVerdict::kBadSignature);
}

TEST_F(ChallengeTest, CreateValidates) {
  ChallengeConfig c;
  c.secret = "short";
  EXPECT_FALSE(Challenge::create(c, clock_).isOk());
  c.secret = "";
  c.difficulty_bits = 0;
  EXPECT_FALSE(Challenge::create(c, clock_).isOk());
  c.difficulty_bits = 33;
  EXPECT_FALSE(Challenge::create(c, clock_).isOk());
  c.difficulty_bits = 16;
  c.ttl = std::chrono::seconds(0);
  EXPECT_FALSE(Challenge::create(c, clock_).isOk());
}

TEST_F(ChallengeTest, PageIsA403WithTheNonceAndNoCaching) {
  auto ch = make(16);
  ChallengePage p = ch->page(kIp, kUa);
  EXPECT_EQ(p.status, 403);
  EXPECT_EQ(p.content_type, "text/html; charset=utf-8");
  EXPECT_NE(p.body.find("<script>"), std::string::npos);
  EXPECT_NE(p.body.find("<noscript>"), std::string::npos);
  EXPECT_NE(p.body.find("bits = 16"), std::string::npos);
  EXPECT_NE(p.body.find("ttl = 3600"), std::string::npos);
  EXPECT_NE(p.body.find("'sg_clearance=' + nonce"), std::string::npos);
  bool no_store = false, csp = false;
  for (const auto& [name, value] : p.headers) {
    if (name == "Cache-Control") no_store = value.find("no-store") != std::string::npos;
    if (name == "Content-Security-Policy") csp = value.find("'sha256-") != std::string::npos;
  }
  EXPECT_TRUE(no_store);
  EXPECT_TRUE(csp);
  // Two pages carry two different nonces.
  EXPECT_NE(ch->page(kIp, kUa).body, p.body);
  // Whatever the nonce text, nothing but [0-9a-z.] reaches the script.
  auto hostile = renderChallengePage("v1.16.1'</script><b>", 16, std::chrono::seconds(60));
  EXPECT_EQ(hostile.body.find("<b>"), std::string::npos);
  EXPECT_NE(hostile.body.find("'v1.16.1scriptb'"), std::string::npos);
}

TEST(ClearanceCookieTest, FindsTheCookieInAHeader) {
  EXPECT_EQ(findClearanceCookie("sg_clearance=abc"), "abc");
  EXPECT_EQ(findClearanceCookie("a=1; sg_clearance=v1.2.3 ; b=2"), "v1.2.3");
  EXPECT_EQ(findClearanceCookie("a=1;sg_clearance=\"q\""), "q");
  EXPECT_EQ(findClearanceCookie("xsg_clearance=1; sg_clearance=2"), "2");
  EXPECT_EQ(findClearanceCookie("sg_clearance=first; sg_clearance=second"), "first");
  EXPECT_FALSE(findClearanceCookie("a=1; b=2").has_value());
  EXPECT_FALSE(findClearanceCookie("").has_value());
  EXPECT_FALSE(findClearanceCookie("sg_clearance").has_value());
}

TEST(ProofOfWorkTest, LeadingZeroBits) {
  unsigned char d[32] = {0};
  EXPECT_EQ(leadingZeroBits(d), 256);
  d[0] = 0x80;
  EXPECT_EQ(leadingZeroBits(d), 0);
  d[0] = 0;
  d[1] = 0x01;
  EXPECT_EQ(leadingZeroBits(d), 15);
  d[1] = 0;
  d[2] = 0x10;
  EXPECT_EQ(leadingZeroBits(d), 19);
  EXPECT_FALSE(solveProofOfWork("n", 30, 10).has_value());
}

}  // namespace
}  // namespace shipgate::shield
