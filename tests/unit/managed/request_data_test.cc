// RequestData: each SecRule variable filled from crafted requests, as libmodsecurity 3 fills it.
#include "shipgate/managed/request_data.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace shipgate::managed {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs(const RequestData& rd, Var v) {
  Pairs out;
  for (const Element& e : rd.collection(v)) out.emplace_back(e.name, e.value);
  return out;
}

// Owns the strings the view points into.
struct Req {
  std::string method = "GET";
  std::string uri = "/";
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  bool complete = true;

  HttpRequestView view(std::vector<waf::Header>& storage) const {
    storage.clear();
    for (const auto& [n, v] : headers) storage.push_back(waf::Header{n, v});
    HttpRequestView r;
    r.method = method;
    r.uri = uri;
    r.headers = storage;
    r.body = body;
    r.body_complete = complete;
    r.client_ip = "192.0.2.7";
    r.client_port = 51234;
    r.server_port = 8080;
    r.unique_id = "req-1";
    return r;
  }
};

RequestData build(const Req& req) {
  RequestData rd;
  std::vector<waf::Header> h;
  rd.build(req.view(h));
  return rd;
}

Req post(std::string content_type, std::string body) {
  Req r;
  r.method = "POST";
  r.uri = "/submit";
  r.headers = {{"Host", "example.com"}, {"Content-Type", std::move(content_type)}};
  r.body = std::move(body);
  return r;
}

TEST(RequestDataQuery, DecodesPlusPercentAndKeepsInvalidEscapes) {
  Req r;
  r.uri = "/s?q=a+b%20c&x=%zz%4&%41%42=1";
  RequestData rd = build(r);
  EXPECT_EQ(pairs(rd, Var::kArgsGet), (Pairs{{"q", "a b c"}, {"x", "%zz%4"}, {"AB", "1"}}));
  EXPECT_EQ(rd.scalar(Var::kQueryString), "q=a+b%20c&x=%zz%4&%41%42=1");
  EXPECT_EQ(pairs(rd, Var::kArgs), pairs(rd, Var::kArgsGet));
  EXPECT_EQ(pairs(rd, Var::kArgsNames), (Pairs{{"q", "q"}, {"x", "x"}, {"AB", "AB"}}));
  EXPECT_EQ(pairs(rd, Var::kArgsGetNames), pairs(rd, Var::kArgsNames));
  EXPECT_TRUE(rd.collection(Var::kArgsPost).empty());
}

TEST(RequestDataQuery, SplitsOnAmpersandOnlyLikeModSecurity) {
  Req r;
  r.uri = "/?a=1;b=2&flag&&c=x=y&";
  RequestData rd = build(r);
  // ';' is not a separator; "flag" has an empty value; "&&" gives an empty argument; a
  // trailing '&' gives none; the value keeps every '=' after the first.
  EXPECT_EQ(pairs(rd, Var::kArgsGet),
            (Pairs{{"a", "1;b=2"}, {"flag", ""}, {"", ""}, {"c", "x=y"}}));
}

TEST(RequestDataQuery, DuplicateArgumentsAreAllKept) {
  Req r;
  r.uri = "/?id=1&id=2&id=1";
  RequestData rd = build(r);
  EXPECT_EQ(pairs(rd, Var::kArgs), (Pairs{{"id", "1"}, {"id", "2"}, {"id", "1"}}));
  EXPECT_EQ(rd.scalar(Var::kArgsCombinedSize), "9");
}

TEST(RequestDataQuery, NoQueryStringIsAbsent) {
  Req r;
  r.uri = "/plain";
  RequestData rd = build(r);
  EXPECT_FALSE(rd.hasScalar(Var::kQueryString));
  EXPECT_TRUE(rd.collection(Var::kArgs).empty());
  EXPECT_EQ(rd.scalar(Var::kArgsCombinedSize), "0");
  Req e;
  e.uri = "/plain?";
  RequestData rd2 = build(e);
  EXPECT_TRUE(rd2.hasScalar(Var::kQueryString));
  EXPECT_EQ(rd2.scalar(Var::kQueryString), "");
  EXPECT_TRUE(rd2.collection(Var::kArgs).empty());
}

TEST(RequestDataUri, FilenameBasenameUriAndLine) {
  Req r;
  r.method = "GET";
  r.uri = "/a%20b/c%2e%2Ephp+x?q=%27#frag";
  RequestData rd = build(r);
  EXPECT_EQ(rd.scalar(Var::kRequestUriRaw), "/a%20b/c%2e%2Ephp+x?q=%27#frag");
  EXPECT_EQ(rd.scalar(Var::kRequestUri), "/a b/c..php+x?q='");
  EXPECT_EQ(rd.scalar(Var::kRequestFilename), "/a b/c..php+x");
  EXPECT_EQ(rd.scalar(Var::kRequestBasename), "c..php+x");
  EXPECT_EQ(rd.scalar(Var::kRequestLine), "GET /a%20b/c%2e%2Ephp+x?q=%27#frag HTTP/1.1");
  EXPECT_EQ(rd.scalar(Var::kRequestMethod), "GET");
  EXPECT_EQ(rd.scalar(Var::kRequestProtocol), "HTTP/1.1");
  EXPECT_EQ(rd.scalar(Var::kQueryString), "q=%27");
  EXPECT_EQ(pairs(rd, Var::kArgsGet), (Pairs{{"q", "'"}}));
}

TEST(RequestDataUri, BasenameAbsentForTrailingSlashAndBackslashSplits) {
  RequestData rd = build(Req{.uri = "/dir/"});
  EXPECT_EQ(rd.scalar(Var::kRequestFilename), "/dir/");
  EXPECT_FALSE(rd.hasScalar(Var::kRequestBasename));
  RequestData rd2 = build(Req{.uri = "/x/..%5cwin.ini"});
  EXPECT_EQ(rd2.scalar(Var::kRequestFilename), "/x/..\\win.ini");
  EXPECT_EQ(rd2.scalar(Var::kRequestBasename), "win.ini");
}

TEST(RequestDataUri, AbsoluteFormStripsSchemeAndHostFromRequestUriOnly) {
  Req r;
  r.uri = "http://example.com:8080/p/q?x=1";
  RequestData rd = build(r);
  EXPECT_EQ(rd.scalar(Var::kRequestUri), "/p/q?x=1");
  EXPECT_EQ(rd.scalar(Var::kRequestUriRaw), "http://example.com:8080/p/q?x=1");
  // libmodsecurity 3 takes REQUEST_FILENAME from the target as is.
  EXPECT_EQ(rd.scalar(Var::kRequestFilename), "http://example.com:8080/p/q");
  EXPECT_EQ(pairs(rd, Var::kArgsGet), (Pairs{{"x", "1"}}));
}

TEST(RequestDataHeaders, ReceivedOrderDuplicatesAndNames) {
  Req r;
  r.headers = {{"Host", "example.com:8443"}, {"X-A", "1"}, {"x-a", "2"}, {"Accept", "*/*"}};
  RequestData rd = build(r);
  EXPECT_EQ(pairs(rd, Var::kRequestHeaders),
            (Pairs{{"Host", "example.com:8443"}, {"X-A", "1"}, {"x-a", "2"}, {"Accept", "*/*"}}));
  EXPECT_EQ(pairs(rd, Var::kRequestHeadersNames),
            (Pairs{{"Host", "Host"}, {"X-A", "X-A"}, {"x-a", "x-a"}, {"Accept", "Accept"}}));
  EXPECT_EQ(rd.scalar(Var::kServerName), "example.com");
  EXPECT_EQ(rd.scalar(Var::kServerPort), "8080");
  EXPECT_EQ(rd.scalar(Var::kRemoteAddr), "192.0.2.7");
  EXPECT_EQ(rd.scalar(Var::kRemotePort), "51234");
  EXPECT_EQ(rd.scalar(Var::kUniqueId), "req-1");
}

TEST(RequestDataHeaders, Ipv6HostName) {
  Req r;
  r.headers = {{"Host", "[::1]:8080"}};
  EXPECT_EQ(build(r).scalar(Var::kServerName), "[::1]");
}

TEST(RequestDataCookies, SplitTrimAndNoDecoding) {
  Req r;
  r.headers = {{"Cookie", "a=1; b=x%20y+z;;  =skip; flag; c=d=e  "}, {"cookie", "a=2"}};
  RequestData rd = build(r);
  EXPECT_EQ(pairs(rd, Var::kRequestCookies),
            (Pairs{{"a", "1"}, {"b", "x%20y+z"}, {"flag", ""}, {"c", "d=e"}, {"a", "2"}}));
  EXPECT_EQ(pairs(rd, Var::kRequestCookiesNames),
            (Pairs{{"a", "a"}, {"b", "b"}, {"flag", "flag"}, {"c", "c"}, {"a", "a"}}));
  EXPECT_TRUE(rd.collection(Var::kArgs).empty());
}

TEST(RequestDataUrlencoded, BodyArgumentsFollowQueryArguments) {
  Req r = post("application/x-www-form-urlencoded; charset=UTF-8", "user=bob&pass=x%27+or+1%3D1");
  r.uri = "/login?next=%2Fhome";
  RequestData rd = build(r);
  EXPECT_EQ(rd.bodyProcessor(), "URLENCODED");
  EXPECT_EQ(pairs(rd, Var::kArgsPost), (Pairs{{"user", "bob"}, {"pass", "x' or 1=1"}}));
  EXPECT_EQ(pairs(rd, Var::kArgs),
            (Pairs{{"next", "/home"}, {"user", "bob"}, {"pass", "x' or 1=1"}}));
  EXPECT_EQ(pairs(rd, Var::kArgsPostNames), (Pairs{{"user", "user"}, {"pass", "pass"}}));
  EXPECT_EQ(rd.scalar(Var::kRequestBody), "user=bob&pass=x%27+or+1%3D1");
  EXPECT_EQ(rd.scalar(Var::kRequestBodyLength), "27");
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0");
}

TEST(RequestDataBody, UnknownTypeIsOnlyRequestBody) {
  RequestData rd = build(post("text/plain", "a=1&b=2"));
  EXPECT_EQ(rd.bodyProcessor(), "");
  EXPECT_FALSE(rd.hasScalar(Var::kReqbodyProcessor));
  EXPECT_TRUE(rd.collection(Var::kArgs).empty());
  EXPECT_EQ(rd.scalar(Var::kRequestBody), "a=1&b=2");
  RequestData none = build(Req{});
  EXPECT_FALSE(none.hasScalar(Var::kRequestBody));
  EXPECT_FALSE(none.hasScalar(Var::kRequestBodyLength));
  EXPECT_EQ(none.scalar(Var::kReqbodyError), "0");
}

TEST(RequestDataLimits, ArgumentsPastTheLimitAreDroppedWithAnError) {
  Req r;
  r.uri = "/?";
  for (int i = 0; i < 1005; ++i) r.uri += "a=" + std::to_string(i) + "&";
  RequestData rd = build(r);
  EXPECT_EQ(rd.collection(Var::kArgs).size(), 1000u);
  EXPECT_EQ(rd.collection(Var::kArgsGet).size(), 1000u);
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "1");
  EXPECT_NE(rd.scalar(Var::kReqbodyErrorMsg).find("1000"), std::string_view::npos);
}

const char* kMultipart =
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
    "Content-Disposition: form-data; name=\"second\"; filename=\"a \\\"q\\\".txt\"\r\n"
    "\r\n"
    "12345\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"note\"\r\n"
    "\r\n"
    "line1\r\n--XyZnot a boundary\r\nline3\r\n"
    "--XyZ--\r\n";

TEST(RequestDataMultipart, FieldsFilesSizesAndPartHeaders) {
  RequestData rd = build(post("multipart/form-data; boundary=XyZ", kMultipart));
  EXPECT_EQ(rd.bodyProcessor(), "MULTIPART");
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0") << rd.scalar(Var::kReqbodyErrorMsg);
  EXPECT_EQ(pairs(rd, Var::kArgsPost),
            (Pairs{{"title", "hello ' or 1=1"}, {"note", "line1\r\n--XyZnot a boundary\r\nline3"}}));
  EXPECT_EQ(pairs(rd, Var::kArgs), pairs(rd, Var::kArgsPost));
  EXPECT_EQ(pairs(rd, Var::kFiles), (Pairs{{"upload", "evil.php"}, {"second", "a \"q\".txt"}}));
  EXPECT_EQ(pairs(rd, Var::kFilesNames), (Pairs{{"upload", "upload"}, {"second", "second"}}));
  EXPECT_EQ(pairs(rd, Var::kFilesSizes), (Pairs{{"upload", "28"}, {"second", "5"}}));
  EXPECT_EQ(rd.scalar(Var::kFilesCombinedSize), "33");
  EXPECT_EQ(pairs(rd, Var::kMultipartPartHeaders),
            (Pairs{{"title", "Content-Disposition: form-data; name=\"title\"\r\n"},
                   {"upload",
                    "Content-Disposition: form-data; name=\"upload\"; filename=\"evil.php\"\r\n"},
                   {"upload", "Content-Type: application/x-php\r\n"},
                   {"second",
                    "Content-Disposition: form-data; name=\"second\"; filename=\"a \\\"q\\\".txt\"\r\n"},
                   {"note", "Content-Disposition: form-data; name=\"note\"\r\n"}}));
  EXPECT_EQ(rd.scalar(Var::kMultipartUnmatchedBoundary), "1");
  EXPECT_EQ(rd.scalar(Var::kMultipartStrictError), "0");
}

TEST(RequestDataMultipart, QuotedBoundaryAndLfOnlyLinesAreStrictErrors) {
  std::string body =
      "--a b\n"
      "Content-Disposition: form-data; name=x\n"
      "\n"
      "v\n"
      "--a b--\n";
  RequestData rd = build(post("multipart/form-data; boundary=\"a b\"", body));
  EXPECT_EQ(pairs(rd, Var::kArgsPost), (Pairs{{"x", "v"}}));
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0");
  EXPECT_EQ(rd.scalar(Var::kMultipartStrictError), "1");
}

TEST(RequestDataMultipart, UnmatchedBoundaryValuesAndBoundaryParameterFlags) {
  const std::string two =
      "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x\r\n"
      "Content-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--x--\r\n";
  RequestData ok = build(post("multipart/form-data; boundary=x", two));
  EXPECT_EQ(ok.scalar(Var::kMultipartUnmatchedBoundary), "2");  // libmodsecurity's "fine"
  EXPECT_EQ(ok.scalar(Var::kMultipartStrictError), "0");
  RequestData inner = build(post("multipart/form-data; boundary=x",
                                 "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
                                 "text --x inside\r\n--x--"));
  EXPECT_EQ(inner.scalar(Var::kMultipartUnmatchedBoundary), "1");
  EXPECT_EQ(pairs(inner, Var::kArgsPost), (Pairs{{"a", "text --x inside"}}));
  // Whitespace in the boundary parameter (CRS test 920470-12) is a strict error, no body needed.
  RequestData ws = build(post("multipart/form-data; boundary=  test_data_123456", ""));
  EXPECT_EQ(ws.scalar(Var::kMultipartStrictError), "1");
  EXPECT_EQ(ws.scalar(Var::kReqbodyError), "0");
}

TEST(RequestDataMultipart, MalformedBodiesSetReqbodyError) {
  struct Case {
    std::string ct;
    std::string body;
    std::string msg_part;
  };
  std::vector<Case> cases = {
      {"multipart/form-data", "--x\r\n\r\n", "no boundary"},
      {"multipart/form-data; boundary=x", "no delimiter at all", "no boundary found"},
      {"multipart/form-data; boundary=x",
       "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", "final boundary"},
      {"multipart/form-data; boundary=x", "--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--",
       "without Content-Disposition"},
      {"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--",
       "without a name"},
      {"multipart/form-data; boundary=x", "--x\r\nbroken header\r\n\r\nv\r\n--x--",
       "invalid part header"},
  };
  for (const Case& c : cases) {
    RequestData rd = build(post(c.ct, c.body));
    EXPECT_EQ(rd.scalar(Var::kReqbodyError), "1") << c.body;
    EXPECT_EQ(rd.scalar(Var::kMultipartStrictError), "1") << c.body;
    EXPECT_NE(rd.scalar(Var::kReqbodyErrorMsg).find(c.msg_part), std::string_view::npos)
        << rd.scalar(Var::kReqbodyErrorMsg);
  }
  // What came before the error is still inspected.
  RequestData cut = build(post("multipart/form-data; boundary=x",
                               "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n' or 1=1"));
  EXPECT_EQ(pairs(cut, Var::kArgsPost), (Pairs{{"a", "' or 1=1"}}));
}

TEST(RequestDataMultipart, PrefixIsParsedWithoutError) {
  Req r = post("multipart/form-data; boundary=x",
               "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x\r\n"
               "Content-Disposition: form-data; name=\"b\"\r\n\r\ntrunc");
  r.complete = false;
  RequestData rd = build(r);
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0");
  EXPECT_EQ(pairs(rd, Var::kArgsPost), (Pairs{{"a", "1"}, {"b", "trunc"}}));
}

TEST(RequestDataMultipart, MoreThanAHundredPartsIsAnError) {
  std::string body;
  for (int i = 0; i < 101; ++i) {
    body += "--x\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) + "\"\r\n\r\nv\r\n";
  }
  body += "--x--\r\n";
  RequestData rd = build(post("multipart/form-data; boundary=x", body));
  EXPECT_EQ(rd.collection(Var::kArgsPost).size(), 100u);
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "1");
}

TEST(RequestDataJson, NestedObjectsAndArraysNamedAsModSecurity) {
  RequestData rd = build(post(
      "application/json",
      R"({"user":{"name":"bob","address":{"city":"x' or 1=1"}},"ids":[1,2.50,[true,null]],)"
      R"("list":[{"k":"v"},"s"],"":"e"})"));
  EXPECT_EQ(rd.bodyProcessor(), "JSON");
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0") << rd.scalar(Var::kReqbodyErrorMsg);
  EXPECT_EQ(pairs(rd, Var::kArgsPost), (Pairs{{"json.user.name", "bob"},
                                              {"json.user.address.city", "x' or 1=1"},
                                              {"json.ids.array_0", "1"},
                                              {"json.ids.array_1", "2.50"},
                                              {"json.ids.array_2.array_0", "true"},
                                              {"json.ids.array_2.array_1", ""},
                                              {"json.list.array_0.k", "v"},
                                              {"json.list.array_1", "s"},
                                              {"json.empty-key", "e"}}));
  EXPECT_EQ(pairs(rd, Var::kArgs), pairs(rd, Var::kArgsPost));
}

TEST(RequestDataJson, TopLevelScalarAndArrayAndVendorType) {
  RequestData rd = build(post("application/vnd.api+json", R"("<script>")"));
  EXPECT_EQ(rd.bodyProcessor(), "JSON");
  EXPECT_EQ(pairs(rd, Var::kArgs), (Pairs{{"json", "<script>"}}));
  RequestData arr = build(post("application/json", R"(["a",-3])"));
  EXPECT_EQ(pairs(arr, Var::kArgs), (Pairs{{"json.array_0", "a"}, {"json.array_1", "-3"}}));
}

TEST(RequestDataJson, InvalidJsonKeepsWhatCameBeforeAndSetsError) {
  RequestData rd = build(post("application/json", R"({"a":"1","b":tru})"));
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "1");
  EXPECT_EQ(rd.scalar(Var::kReqbodyErrorMsg).substr(0, 19), "JSON parsing error:");
  EXPECT_EQ(pairs(rd, Var::kArgs), (Pairs{{"json.a", "1"}}));
}

TEST(RequestDataJson, PrefixIsNotAnError) {
  Req r = post("application/json", R"({"a":"1","b":"long va)");
  r.complete = false;
  RequestData rd = build(r);
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0");
  EXPECT_EQ(pairs(rd, Var::kArgs), (Pairs{{"json.a", "1"}}));
}

TEST(RequestDataJson, DepthLimit) {
  std::string deep(65, '[');
  deep += std::string(65, ']');
  RequestData rd = build(post("application/json", deep));
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "1");
  std::string ok(64, '[');
  ok += "1" + std::string(64, ']');
  RequestData rd2 = build(post("application/json", ok));
  EXPECT_EQ(rd2.scalar(Var::kReqbodyError), "0");
  EXPECT_EQ(rd2.collection(Var::kArgs).size(), 1u);
}

TEST(RequestDataXml, TextNodesAndAttributes) {
  RequestData rd = build(post(
      "text/xml; charset=utf-8",
      R"(<?xml version="1.0"?><order id="7"><item sku="a&amp;b">one</item><note><![CDATA[<script>]]></note></order>)"));
  EXPECT_EQ(rd.bodyProcessor(), "XML");
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0");
  EXPECT_EQ(pairs(rd, Var::kXml), (Pairs{{"/order/@id", "7"},
                                         {"/order/item/@sku", "a&b"},
                                         {"/order/item", "one"},
                                         {"/order/note", "<script>"}}));
  EXPECT_TRUE(rd.collection(Var::kArgs).empty());
  RequestData soap = build(post("application/soap+xml", "<a>x</a>"));
  EXPECT_EQ(soap.bodyProcessor(), "XML");
}

TEST(RequestDataXml, MalformedSetsErrorButKeepsParsedNodes) {
  RequestData rd = build(post("application/xml", "<a><b>one</b><c>two</a>"));
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "1");
  EXPECT_EQ(rd.scalar(Var::kReqbodyErrorMsg).substr(0, 18), "XML parsing error:");
  ASSERT_FALSE(rd.collection(Var::kXml).empty());
  EXPECT_EQ(rd.collection(Var::kXml)[0].value, "one");
}

TEST(RequestDataReuse, BuildClearsThePreviousRequest) {
  RequestData rd;
  std::vector<waf::Header> h;
  Req first = post("application/x-www-form-urlencoded", "a=1");
  first.uri = "/x/y?q=1";
  first.headers.push_back({"Cookie", "s=1"});
  rd.build(first.view(h));
  EXPECT_EQ(rd.collection(Var::kArgs).size(), 2u);
  Req second;
  second.uri = "/z";
  rd.build(second.view(h));
  EXPECT_TRUE(rd.collection(Var::kArgs).empty());
  EXPECT_TRUE(rd.collection(Var::kRequestCookies).empty());
  EXPECT_TRUE(rd.collection(Var::kRequestHeaders).empty());
  EXPECT_FALSE(rd.hasScalar(Var::kQueryString));
  EXPECT_FALSE(rd.hasScalar(Var::kRequestBody));
  EXPECT_FALSE(rd.hasScalar(Var::kReqbodyProcessor));
  EXPECT_EQ(rd.scalar(Var::kRequestFilename), "/z");
  EXPECT_EQ(rd.scalar(Var::kRequestBasename), "z");
  EXPECT_TRUE(rd.collection(Var::kTx).empty());
}

TEST(RequestDataCtl, SetBodyProcessorRereadsTheBody) {
  // ctl:requestBodyProcessor=URLENCODED on a text/plain body (CRS 901350).
  Req r = post("text/plain", "a=%27x&b=2");
  r.uri = "/p?q=1";
  std::vector<waf::Header> h;
  RequestData rd;
  HttpRequestView view = r.view(h);
  rd.build(view);
  EXPECT_EQ(rd.collection(Var::kArgs).size(), 1u);
  rd.setBodyProcessor(view, "urlencoded");
  EXPECT_EQ(rd.bodyProcessor(), "URLENCODED");
  EXPECT_EQ(pairs(rd, Var::kArgs), (Pairs{{"q", "1"}, {"a", "'x"}, {"b", "2"}}));
  EXPECT_EQ(pairs(rd, Var::kArgsPostNames), (Pairs{{"a", "a"}, {"b", "b"}}));
  EXPECT_EQ(rd.scalar(Var::kArgsCombinedSize), "7");
  // ctl:requestBodyProcessor=JSON on the same body: not JSON, an error, no POST arguments.
  rd.setBodyProcessor(view, "JSON");
  EXPECT_EQ(rd.bodyProcessor(), "JSON");
  EXPECT_EQ(pairs(rd, Var::kArgs), (Pairs{{"q", "1"}}));
  EXPECT_TRUE(rd.collection(Var::kArgsPost).empty());
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "1");
  // An unknown name: no processor.
  rd.setBodyProcessor(view, "YAML");
  EXPECT_FALSE(rd.hasScalar(Var::kReqbodyProcessor));
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0");
  EXPECT_EQ(rd.scalar(Var::kRequestBody), "a=%27x&b=2");
}

TEST(RequestDataCtl, XmlProcessorOnJsonContentType) {
  Req r = post("application/json", "<a k='v'>t</a>");
  std::vector<waf::Header> h;
  RequestData rd;
  HttpRequestView view = r.view(h);
  rd.build(view);
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "1");
  rd.setBodyProcessor(view, "XML");
  EXPECT_EQ(rd.scalar(Var::kReqbodyError), "0");
  EXPECT_FALSE(rd.hasScalar(Var::kReqbodyErrorMsg));
  EXPECT_EQ(pairs(rd, Var::kXml), (Pairs{{"/a/@k", "v"}, {"/a", "t"}}));
}

}  // namespace
}  // namespace shipgate::managed
