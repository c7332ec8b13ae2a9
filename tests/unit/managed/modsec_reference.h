// The reference side of the differential tests of RequestData: libmodsecurity 3 (Debian's
// libmodsecurity-dev, the engine nginx's ModSecurity module runs) with modsecurity.conf-
// recommended's body-processor selection (rules 200000, 200001), and the collections of both
// sides as sorted (name, value) lists (libmodsecurity keeps its collections in hash maps).
#pragma once

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

namespace shipgate::managed::testing {

using Pairs = std::vector<std::pair<std::string, std::string>>;

inline Pairs sorted(Pairs p) {
  std::sort(p.begin(), p.end());
  return p;
}

// A libmodsecurity collection as a sorted list.
inline Pairs theirs(modsecurity::AnchoredSetVariable& v) {
  std::vector<const modsecurity::VariableValue*> l;
  v.resolve(&l);
  Pairs out;
  for (const modsecurity::VariableValue* e : l) {
    out.emplace_back(e->getKey(), e->getValue());
    delete e;
  }
  return sorted(out);
}

// One of our collections as a sorted list.
inline Pairs ours(const RequestData& rd, Var v) {
  Pairs out;
  for (const Element& e : rd.collection(v)) out.emplace_back(e.name, e.value);
  return sorted(out);
}

// libmodsecurity in detection mode with request-body access and the recommended body-processor
// rules; run() puts one request through phases 1 and 2.
class ModSecReference {
 public:
  ModSecReference() {
    rules_ = std::make_unique<modsecurity::RulesSet>();
    if (rules_->load(kRules) < 0) ADD_FAILURE() << rules_->getParserError();
  }

  // `version` as libmodsecurity takes it ("1.1").
  std::unique_ptr<modsecurity::Transaction> run(
      const std::string& method, const std::string& uri, const std::string& version,
      const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
      int server_port) {
    auto t = std::make_unique<modsecurity::Transaction>(&ms_, rules_.get(), nullptr);
    t->processConnection("192.0.2.7", 51234, "127.0.0.1", server_port);
    t->processURI(uri.c_str(), method.c_str(), version.c_str());
    for (const auto& [n, v] : headers) t->addRequestHeader(n, v);
    t->processRequestHeaders();
    t->appendRequestBody(reinterpret_cast<const unsigned char*>(body.data()), body.size());
    t->processRequestBody();
    return t;
  }

 private:
  static constexpr const char* kRules = R"(SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
)";
  modsecurity::ModSecurity ms_;
  std::unique_ptr<modsecurity::RulesSet> rules_;
};

}  // namespace shipgate::managed::testing
