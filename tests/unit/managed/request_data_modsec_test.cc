// Differential test of RequestData against libmodsecurity 3 (Debian's libmodsecurity-dev, the
// engine nginx's ModSecurity module runs): the same requests through both, the collections
// compared. libmodsecurity keeps its collections in hash maps, so elements are compared as
// sorted lists. Where we differ on purpose, the case says so (see request_data.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <modsecurity/transaction.h>

#include "modsec_reference.h"
#include "shipgate/managed/request_data.h"

namespace shipgate::managed {
namespace {

using testing::ours;
using testing::Pairs;
using testing::theirs;

struct Case {
  std::string label;
  std::string method;
  std::string uri;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// libmodsecurity with the recommended body-processor rules, on one Case.
class ModSec {
 public:
  std::unique_ptr<modsecurity::Transaction> run(const Case& c) {
    return ref_.run(c.method, c.uri, "1.1", c.headers, c.body, 8080);
  }

 private:
  testing::ModSecReference ref_;
};

RequestData build(const Case& c) {
  std::vector<waf::Header> headers;
  for (const auto& [n, v] : c.headers) headers.push_back(waf::Header{n, v});
  HttpRequestView r;
  r.method = c.method;
  r.uri = c.uri;
  r.headers = headers;
  r.body = c.body;
  RequestData rd;
  rd.build(r);
  return rd;
}

std::vector<Case> cases() {
  const std::string mp =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"title\"\r\n"
      "\r\n"
      "hello ' or 1=1\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"upload\"; filename=\"evil.php\"\r\n"
      "Content-Type: application/x-php\r\n"
      "\r\n"
      "<?php system($_GET['c']); ?>\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"_charset_\"\r\n"
      "\r\n"
      "utf-8\r\n"
      "--XyZ--\r\n";
  return {
      {"query", "GET", "/s?q=a+b%20c&x=%zz%4&%41%42=1&flag&&c=x=y;d=1&", {{"Host", "h"}}, ""},
      {"duplicates", "GET", "/?id=1&id=2&id=1", {{"Host", "h"}}, ""},
      {"path", "GET", "/a%20b/c%2e%2Ephp+x?q=%27", {{"Host", "h"}}, ""},
      {"backslash", "GET", "/x/..%5cwin.ini", {{"Host", "h"}}, ""},
      {"trailing slash", "GET", "/dir/", {{"Host", "h"}}, ""},
      {"absolute form", "GET", "http://example.com:8080/p/q?x=1", {{"Host", "example.com"}}, ""},
      {"cookies",
       "GET",
       "/",
       {{"Host", "h"}, {"Cookie", "a=1; b=x%20y+z;;  =skip; flag; c=d=e  "}, {"cookie", "e=2"}},
       ""},
      {"urlencoded",
       "POST",
       "/login?next=%2Fhome",
       {{"Host", "h"}, {"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"}},
       "user=bob&pass=x%27+or+1%3D1&&z"},
      {"json",
       "POST",
       "/api",
       {{"Host", "h"}, {"Content-Type", "application/json"}},
       R"({"user":{"name":"bob","address":{"city":"x' or 1=1"}},"ids":[1,2,[true,null]],)"
       R"("list":[{"k":"v"},"s"],"":"e"})"},
      {"json array", "POST", "/api", {{"Host", "h"}, {"Content-Type", "application/json"}},
       R"(["a",-3,{"b":[]}])"},
      {"multipart", "POST", "/up", {{"Host", "h"}, {"Content-Type", "multipart/form-data; boundary=XyZ"}},
       mp},
      {"plain", "POST", "/raw", {{"Host", "h"}, {"Content-Type", "text/plain"}}, "a=1&b=2"},
  };
}

TEST(RequestDataVsModSecurity, CollectionsAgree) {
  ModSec modsec;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.label);
    auto t = modsec.run(c);
    RequestData rd = build(c);
    EXPECT_EQ(ours(rd, Var::kArgs), theirs(t->m_variableArgs));
    EXPECT_EQ(ours(rd, Var::kArgsGet), theirs(t->m_variableArgsGet));
    if (rd.bodyProcessor() != "JSON") {
      // libmodsecurity 3 puts JSON arguments in ARGS only; we put them in ARGS_POST too.
      EXPECT_EQ(ours(rd, Var::kArgsPost), theirs(t->m_variableArgsPost));
    }
    EXPECT_EQ(ours(rd, Var::kRequestHeaders), theirs(t->m_variableRequestHeaders));
    EXPECT_EQ(ours(rd, Var::kRequestCookies), theirs(t->m_variableRequestCookies));
    EXPECT_EQ(ours(rd, Var::kRequestCookiesNames), theirs(t->m_variableRequestCookiesNames));
    EXPECT_EQ(ours(rd, Var::kFiles), theirs(t->m_variableFiles));
    EXPECT_EQ(ours(rd, Var::kFilesNames), theirs(t->m_variableFilesNames));
    EXPECT_EQ(ours(rd, Var::kFilesSizes), theirs(t->m_variableFilesSizes));
    EXPECT_EQ(ours(rd, Var::kMultipartPartHeaders), theirs(t->m_variableMultipartPartHeaders));
    EXPECT_EQ(rd.scalar(Var::kRequestUri), t->m_variableRequestURI.m_value);
    EXPECT_EQ(rd.scalar(Var::kRequestUriRaw), t->m_variableRequestURIRaw.m_value);
    EXPECT_EQ(rd.scalar(Var::kRequestFilename), t->m_variableRequestFilename.m_value);
    EXPECT_EQ(rd.scalar(Var::kRequestBasename), t->m_variableRequestBasename.m_value);
    EXPECT_EQ(rd.scalar(Var::kRequestLine), t->m_variableRequestLine.m_value);
    EXPECT_EQ(rd.scalar(Var::kRequestMethod), t->m_variableRequestMethod.m_value);
    EXPECT_EQ(rd.scalar(Var::kRequestProtocol), t->m_variableRequestProtocol.m_value);
    EXPECT_EQ(rd.scalar(Var::kQueryString), t->m_variableQueryString.m_value);
    EXPECT_EQ(rd.scalar(Var::kRequestBody), t->m_variableRequestBody.m_value);
    EXPECT_EQ(rd.scalar(Var::kReqbodyProcessor), t->m_variableReqbodyProcessor.m_value);
    EXPECT_EQ(rd.scalar(Var::kServerName), t->m_variableServerName.m_value);
    if (!t->m_variableReqbodyError.m_value.empty()) {
      EXPECT_EQ(rd.scalar(Var::kReqbodyError), t->m_variableReqbodyError.m_value);
    }
  }
}

// Seeded random requests: query strings and cookies from a hostile alphabet, urlencoded, JSON
// and multipart bodies with random names and values. Deterministic for the seed.
class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  std::string pick(std::initializer_list<const char*> items) {
    return *(items.begin() + below(items.size()));
  }
  std::string token(size_t max_len) {
    static const std::vector<std::string> kBits = {
        "a", "b", "Z", "1", "=", "&", "%", "%41", "%zz", "%2", "+", ";", " ", "'", "\"", "<", ">",
        "/", "..", "\\", "%00", "%u0041", "select", "--", "#", "?", ".", "$", "{", "}", "é"};
    std::string out;
    size_t n = below(max_len + 1);
    for (size_t i = 0; i < n; ++i) out += kBits[below(kBits.size())];
    return out;
  }
  std::string safe(size_t max_len) {  // no quote, backslash or line end (multipart params)
    static const std::vector<std::string> kBits = {"a", "b", "Z", "1", "=", "&", "%", "+", ";",
                                                   " ", "'", "<", ">", "/", "..", "$", "é", "-"};
    std::string out;
    size_t n = 1 + below(max_len);
    for (size_t i = 0; i < n; ++i) out += kBits[below(kBits.size())];
    return out;
  }
  std::string jsonString(size_t max_len) {
    std::string raw = safe(max_len);
    std::string out = "\"";
    for (char c : raw) out += c;
    return out + "\"";
  }
  std::string json(int depth) {
    switch (below(depth > 3 ? 4 : 6)) {
      case 0: return jsonString(6);
      case 1: return std::to_string(static_cast<int>(below(2000)) - 1000);
      case 2: return pick({"true", "false", "null", "2.50", "1e3"});
      case 3: return jsonString(3);
      case 4: {
        std::string out = "[";
        size_t n = below(4);
        for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + json(depth + 1);
        return out + "]";
      }
      default: {
        std::string out = "{";
        size_t n = below(4);
        for (size_t i = 0; i < n; ++i) {
          out += (i ? "," : "") + (below(8) == 0 ? std::string("\"\"") : jsonString(4)) + ":" +
                 json(depth + 1);
        }
        return out + "}";
      }
    }
  }

 private:
  std::mt19937 rng_;
};

Case randomCase(Gen& g, int i) {
  Case c;
  c.label = "random " + std::to_string(i);
  c.method = "POST";
  c.uri = "/" + g.pick({"p", "a/b", "x%2fy", "a%20b/c.php", "dir/"}) + "?" + g.token(8);
  // (An IPv6 Host differs on purpose: libmodsecurity cuts "[::1]:80" at the first colon.)
  c.headers = {{"Host", g.pick({"h", "example.com:8080", "localhost"})}};
  if (g.below(2)) c.headers.push_back({"Cookie", g.token(8)});
  switch (g.below(4)) {
    case 0:
      c.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
      c.body = g.token(10);
      break;
    case 1:
      c.headers.push_back({"Content-Type", "application/json"});
      c.body = g.json(0);
      break;
    case 2: {
      c.headers.push_back({"Content-Type", "multipart/form-data; boundary=Bnd42"});
      size_t parts = 1 + g.below(4);
      for (size_t p = 0; p < parts; ++p) {
        c.body += "--Bnd42\r\nContent-Disposition: form-data; name=\"" + g.safe(5) + "\"";
        if (g.below(3) == 0) c.body += "; filename=\"" + g.safe(6) + "\"";
        c.body += "\r\n";
        if (g.below(2)) c.body += "Content-Type: " + g.pick({"text/plain", "image/png"}) + "\r\n";
        c.body += "\r\n" + g.token(6) + "\r\n";
      }
      c.body += "--Bnd42--\r\n";
      break;
    }
    default:
      c.headers.push_back({"Content-Type", "text/plain"});
      c.body = g.token(5);
  }
  return c;
}

TEST(RequestDataVsModSecurity, RandomRequestsAgree) {
  ModSec modsec;
  Gen g(20261203);
  int compared = 0;
  for (int i = 0; i < 1500; ++i) {
    Case c = randomCase(g, i);
    SCOPED_TRACE(c.label + " uri=" + c.uri + " body=" + c.body);
    auto t = modsec.run(c);
    RequestData rd = build(c);
    ASSERT_EQ(ours(rd, Var::kArgs), theirs(t->m_variableArgs));
    ASSERT_EQ(ours(rd, Var::kArgsGet), theirs(t->m_variableArgsGet));
    if (rd.bodyProcessor() != "JSON") {
      ASSERT_EQ(ours(rd, Var::kArgsPost), theirs(t->m_variableArgsPost));
    }
    ASSERT_EQ(ours(rd, Var::kRequestCookies), theirs(t->m_variableRequestCookies));
    ASSERT_EQ(ours(rd, Var::kFiles), theirs(t->m_variableFiles));
    ASSERT_EQ(ours(rd, Var::kFilesSizes), theirs(t->m_variableFilesSizes));
    ASSERT_EQ(ours(rd, Var::kMultipartPartHeaders), theirs(t->m_variableMultipartPartHeaders));
    ASSERT_EQ(rd.scalar(Var::kRequestUri), t->m_variableRequestURI.m_value);
    ASSERT_EQ(rd.scalar(Var::kRequestFilename), t->m_variableRequestFilename.m_value);
    ASSERT_EQ(rd.scalar(Var::kRequestBasename), t->m_variableRequestBasename.m_value);
    ASSERT_EQ(rd.scalar(Var::kQueryString), t->m_variableQueryString.m_value);
    ASSERT_EQ(rd.scalar(Var::kServerName), t->m_variableServerName.m_value);
    if (!t->m_variableReqbodyError.m_value.empty()) {
      ASSERT_EQ(rd.scalar(Var::kReqbodyError), t->m_variableReqbodyError.m_value);
    }
    if (!t->m_variableMultipartStrictError.m_value.empty()) {
      ASSERT_EQ(rd.scalar(Var::kMultipartStrictError), t->m_variableMultipartStrictError.m_value);
    }
    ++compared;
  }
  EXPECT_EQ(compared, 1500);
}

// Hostile multipart bodies: mixed line endings, quotes and backslashes in names, data before
// the first delimiter, a missing closing delimiter, extra parameters. The arguments and files
// the CRS sees, and whether the body is an error, must agree with libmodsecurity.
TEST(RequestDataVsModSecurity, HostileMultipartAgrees) {
  ModSec modsec;
  Gen g(7);
  int agreed = 0;
  for (int i = 0; i < 1500; ++i) {
    Case c;
    c.label = "multipart " + std::to_string(i);
    c.method = "POST";
    c.uri = "/up";
    c.headers = {{"Host", "h"}, {"Content-Type", "multipart/form-data; boundary=Bnd42"}};
    auto eol = [&] { return g.below(6) == 0 ? std::string("\n") : std::string("\r\n"); };
    if (g.below(8) == 0) c.body += "preamble" + eol();
    size_t parts = 1 + g.below(3);
    for (size_t p = 0; p < parts; ++p) {
      c.body += "--Bnd42" + eol() + "Content-Disposition: form-data; name=";
      std::string name = g.safe(4);
      switch (g.below(5)) {
        case 0: {  // unquoted (without a leading "'": an unterminated quote is our error,
                   // libmodsecurity reads past the end of the value there)
          std::erase(name, '\'');
          c.body += name;
          break;
        }
        case 1: c.body += "\"" + name + "\\\"x\""; break;          // escaped quote
        case 2: c.body += "\"" + name + "\\\\\""; break;           // escaped backslash
        default: c.body += "\"" + name + "\"";
      }
      if (g.below(3) == 0) c.body += "; filename=\"" + g.safe(5) + "\"";
      c.body += eol() + eol() + g.token(5) + eol();
    }
    if (g.below(6) != 0) c.body += "--Bnd42--" + eol();
    SCOPED_TRACE(c.label + " body=" + c.body);
    auto t = modsec.run(c);
    RequestData rd = build(c);
    std::string their_error = t->m_variableReqbodyError.m_value;
    EXPECT_EQ(rd.scalar(Var::kReqbodyError), their_error);
    if (their_error == "0") {
      EXPECT_EQ(ours(rd, Var::kArgsPost), theirs(t->m_variableArgsPost));
      EXPECT_EQ(ours(rd, Var::kFiles), theirs(t->m_variableFiles));
    }
    if (!HasFailure()) ++agreed;
    if (HasFailure()) break;
  }
  EXPECT_EQ(agreed, 1500);
}

// JSON edge cases: escapes, unicode, big and odd numbers, empty and duplicate keys, deep
// mixed nesting, invalid documents. ARGS and REQBODY_ERROR must agree.
TEST(RequestDataVsModSecurity, JsonEdgeCasesAgree) {
  ModSec modsec;
  const std::vector<std::string> bodies = {
      R"({"a\"b":"c\u0027d","\u00e9":"\ud83d\ude00","e":"\/\b\f\n\r\t"})",
      R"({"n":[1.5e3,-2,0.0001,1E+2,12345678901234567890123,3.0]})",
      R"({"":{"":[{"":""}]},"a":{"":1}})",
      R"({"k":1,"k":2,"k":{"k":[]}})",
      R"([[],[[]],{},[{}],[[1,[2,[3]]]]])",
      R"({"a":"x"} trailing)",
      R"({"a":)",
      R"({"a":'single'})",
      R"({"a":1,})",
      R"(  "just a string"  )",
      R"(42)",
      R"(null)",
      "{\"bad\":\"\xff\xfe\"}",
      R"({"a":"\u12"})",
      R"({"a" "b"})",
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body);
    Case c{"json", "POST", "/api", {{"Host", "h"}, {"Content-Type", "application/json"}}, body};
    auto t = modsec.run(c);
    RequestData rd = build(c);
    EXPECT_EQ(rd.scalar(Var::kReqbodyError), t->m_variableReqbodyError.m_value);
    EXPECT_EQ(ours(rd, Var::kArgs), theirs(t->m_variableArgs));
  }
}

}  // namespace
}  // namespace shipgate::managed
