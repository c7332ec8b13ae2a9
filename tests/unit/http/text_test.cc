// The rest of the HTTP text toolkit: percent-decoding, cookies, query arguments.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "shipgate/common/strings.h"
#include "shipgate/http/cookies.h"
#include "shipgate/http/percent.h"
#include "shipgate/http/query.h"
#include "shipgate/http/request_parser.h"

namespace shipgate::http {
namespace {

std::string decode(std::string_view in, uint32_t flags, DecodeError* e = nullptr) {
  std::string out;
  DecodeError got = percentDecode(in, out, flags);
  if (e != nullptr) *e = got;
  return out;
}

// equalsIgnoreCase compares eight bytes at a time; it must agree with the byte-by-byte rule
// (only 'A'..'Z' fold, bytes >= 0x80 and the characters next to the letters do not) for every
// byte pair, at every length and position.
bool byteWiseEqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

TEST(EqualsIgnoreCaseTest, AgreesWithTheByteRuleForEveryBytePairLengthAndPosition) {
  for (size_t len : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23}) {
    for (size_t pos : {size_t{0}, len / 2, len - 1}) {
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
          std::string a(len, 'k'), b(len, 'K');
          a[pos] = static_cast<char>(x);
          b[pos] = static_cast<char>(y);
          ASSERT_EQ(equalsIgnoreCase(a, b), byteWiseEqualsIgnoreCase(a, b))
              << "len " << len << " pos " << pos << " bytes " << x << " " << y;
        }
      }
    }
  }
  EXPECT_TRUE(equalsIgnoreCase("", ""));
  EXPECT_TRUE(equalsIgnoreCase("Content-Length", "content-length"));
  EXPECT_TRUE(equalsIgnoreCase("X-Forwarded-Proto", "x-forwarded-PROTO"));
  EXPECT_FALSE(equalsIgnoreCase("content-length", "content-lengtH2"));
  EXPECT_FALSE(equalsIgnoreCase("Connection", "Connectiom"));
  EXPECT_FALSE(equalsIgnoreCase("@[`{", "`{@["));  // next to the letters: no folding
}

TEST(AppendAsciiLowerTest, LowersOnlyTheAsciiLettersAtEveryLengthAndOffset) {
  for (size_t len : {0, 1, 7, 8, 9, 15, 16, 17, 31}) {
    for (int x = 0; x < 256; ++x) {
      std::string in(len, 'Q');
      if (len > 0) in[len / 2] = static_cast<char>(x);
      std::string out = "Keep:", want = "Keep:";
      for (char c : in) want.push_back(asciiLower(c));
      appendAsciiLower(out, in);
      ASSERT_EQ(out, want) << "len " << len << " byte " << x;
    }
  }
  std::string out;
  appendAsciiLower(out, "TX.Header_Name_User-Agent\xc3\x89");
  EXPECT_EQ(out, "tx.header_name_user-agent\xc3\x89");  // bytes >= 0x80 unchanged
}

TEST(AsciiSpaceTest, IsTheCLocaleSetAndTrimsAndSplitsOnIt) {
  for (int x = 0; x < 256; ++x) {
    const char c = static_cast<char>(x);
    EXPECT_EQ(isAsciiSpace(c), std::isspace(x) != 0) << "byte " << x;  // no setlocale: "C"
  }
  EXPECT_EQ(trimAsciiSpace(" \t\r\n\v\fa b\f\v\n\r\t "), "a b");
  EXPECT_EQ(trimAsciiSpace(" \n "), "");
  EXPECT_EQ(trimAsciiSpace("\xa0x\xa0"), "\xa0x\xa0");  // a Latin-1 NBSP is not ASCII space
  EXPECT_EQ(trimOws(" \t a b \t "), "a b");
  EXPECT_EQ(trimOws("\r\na\n"), "\r\na\n");  // only spaces and tabs are OWS
  EXPECT_EQ(trimOws(""), "");
  EXPECT_EQ(splitAsciiSpace("  /a.data\t\n b.data  c "),
            (std::vector<std::string>{"/a.data", "b.data", "c"}));
  EXPECT_TRUE(splitAsciiSpace(" \t\n").empty());
  EXPECT_TRUE(splitAsciiSpace("").empty());
}

TEST(ContainsBytesTest, AgreesWithFindAndTakesEmptyAndNullTexts) {
  const std::string hay = "/accept-charset/ /content-encoding/ /proxy/ /lock-token/ /if/";
  for (std::string_view needle : {"/proxy/", "/if/", "/accept/", "/", "", "/if/ ", "t/ /l",
                                  "/accept-charset/ /content-encoding/ /proxy/ /lock-token/ /if/!"})
    EXPECT_EQ(containsBytes(hay, needle), hay.find(needle) != std::string::npos) << needle;
  EXPECT_TRUE(containsBytes(std::string_view(), ""));
  EXPECT_FALSE(containsBytes(std::string_view(), "a"));
  EXPECT_TRUE(containsBytes(std::string_view("a\0b\0", 4), std::string_view("\0b", 2)));
  EXPECT_FALSE(containsBytes("Proxy", "proxy"));  // bytes: case counts
}

// Every needle length to past the short-needle limit (64), at every place of haystacks that end
// inside and past the 16-byte blocks, over a two-letter alphabet so that the first and last
// bytes of a needle stand in many places that do not hold it.
TEST(ContainsBytesTest, AgreesWithFindAtEveryLengthAndPlace) {
  uint32_t seed = 7;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 1; };
  size_t checked = 0, found = 0;
  for (size_t n : {1u, 2u, 15u, 16u, 17u, 31u, 33u, 80u, 150u}) {
    std::string hay(n, 'a');
    for (char& c : hay) c = next() ? 'b' : 'a';
    for (size_t len = 1; len <= 70 && len <= n; ++len) {
      for (size_t at = 0; at + len <= n; ++at) {
        std::string needle = hay.substr(at, len);  // occurs at `at`
        EXPECT_TRUE(containsBytes(hay, needle)) << hay << " / " << needle;
        needle[len / 2] = needle[len / 2] == 'a' ? 'b' : 'a';  // may or may not occur
        const bool want = hay.find(needle) != std::string::npos;
        EXPECT_EQ(containsBytes(hay, needle), want) << hay << " / " << needle;
        checked += 2;
        found += want ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(checked, 2 * 12740u);  // every length and place above was tried
  EXPECT_GT(found, 0u);
  EXPECT_LT(found, checked / 2);
}

TEST(PercentDecodeTest, LenientAndStrict) {
  EXPECT_EQ(decode("a%20b%2fc", kDecodeLenient), "a b/c");
  EXPECT_EQ(decode("a+b", kDecodeLenient), "a+b");
  EXPECT_EQ(decode("a+b%2B", kPlusAsSpace), "a b+");
  EXPECT_EQ(decode("100%", kDecodeLenient), "100%");
  EXPECT_EQ(decode("%zz%4", kDecodeLenient), "%zz%4");
  DecodeError e;
  decode("100%", kStrict, &e);
  EXPECT_EQ(e, DecodeError::kBadEscape);
  decode("%4", kStrict, &e);
  EXPECT_EQ(e, DecodeError::kBadEscape);
  decode("a%2Fb", kRejectSlash, &e);
  EXPECT_EQ(e, DecodeError::kEncodedSlash);
  decode("a%5cb", kRejectSlash, &e);
  EXPECT_EQ(e, DecodeError::kEncodedSlash);
  decode("a%00b", kRejectNul, &e);
  EXPECT_EQ(e, DecodeError::kNul);
  EXPECT_EQ(decode("a%00b", kDecodeLenient, &e), std::string("a\0b", 3));
  EXPECT_EQ(e, DecodeError::kNone);
  // Once: %2541 is "%41", not "A".
  EXPECT_EQ(decode("%2541", kStrict), "%41");
}

TEST(PercentDecodeTest, DecodedViewAvoidsCopies) {
  std::string scratch;
  std::string_view plain = "plain";
  EXPECT_EQ(decodedView(plain, scratch).data(), plain.data());
  EXPECT_EQ(decodedView("a%41", scratch), "aA");
  EXPECT_EQ(decodedView("a+b", scratch, kPlusAsSpace), "a b");
}

std::vector<std::pair<std::string, std::string>> cookies(std::string_view header) {
  std::vector<std::pair<std::string, std::string>> out;
  Cookie c;
  while (nextCookie(header, c)) out.emplace_back(c.name, c.value);
  return out;
}

TEST(CookiesTest, PairsTrimQuotesAndBarePairs) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(cookies("a=1; b=2"), (P{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(cookies(" a = 1 ;;b=\"q v\";c="), (P{{"a", "1"}, {"b", "q v"}, {"c", ""}}));
  EXPECT_EQ(cookies("bare; x=y=z"), (P{{"", "bare"}, {"x", "y=z"}}));
  EXPECT_EQ(cookies("a%20b=c%20d"), (P{{"a%20b", "c%20d"}}));  // nothing decoded
  EXPECT_EQ(cookies("q=\""), (P{{"q", "\""}}));
  EXPECT_TRUE(cookies("").empty());
  EXPECT_TRUE(cookies(" ; ;").empty());
}

TEST(CookiesTest, FindFirstAcrossEveryCookieHeader) {
  EXPECT_EQ(findCookie("xsg=1; sg=2; sg=3", "sg"), "2");
  EXPECT_FALSE(findCookie("a=1", "b").has_value());
  struct H {
    std::string_view name, value;
  };
  std::vector<H> headers{{"Cookie", "a=1"}, {"Accept", "x"}, {"cookie", "b=\"2\"; a=3"}};
  EXPECT_EQ(findCookieInHeaders(headers, "a"), "1");
  EXPECT_EQ(findCookieInHeaders(headers, "b"), "2");
  EXPECT_FALSE(findCookieInHeaders(headers, "c").has_value());

  RequestParser parser(8192, 1024);
  std::string req = "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: sticky=blue\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(parser.execute(req.data(), req.size(), &used), RequestParser::State::kComplete);
  EXPECT_EQ(findCookie(parser.request(), "sticky"), "blue");
  EXPECT_EQ(findCookie(parser.request(), "a"), "1");
}

std::vector<std::pair<std::string, std::string>> args(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  QueryArg a;
  while (nextQueryArg(query, a)) out.emplace_back(a.name, a.value);
  return out;
}

TEST(QueryTest, SplitsOnAmpersandKeepsRawForm) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(args("x=1&y=two&x=3&empty=&flag"),
            (P{{"x", "1"}, {"y", "two"}, {"x", "3"}, {"empty", ""}, {"flag", ""}}));
  EXPECT_EQ(args("&&a=1;b=2&"), (P{{"a", "1;b=2"}}));
  EXPECT_EQ(args("q=a+b%20c"), (P{{"q", "a+b%20c"}}));
  EXPECT_TRUE(args("").empty());
  std::string scratch;
  EXPECT_EQ(decodeQueryComponent("a+b%20c%", scratch), "a b c%");
}

TEST(QueryTest, FindByDecodedName) {
  EXPECT_EQ(findQueryArg("a=1&user%5Fid=7&user_id=8", "user_id"), "7");
  EXPECT_EQ(findQueryArg("flag&x=1", "flag"), "");
  EXPECT_FALSE(findQueryArg("a=1", "b").has_value());
  EXPECT_EQ(findQueryArg("q=a+b", "q"), "a+b");  // the value stays raw
}

}  // namespace
}  // namespace shipgate::http
