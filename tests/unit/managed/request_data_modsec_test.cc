// Differential test of RequestData against libmodsecurity 3 (Debian's libmodsecurity-dev, the
// engine nginx's ModSecurity module runs): the same requests through both, the collections
// compared. libmodsecurity keeps its collections in hash maps, so elements are compared as
// sorted lists. Where we differ on purpose, the case says so (see request_data.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#include <modsecurity/variable_value.h>

#include "shipgate/managed/request_data.h"

namespace shipgate::managed {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Case {
  std::string label;
  std::string method;
  std::string uri;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// modsecurity.conf-recommended's body processor selection (rules 200000, 200001).
constexpr const char* kRules = R"(SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
)";

class ModSec {
 public:
  ModSec() {
    rules_ = std::make_unique<modsecurity::RulesSet>();
    if (rules_->load(kRules) < 0) ADD_FAILURE() << rules_->getParserError();
  }

  std::unique_ptr<modsecurity::Transaction> run(const Case& c) {
    auto t = std::make_unique<modsecurity::Transaction>(&ms_, rules_.get(), nullptr);
    t->processConnection("192.0.2.7", 51234, "127.0.0.1", 8080);
    t->processURI(c.uri.c_str(), c.method.c_str(), "1.1");
    for (const auto& [n, v] : c.headers) t->addRequestHeader(n, v);
    t->processRequestHeaders();
    t->appendRequestBody(reinterpret_cast<const unsigned char*>(c.body.data()), c.body.size());
    t->processRequestBody();
    return t;
  }

 private:
  modsecurity::ModSecurity ms_;
  std::unique_ptr<modsecurity::RulesSet> rules_;
};

Pairs sorted(Pairs p) {
  std::sort(p.begin(), p.end());
  return p;
}

Pairs theirs(modsecurity::AnchoredSetVariable& v) {
  std::vector<const modsecurity::VariableValue*> l;
  v.resolve(&l);
  Pairs out;
  for (const modsecurity::VariableValue* e : l) {
    out.emplace_back(e->getKey(), e->getValue());
    delete e;
  }
  return sorted(out);
}

Pairs ours(const RequestData& rd, Var v) {
  Pairs out;
  for (const Element& e : rd.collection(v)) out.emplace_back(e.name, e.value);
  return sorted(out);
}

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

}  // namespace
}  // namespace shipgate::managed
