// JSON Logic as flagd evaluates targeting: each operator, JavaScript's truthiness and equality,
// flagd's fractional (with flagd's documented bucket results), sem_ver, starts_with/ends_with,
// and the evaluation bounds.
#include "shipgate/flags/json_logic.h"

#include <gtest/gtest.h>

namespace shipgate::flags {
namespace {

using json = nlohmann::json;

json eval(const std::string& rule, const json& data = json::object(),
          std::string_view flag_key = "flag") {
  auto r = evaluateLogic(json::parse(rule), LogicInput{&data, flag_key});
  EXPECT_TRUE(r.isOk()) << rule << ": " << r.status().message();
  return r.isOk() ? r->value : json("<error>");
}

TEST(JsonLogic, LiteralsAndVar) {
  const json data = {{"a", {{"b", 3}}}, {"list", {10, 20}}, {"targetingKey", "u1"}};
  EXPECT_EQ(eval("5"), json(5));
  EXPECT_EQ(eval(R"({"var": "a.b"})", data), json(3));
  EXPECT_EQ(eval(R"({"var": ["missing", 7]})", data), json(7));
  EXPECT_EQ(eval(R"({"var": "missing"})", data), json(nullptr));
  EXPECT_EQ(eval(R"({"var": "list.1"})", data), json(20));
  EXPECT_EQ(eval(R"({"var": "targetingKey"})", data), json("u1"));
  EXPECT_EQ(eval(R"({"var": ""})", json(42)), json(42));
  EXPECT_EQ(eval(R"([{"var": "a.b"}, 1])", data), json({3, 1}));
}

TEST(JsonLogic, EqualityIsJavaScripts) {
  EXPECT_EQ(eval(R"({"==": [1, "1"]})"), json(true));
  EXPECT_EQ(eval(R"({"==": [0, false]})"), json(true));
  EXPECT_EQ(eval(R"({"==": [null, 0]})"), json(false));
  EXPECT_EQ(eval(R"({"==": [null, null]})"), json(true));
  EXPECT_EQ(eval(R"({"===": [1, "1"]})"), json(false));
  EXPECT_EQ(eval(R"({"===": [1, 1.0]})"), json(true));
  EXPECT_EQ(eval(R"({"!=": ["a", "b"]})"), json(true));
  EXPECT_EQ(eval(R"({"!==": [1, "1"]})"), json(true));
}

TEST(JsonLogic, Truthiness) {
  EXPECT_EQ(eval(R"({"!": [[]]})"), json(true));
  EXPECT_EQ(eval(R"({"!!": ["0"]})"), json(true));
  EXPECT_EQ(eval(R"({"!!": [0]})"), json(false));
  EXPECT_EQ(eval(R"({"!!": [""]})"), json(false));
  EXPECT_EQ(eval(R"({"!": true})"), json(false));
  EXPECT_EQ(eval(R"({"or": [0, "", "x", "y"]})"), json("x"));
  EXPECT_EQ(eval(R"({"or": [0, false]})"), json(false));
  EXPECT_EQ(eval(R"({"and": [1, "a", 0, "b"]})"), json(0));
  EXPECT_EQ(eval(R"({"and": [1, "a"]})"), json("a"));
}

TEST(JsonLogic, IfChains) {
  EXPECT_EQ(eval(R"({"if": [true, "yes", "no"]})"), json("yes"));
  EXPECT_EQ(eval(R"({"if": [false, "yes", "no"]})"), json("no"));
  EXPECT_EQ(eval(R"({"if": [false, 1, false, 2, 3]})"), json(3));
  EXPECT_EQ(eval(R"({"if": [false, 1, true, 2, 3]})"), json(2));
  EXPECT_EQ(eval(R"({"if": [false, 1]})"), json(nullptr));
  // Only the branch taken is evaluated: the other's unknown data does not matter.
  EXPECT_EQ(eval(R"({"if": [{"==": [{"var": "x"}, 1]}, "one", "other"]})", {{"x", 1}}),
            json("one"));
}

TEST(JsonLogic, Comparisons) {
  EXPECT_EQ(eval(R"({"<": [1, 2]})"), json(true));
  EXPECT_EQ(eval(R"({"<": [2, 2]})"), json(false));
  EXPECT_EQ(eval(R"({"<=": [2, 2]})"), json(true));
  EXPECT_EQ(eval(R"({">": [3, 2]})"), json(true));
  EXPECT_EQ(eval(R"({">=": [2, 3]})"), json(false));
  EXPECT_EQ(eval(R"({"<": [1, 2, 3]})"), json(true));   // between, exclusive
  EXPECT_EQ(eval(R"({"<": [1, 1, 3]})"), json(false));
  EXPECT_EQ(eval(R"({"<=": [1, 1, 3]})"), json(true));  // between, inclusive
  EXPECT_EQ(eval(R"({"<": ["10", 9]})"), json(false));  // numeric when not both strings
  EXPECT_EQ(eval(R"({"<": ["a", "b"]})"), json(true));
}

TEST(JsonLogic, InCatSubstr) {
  EXPECT_EQ(eval(R"({"in": ["Spring", "Springfield"]})"), json(true));
  EXPECT_EQ(eval(R"({"in": ["x", "Springfield"]})"), json(false));
  EXPECT_EQ(eval(R"({"in": ["b", ["a", "b"]]})"), json(true));
  EXPECT_EQ(eval(R"({"in": [1, ["1"]]})"), json(false));
  EXPECT_EQ(eval(R"({"cat": ["I love", " pie", 3, true]})"), json("I love pie3true"));
  EXPECT_EQ(eval(R"({"cat": [1.5, null]})"), json("1.5null"));
  EXPECT_EQ(eval(R"({"substr": ["jsonlogic", 4]})"), json("logic"));
  EXPECT_EQ(eval(R"({"substr": ["jsonlogic", -5]})"), json("logic"));
  EXPECT_EQ(eval(R"({"substr": ["jsonlogic", 1, 3]})"), json("son"));
  EXPECT_EQ(eval(R"({"substr": ["jsonlogic", 4, -2]})"), json("log"));
  EXPECT_EQ(eval(R"({"substr": ["abc", 10]})"), json(""));
}

TEST(JsonLogic, Arithmetic) {
  EXPECT_EQ(eval(R"({"+": [4, 2]})"), json(6));
  EXPECT_EQ(eval(R"({"+": [2, 2, 2, 2, 2]})"), json(10));
  EXPECT_EQ(eval(R"({"+": "3.14"})"), json(3.14));
  EXPECT_EQ(eval(R"({"-": [4, 2]})"), json(2));
  EXPECT_EQ(eval(R"({"-": 2})"), json(-2));
  EXPECT_EQ(eval(R"({"*": [4, 2.5]})"), json(10));
  EXPECT_EQ(eval(R"({"/": [4, 2]})"), json(2));
  EXPECT_EQ(eval(R"({"/": [1, 4]})"), json(0.25));
  EXPECT_EQ(eval(R"({"/": [1, 0]})"), json(nullptr));
  EXPECT_EQ(eval(R"({"%": [101, 2]})"), json(1));
  EXPECT_EQ(eval(R"({"min": [1, 2, 3]})"), json(1));
  EXPECT_EQ(eval(R"({"max": [1, 2, 3]})"), json(3));
  EXPECT_EQ(eval(R"({"max": []})"), json(nullptr));
  EXPECT_EQ(eval(R"({"+": ["a", 1]})"), json(nullptr));  // NaN has no JSON form
}

TEST(JsonLogic, ArraysAndMissing) {
  EXPECT_EQ(eval(R"({"merge": [[1, 2], [3], 4]})"), json({1, 2, 3, 4}));
  const json data = {{"a", "x"}, {"c", ""}};
  EXPECT_EQ(eval(R"({"missing": ["a", "b", "c"]})", data), json({"b", "c"}));
  EXPECT_EQ(eval(R"({"missing": [["a", "b"]]})", data), json({"b"}));
  EXPECT_EQ(eval(R"({"missing_some": [1, ["a", "b"]]})", data), json::array());
  EXPECT_EQ(eval(R"({"missing_some": [2, ["a", "b", "c"]]})", data), json({"b", "c"}));
  EXPECT_EQ(eval(R"({"map": [[1, 2, 3], {"*": [{"var": ""}, 2]}]})"), json({2, 4, 6}));
  EXPECT_EQ(eval(R"({"filter": [[1, 2, 3], {">": [{"var": ""}, 1]}]})"), json({2, 3}));
  EXPECT_EQ(eval(R"({"reduce": [[1, 2, 3], {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]})"),
            json(6));
  EXPECT_EQ(eval(R"({"all": [[1, 2], {">": [{"var": ""}, 0]}]})"), json(true));
  EXPECT_EQ(eval(R"({"some": [[1, 2], {">": [{"var": ""}, 1]}]})"), json(true));
  EXPECT_EQ(eval(R"({"none": [[1, 2], {">": [{"var": ""}, 5]}]})"), json(true));
}

TEST(JsonLogic, StartsEndsWith) {
  const json data = {{"email", "ana@coinestate.io"}};
  EXPECT_EQ(eval(R"({"ends_with": [{"var": "email"}, "@coinestate.io"]})", data), json(true));
  EXPECT_EQ(eval(R"({"starts_with": [{"var": "email"}, "ana@"]})", data), json(true));
  EXPECT_EQ(eval(R"({"starts_with": [{"var": "email"}, "bob@"]})", data), json(false));
  EXPECT_EQ(eval(R"({"ends_with": [{"var": "nope"}, "x"]})", data), json(false));
  EXPECT_EQ(eval(R"({"starts_with": [3, "3"]})"), json(false));
}

TEST(JsonLogic, SemVer) {
  EXPECT_EQ(eval(R"({"sem_ver": ["1.2.3", "=", "1.2.3"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["v1.2.3", "=", "1.2.3"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.2.3", "!=", "1.2.4"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.2.3", "<", "1.10.0"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["2.0.0", "<=", "1.10.0"]})"), json(false));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.0.0-alpha", "<", "1.0.0"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.0.0-alpha.1", "<", "1.0.0-alpha.beta"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.0.0-2", "<", "1.0.0-10"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.0.0+build.5", "=", "1.0.0"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.5.0", "^", "1.0.0"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["2.0.0", "^", "1.0.0"]})"), json(false));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.2.9", "~", "1.2.0"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.3.0", "~", "1.2.0"]})"), json(false));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.2", ">", "1.1.9"]})"), json(true));
  EXPECT_EQ(eval(R"({"sem_ver": ["banana", "=", "1.0.0"]})"), json(nullptr));
  EXPECT_EQ(eval(R"({"sem_ver": ["1.0.0", "=>", "1.0.0"]})"), json(nullptr));
}

TEST(Murmur3, KnownVectors) {
  EXPECT_EQ(murmur3_32("", 0), 0u);
  EXPECT_EQ(murmur3_32("", 1), 0x514E28B7u);
  EXPECT_EQ(murmur3_32("hello", 0), 0x248BFA47u);
  EXPECT_EQ(murmur3_32("The quick brown fox jumps over the lazy dog", 0), 0x2E4FF723u);
}

// flagd-testbed's "fractional-flag": buckets by $flagd.flagKey + user.name, four suits at 25 each;
// flagd's documented results for these names.
TEST(Fractional, FlagdTestbedExamples) {
  const std::string rule = R"({"fractional": [
      {"cat": [{"var": "$flagd.flagKey"}, {"var": "user.name"}]},
      ["clubs", 25], ["diamonds", 25], ["hearts", 25], ["spades", 25]]})";
  auto suit = [&](const std::string& name) {
    json data = {{"user", {{"name", name}}}, {"$flagd", {{"flagKey", "fractional-flag"}}}};
    return eval(rule, data, "fractional-flag");
  };
  EXPECT_EQ(suit("jack"), json("spades"));
  EXPECT_EQ(suit("queen"), json("clubs"));
  EXPECT_EQ(suit("ten"), json("diamonds"));
  EXPECT_EQ(suit("nine"), json("hearts"));
  EXPECT_EQ(suit("3"), json("diamonds"));
}

// Without a bucketing value fractional buckets by flagKey + targetingKey; weights default to 1.
TEST(Fractional, ShorthandByTargetingKey) {
  const std::string rule = R"({"fractional": [["heads"], ["tails", 1]]})";
  auto side = [&](const std::string& key) {
    json data = {{"targetingKey", key}};
    return eval(rule, data, "fractional-flag-shorthand");
  };
  EXPECT_EQ(side("jon@company.com"), json("heads"));
  EXPECT_EQ(side("jane@company.com"), json("tails"));
}

TEST(Fractional, BucketIsFlagdsFormula) {
  // |int32(h)| / INT32_MAX * 100, h = murmur3("hello") = 0x248bfa47 (positive as int32).
  EXPECT_NEAR(fractionalBucket("hello"), 0x248BFA47 / 2147483647.0 * 100, 1e-9);
  for (const char* s : {"a", "b", "user-1", "user-2"}) {
    double b = fractionalBucket(s);
    EXPECT_GE(b, 0.0);
    EXPECT_LE(b, 100.0);
  }
}

TEST(Fractional, SharesOverManyKeys) {
  const std::string rule = R"({"fractional": [["a", 10], ["b", 90]]})";
  int a = 0;
  for (int i = 0; i < 10000; ++i) {
    json data = {{"targetingKey", "user-" + std::to_string(i)}};
    if (eval(rule, data, "split") == json("a")) ++a;
  }
  EXPECT_GT(a, 800);
  EXPECT_LT(a, 1200);
}

TEST(Fractional, MissingTargetingKeyIsReported) {
  json data = json::object();
  auto r = evaluateLogic(json::parse(R"({"fractional": [["a", 1], ["b", 1]]})"),
                         LogicInput{&data, "f"});
  ASSERT_TRUE(r.isOk());
  EXPECT_TRUE(r->value.is_null());
  EXPECT_TRUE(r->targeting_key_missing);
}

TEST(JsonLogic, Bounds) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += R"({"!": )";
  deep += "true";
  for (int i = 0; i < 100; ++i) deep += "}";
  json data = json::object();
  auto r = evaluateLogic(json::parse(deep), LogicInput{&data, "f"});
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("deeper than 64"), std::string::npos);
  json big = json::array();
  for (int i = 0; i < 2000; ++i) big.push_back(i);
  json rule = {{"map", {big, {{"map", {big, {{"var", ""}}}}}}}};
  auto r2 = evaluateLogic(rule, LogicInput{&data, "f"});
  ASSERT_FALSE(r2.isOk());
  EXPECT_NE(r2.status().message().find("operations"), std::string::npos);
}

TEST(JsonLogic, UnknownOperatorIsAnError) {
  json data = json::object();
  auto r = evaluateLogic(json::parse(R"({"frobnicate": [1]})"), LogicInput{&data, "f"});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(), "targeting: unknown operator \"frobnicate\"");
}

}  // namespace
}  // namespace shipgate::flags
