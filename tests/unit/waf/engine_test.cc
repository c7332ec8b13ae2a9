// Engine pieces not covered by the table files: limits, rendering, the raw request parser, the
// normalisers, the multi-pattern matcher against a naive search, context reuse.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>

#include "shipgate/waf/filter.h"
#include "shipgate/waf/parser.h"
#include "shipgate/waf/request.h"

namespace shipgate::waf {
namespace {

TEST(EngineTest, LimitsAreSettings) {
  Scheme scheme = Scheme::http();
  ParserSettings s;
  s.max_expression_length = 20;
  ParseOutput p = parseExpression("http.host eq \"0123456789\"", scheme, s);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error->message.find("longer than 20 bytes"), std::string::npos);

  s = {};
  s.max_set_size = 2;
  p = parseExpression("http.request.body.size in {1 2 3}", scheme, s);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error->message.find("more than 2 elements"), std::string::npos);
  EXPECT_TRUE(parseExpression("http.request.body.size in {1 2}", scheme, s).ok());

  s = {};
  s.max_regex_length = 4;
  p = parseExpression("http.host matches \"abcde\"", scheme, s);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error->message.find("regex longer than 4"), std::string::npos);

  s = {};
  s.max_regex_program_bytes = 4096;  // too small for a large counted repetition
  p = parseExpression("http.host matches \"((a|b|c|d)[0-9a-f]{10}){50}\"", scheme, s);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error->message.find("invalid regex"), std::string::npos) << p.error->message;

  s = {};
  s.max_nesting_depth = 3;
  EXPECT_TRUE(parseExpression("(((ssl)))", scheme, s).ok());
  EXPECT_FALSE(parseExpression("((((ssl))))", scheme, s).ok());
  EXPECT_FALSE(parseExpression("not not not not ssl", scheme, s).ok());
  EXPECT_FALSE(parseExpression("lower(lower(lower(lower(http.host)))) eq \"\"", scheme, s).ok());
}

TEST(EngineTest, RenderPutsTheCaretUnderTheSpot) {
  auto r = formatExpression("ssl and\n  http.host contians \"x\"");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message().substr(0, r.status().message().find('\n')),
            "2:13: error: expected one of \"eq\", \"ne\", \"lt\", \"le\", \"gt\", \"ge\", \"==\", "
            "\"!=\", \"<\", \"<=\", \">\", \">=\", \"contains\", \"matches\", \"~\", \"wildcard\", "
            "\"strict wildcard\", \"in\" after field http.host");
  EXPECT_NE(r.status().message().find("\n  http.host contians \"x\"\n            ^~~~~~~~"),
            std::string::npos)
      << r.status().message();
}

TEST(EngineTest, RawHttpRequestParser) {
  auto r = parseRawHttpRequest(
      "\r\nPOST /a?b=1 HTTP/1.1\r\nHost: h\r\nX-A:  v  \r\nContent-Length: 99\r\n\r\nbody");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  const Request& q = (*r)->request();
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.target, "/a?b=1");
  ASSERT_EQ(q.headers.size(), 3u);
  EXPECT_EQ(q.headers[1].name, "X-A");
  EXPECT_EQ(q.headers[1].value, "v");
  EXPECT_EQ(q.body, "body");
  EXPECT_EQ(q.body_size, 99);
  // LF line ends; no body.
  r = parseRawHttpRequest("GET / HTTP/1.0\nHost: x\n");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ((*r)->request().body_size, 0);
  for (const char* bad : {"", "GET\r\n", "GET /x FTP/1\r\n", "GET /x HTTP/1.1\r\nNoColon\r\n",
                          "GET /x HTTP/1.1\r\nContent-Length: -1\r\n"}) {
    EXPECT_FALSE(parseRawHttpRequest(bad).isOk()) << bad;
  }
  // Moving keeps the views valid.
  OwnedRequest moved = std::move(*r.value());
  EXPECT_EQ(moved.request().headers[0].value, "x");
}

TEST(EngineTest, NormalizeText) {
  uint32_t all = normalizerMask({Normalizer::kUrlDecode, Normalizer::kStripComments,
                                 Normalizer::kCompressWhitespace, Normalizer::kLower});
  std::string scratch;
  EXPECT_EQ(normalizeText("1%20UnIoN/**/SeLeCt%09x", all, scratch), "1 union select x");
  EXPECT_EQ(normalizeText("a+b%2Bc", all, scratch), "a b+c");
  EXPECT_EQ(normalizeText("%252527", all, scratch), "'");
  EXPECT_EQ(normalizeText("x/*open", all, scratch), "x ");
  EXPECT_EQ(normalizeText("bad%zz%4", all, scratch), "bad%zz%4");
  std::string_view plain = "already plain";
  EXPECT_EQ(normalizeText(plain, all, scratch).data(), plain.data());  // no copy
  EXPECT_EQ(normalizeText("A  B", normalizerMask({Normalizer::kLower}), scratch), "a  b");
  EXPECT_EQ(parseNormalizer("lower"), std::optional<Normalizer>(Normalizer::kLower));
  EXPECT_FALSE(parseNormalizer("upper").has_value());
  for (auto n : {Normalizer::kUrlDecode, Normalizer::kStripComments,
                 Normalizer::kCompressWhitespace, Normalizer::kLower}) {
    EXPECT_EQ(parseNormalizer(normalizerName(n)), std::optional<Normalizer>(n));
  }
}

// contains {...} (Aho-Corasick) agrees with a naive search on random inputs.
TEST(EngineTest, MultiPatternMatcherAgreesWithNaiveSearch) {
  Scheme scheme = Scheme::http();
  std::mt19937 rng(42);
  auto word = [&](int max) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % static_cast<unsigned>(max));
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + rng() % 3));
    return s;
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> pats;
    std::string expr = "http.request.body.raw contains {";
    for (int i = 0; i < 1 + static_cast<int>(rng() % 5); ++i) {
      pats.push_back(word(5));
      expr += "\"" + pats.back() + "\" ";
    }
    expr += "}";
    CompileOutput out = compileExpression(expr, scheme);
    ASSERT_TRUE(out.ok()) << expr;
    for (int t = 0; t < 20; ++t) {
      OwnedRequest r;
      r.setMethod("POST");
      r.setTarget("/");
      std::string body = word(30);
      r.setBody(body);
      bool naive = false;
      for (const auto& p : pats) naive |= body.find(p) != std::string::npos;
      ASSERT_EQ(out.filter->matches(r.request()), naive) << expr << " on " << body;
    }
  }
}

// wildcard (greedy segment matcher) agrees with an anchored RE2 translation.
TEST(EngineTest, WildcardAgreesWithRegex) {
  Scheme scheme = Scheme::http();
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string pat;
    int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      char c = "abA*"[rng() % 4];
      if (c == '*' && !pat.empty() && pat.back() == '*') c = 'b';
      pat.push_back(c);
    }
    std::string regex = "(?s)";
    for (char c : pat) regex += c == '*' ? std::string(".*") : std::string(1, c);
    for (bool strict : {false, true}) {
      RE2::Options o;
      o.set_case_sensitive(strict);
      RE2 re(regex, o);
      std::string expr = std::string("http.request.body.raw ") + (strict ? "strict " : "") +
                         "wildcard \"" + pat + "\"";
      CompileOutput out = compileExpression(expr, scheme);
      ASSERT_TRUE(out.ok()) << expr;
      for (int t = 0; t < 30; ++t) {
        std::string body;
        int len = static_cast<int>(rng() % 9);
        for (int i = 0; i < len; ++i) body.push_back("abAB"[rng() % 4]);
        OwnedRequest r;
        r.setBody(body);
        ASSERT_EQ(out.filter->matches(r.request()), RE2::FullMatch(body, re))
            << expr << " on \"" << body << "\"";
      }
    }
  }
}

TEST(EngineTest, ContextReuseAcrossRequests) {
  Scheme scheme = Scheme::http();
  CompileOptions opts;
  opts.normalize = {Normalizer::kUrlDecode, Normalizer::kLower};
  CompileOutput out = compileExpression(
      "any(http.request.uri.args.values[*] contains \"admin\") and http.cookie ne \"\"", scheme,
      opts);
  ASSERT_TRUE(out.ok());
  EvalContext ctx;
  auto a = parseRawHttpRequest("GET /?x=%41DMIN HTTP/1.1\r\nCookie: s=1\r\n\r\n");
  auto b = parseRawHttpRequest("GET /?x=user HTTP/1.1\r\nCookie: s=1\r\n\r\n");
  for (int i = 0; i < 100; ++i) {
    ctx.reset((*a)->request());
    ASSERT_TRUE(out.filter->matches(ctx));
    ctx.reset((*b)->request());
    ASSERT_FALSE(out.filter->matches(ctx));
  }
}

TEST(EngineTest, HostFieldsCanBeAdded) {
  Scheme scheme = Scheme::http();
  ASSERT_TRUE(scheme
                  .addField(
                      "shipgate.site", Type::bytes(),
                      [](EvalContext&) { return Value::ofBytes("docs"); }, false)
                  .isOk());
  EXPECT_FALSE(scheme
                   .addField(
                       "ssl", Type::boolean(), [](EvalContext&) { return Value(); }, false)
                   .isOk());
  EXPECT_FALSE(scheme
                   .addField(
                       "Bad Name", Type::boolean(), [](EvalContext&) { return Value(); }, false)
                   .isOk());
  CompileOutput out = compileExpression("shipgate.site eq \"docs\"", scheme);
  ASSERT_TRUE(out.ok());
  OwnedRequest r;
  EXPECT_TRUE(out.filter->matches(r.request()));
}

TEST(EngineTest, NamedListsFromConfigText) {
  EXPECT_TRUE(makeNamedList(Kind::kIp, {"10.0.0.0/8", "::1", "1.1.1.1..1.1.1.9"}).isOk());
  EXPECT_FALSE(makeNamedList(Kind::kIp, {"10.0.0.0/8 junk"}).isOk());
  EXPECT_FALSE(makeNamedList(Kind::kInt, {"12a"}).isOk());
  EXPECT_FALSE(makeNamedList(Kind::kBool, {"true"}).isOk());
  auto list = makeNamedList(Kind::kBytes, {"a b", "\"q\""});
  ASSERT_TRUE(list.isOk());
  EXPECT_EQ(list->items[1].bytes, "\"q\"");
}

}  // namespace
}  // namespace shipgate::waf
