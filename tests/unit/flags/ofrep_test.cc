// OFREP answers: statuses, bodies and headers of the single and bulk evaluations, ETag/304,
// the token check, size limit and bad requests.
#include "shipgate/flags/ofrep.h"

#include <gtest/gtest.h>

namespace shipgate::flags {
namespace {

using json = nlohmann::json;

class OfrepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ParsedDefinitions p = parseDefinitions(R"({"flags": {
      "dark-mode": {"state": "ENABLED", "variants": {"on": true, "off": false},
                    "defaultVariant": "off",
                    "targeting": {"if": [{"==": [{"var": "plan"}, "pro"]}, "on"]}},
      "split": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                "targeting": {"fractional": [["a"], ["b"]]}},
      "gone": {"state": "DISABLED", "variants": {"x": 1}, "defaultVariant": "x"}}})");
    ASSERT_TRUE(p.ok());
    auto& env = snap_.environments["production"];
    for (Flag& f : p.flags) env.flags.emplace(f.key, std::move(f));
  }
  OfrepAnswer ask(std::string path, std::string body, std::string method = "POST",
                  std::string inm = "") {
    OfrepRequest r;
    r.method = method;
    path_ = std::move(path);
    body_ = std::move(body);
    inm_ = std::move(inm);
    r.path = path_;
    r.body = body_;
    r.if_none_match = inm_;
    r.authorization = auth_;
    return answerOfrep(r, config_, snap_, 1000);
  }
  FlagsSnapshot snap_;
  FlagsConfig config_;
  std::string path_, body_, inm_, auth_;
};

TEST_F(OfrepTest, SingleFlag) {
  OfrepAnswer a = ask("/ofrep/v1/evaluate/flags/dark-mode", R"({"context": {"plan": "pro"}})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body), json::parse(R"({"key": "dark-mode", "value": true,
      "reason": "TARGETING_MATCH", "variant": "on", "metadata": {}})"));
  a = ask("/ofrep/v1/evaluate/flags/dark-mode", R"({"context": {}})");
  EXPECT_EQ(json::parse(a.body)["reason"], "DEFAULT");
  EXPECT_EQ(json::parse(a.body)["value"], false);
}

TEST_F(OfrepTest, Errors) {
  OfrepAnswer a = ask("/ofrep/v1/evaluate/flags/nope", R"({"context": {}})");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(json::parse(a.body), json::parse(R"({"key": "nope", "errorCode": "FLAG_NOT_FOUND",
      "errorDetails": "flag 'nope' was not found"})"));
  a = ask("/ofrep/v1/evaluate/flags/dark-mode", "{nope");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(json::parse(a.body)["errorCode"], "PARSE_ERROR");
  a = ask("/ofrep/v1/evaluate/flags/dark-mode", R"({"context": [1]})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(json::parse(a.body)["errorCode"], "INVALID_CONTEXT");
  a = ask("/ofrep/v1/evaluate/flags/dark-mode", R"({"context": {"targetingKey": 5}})");
  EXPECT_EQ(json::parse(a.body)["errorCode"], "INVALID_CONTEXT");
  a = ask("/ofrep/v1/evaluate/flags/split", R"({"context": {}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(json::parse(a.body)["errorCode"], "TARGETING_KEY_MISSING");
  a = ask("/ofrep/v1/evaluate/flags/dark-mode", "", "GET");
  EXPECT_EQ(a.status, 405);
  a = ask("/ofrep/v1/other", "{}");
  EXPECT_EQ(a.status, 404);
  config_.max_body_bytes = 64;
  a = ask("/ofrep/v1/evaluate/flags/dark-mode", std::string(100, ' ') + "{}");
  EXPECT_EQ(a.status, 413);
}

TEST_F(OfrepTest, DisabledFlagDefersToCodeDefault) {
  OfrepAnswer a = ask("/ofrep/v1/evaluate/flags/gone", R"({"context": {}})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body), json::parse(R"({"key": "gone", "reason": "DISABLED",
      "metadata": {}})"));
}

TEST_F(OfrepTest, BulkWithEtag) {
  OfrepAnswer a = ask("/ofrep/v1/evaluate/flags", R"({"context": {"targetingKey": "u1"}})");
  ASSERT_EQ(a.status, 200);
  json body = json::parse(a.body);
  ASSERT_EQ(body["flags"].size(), 3u);
  EXPECT_EQ(body["flags"][0]["key"], "dark-mode");
  EXPECT_EQ(body["flags"][1]["reason"], "DISABLED");
  EXPECT_EQ(body["flags"][2]["key"], "split");
  std::string etag;
  for (auto& [k, v] : a.headers) {
    if (k == "ETag") etag = v;
  }
  ASSERT_EQ(etag.size(), 18u);
  OfrepAnswer again = ask("/ofrep/v1/evaluate/flags", R"({"context": {"targetingKey": "u1"}})",
                          "POST", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  OfrepAnswer other = ask("/ofrep/v1/evaluate/flags", R"({"context": {"targetingKey": "u1"}})",
                          "POST", "\"0000\"");
  EXPECT_EQ(other.status, 200);
  OfrepAnswer bad = ask("/ofrep/v1/evaluate/flags", "nope");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["errorCode"], "PARSE_ERROR");
  EXPECT_FALSE(json::parse(bad.body).contains("key"));
}

TEST_F(OfrepTest, Token) {
  config_.token = "s3cret";
  EXPECT_EQ(ask("/ofrep/v1/evaluate/flags/dark-mode", "{}").status, 401);
  auth_ = "Bearer wrong";
  EXPECT_EQ(ask("/ofrep/v1/evaluate/flags/dark-mode", "{}").status, 403);
  auth_ = "Bearer s3cret";
  EXPECT_EQ(ask("/ofrep/v1/evaluate/flags/dark-mode", "{}").status, 200);
}

TEST_F(OfrepTest, OtherEnvironmentHasNoFlags) {
  config_.environment = "staging";
  EXPECT_EQ(ask("/ofrep/v1/evaluate/flags/dark-mode", "{}").status, 404);
  OfrepAnswer a = ask("/ofrep/v1/evaluate/flags", "{}");
  EXPECT_EQ(json::parse(a.body)["flags"], json::array());
}

}  // namespace
}  // namespace shipgate::flags
