// flagd flag documents: parsing, $ref resolution, the validation errors (flag and JSON pointer
// named), and the evaluation reasons and error codes.
#include "shipgate/flags/flag_definitions.h"

#include <gtest/gtest.h>

namespace shipgate::flags {
namespace {

using json = nlohmann::json;

constexpr const char* kDoc = R"({
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "flags": {
    "new-checkout": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off",
      "targeting": {"if": [{"$ref": "staff"}, "on", null]},
      "metadata": {"owner": "payments"}
    },
    "banner-color": {
      "state": "ENABLED",
      "variants": {"red": "#c00", "blue": "#00c"},
      "defaultVariant": "blue"
    },
    "old-thing": {
      "state": "DISABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off"
    },
    "sem": {
      "state": "ENABLED",
      "variants": {"new": 2, "old": 1},
      "defaultVariant": "old",
      "targeting": {"if": [{"sem_ver": [{"var": "version"}, ">=", "2.0.0"]}, "new"]}
    },
    "bool-answer": {
      "state": "ENABLED",
      "variants": {"true": {"x": 1}, "false": {"x": 0}},
      "defaultVariant": "false",
      "targeting": {"==": [{"var": "tier"}, "gold"]}
    },
    "split": {
      "state": "ENABLED",
      "variants": {"a": "a", "b": "b"},
      "defaultVariant": "a",
      "targeting": {"fractional": [["a", 50], ["b", 50]]}
    }
  },
  "$evaluators": {
    "staff": {"ends_with": [{"var": "email"}, "@coinestate.io"]}
  }
})";

const Flag& find(const ParsedDefinitions& p, const std::string& key) {
  for (const Flag& f : p.flags) {
    if (f.key == key) return f;
  }
  static Flag none;
  ADD_FAILURE() << "no flag " << key;
  return none;
}

TEST(FlagDefinitions, ParsesAndResolvesRefs) {
  ParsedDefinitions p = parseDefinitions(std::string_view(kDoc));
  ASSERT_TRUE(p.ok()) << p.errors[0].toString();
  ASSERT_EQ(p.flags.size(), 6u);
  const Flag& f = find(p, "new-checkout");
  EXPECT_EQ(f.type, FlagType::kBoolean);
  EXPECT_EQ(f.targeting, json::parse(
      R"({"if": [{"ends_with": [{"var": "email"}, "@coinestate.io"]}, "on", null]})"));
  EXPECT_EQ(f.metadata, json({{"owner", "payments"}}));
  // The stored form re-parses to the same flag.
  ParsedDefinitions again = definitionsFromJson(f.toJson(), f.key);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.flags[0], f);
}

TEST(FlagDefinitions, EvaluationReasons) {
  ParsedDefinitions p = parseDefinitions(std::string_view(kDoc));
  ASSERT_TRUE(p.ok());
  Resolution r = evaluateFlag(find(p, "new-checkout"), {{"email", "ana@coinestate.io"}}, 0);
  EXPECT_EQ(r.reason, "TARGETING_MATCH");
  EXPECT_EQ(r.variant, "on");
  EXPECT_EQ(*r.value, json(true));
  EXPECT_EQ(r.metadata, json({{"owner", "payments"}}));

  r = evaluateFlag(find(p, "new-checkout"), {{"email", "bob@example.com"}}, 0);
  EXPECT_EQ(r.reason, "DEFAULT");
  EXPECT_EQ(r.variant, "off");
  EXPECT_EQ(*r.value, json(false));

  r = evaluateFlag(find(p, "banner-color"), json::object(), 0);
  EXPECT_EQ(r.reason, "STATIC");
  EXPECT_EQ(*r.value, json("#00c"));

  r = evaluateFlag(find(p, "old-thing"), json::object(), 0);
  EXPECT_EQ(r.reason, "DISABLED");
  EXPECT_FALSE(r.value.has_value());
  EXPECT_TRUE(r.ok());

  r = evaluateFlag(find(p, "sem"), {{"version", "2.1.0"}}, 0);
  EXPECT_EQ(r.reason, "TARGETING_MATCH");
  EXPECT_EQ(*r.value, json(2));

  r = evaluateFlag(find(p, "bool-answer"), {{"tier", "gold"}}, 0);
  EXPECT_EQ(r.variant, "true");
  EXPECT_EQ(*r.value, json({{"x", 1}}));

  r = evaluateFlag(find(p, "split"), json::object(), 0);
  EXPECT_EQ(r.error_code, "TARGETING_KEY_MISSING");
  r = evaluateFlag(find(p, "split"), {{"targetingKey", "u-1"}}, 0);
  EXPECT_EQ(r.reason, "TARGETING_MATCH");
  EXPECT_TRUE(r.variant == "a" || r.variant == "b");
}

TEST(FlagDefinitions, FlagdContextVariables) {
  ParsedDefinitions p = definitionsFromJson(json::parse(R"({"flags": {"t": {
      "state": "ENABLED", "variants": {"late": "late", "early": "early"},
      "defaultVariant": "early",
      "targeting": {"if": [{"and": [{">": [{"var": "$flagd.timestamp"}, 1000]},
                                     {"==": [{"var": "$flagd.flagKey"}, "t"]}]}, "late"]}}}})"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(evaluateFlag(p.flags[0], json::object(), 999).variant, "early");
  EXPECT_EQ(evaluateFlag(p.flags[0], json::object(), 1001).variant, "late");
}

TEST(FlagDefinitions, TargetingAnsweringNoVariantIsGeneral) {
  ParsedDefinitions p = definitionsFromJson(json::parse(R"({"flags": {"x": {
      "state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a",
      "targeting": {"var": "pick"}}}})"));
  ASSERT_TRUE(p.ok());
  Resolution r = evaluateFlag(p.flags[0], {{"pick", "zzz"}}, 0);
  EXPECT_EQ(r.error_code, "GENERAL");
  EXPECT_EQ(r.error_details, "flag 'x': the targeting answered \"zzz\", which is not one of its variants");
}

std::vector<std::string> errors(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& e : parseDefinitions(std::string_view(text)).errors) out.push_back(e.toString());
  return out;
}

TEST(FlagDefinitions, ErrorsNameFlagAndPointer) {
  EXPECT_EQ(errors(R"({"flags": {"f": {"state": "ON", "variants": {"a": 1}, "defaultVariant": "a"}}})"),
            std::vector<std::string>{"flag 'f' at /flags/f/state: must be \"ENABLED\" or \"DISABLED\", not \"ON\""});
  EXPECT_EQ(errors(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1, "b": "x"}, "defaultVariant": "a"}}})"),
            std::vector<std::string>{"flag 'f' at /flags/f/variants/b: is string but variant \"a\" is number (all variants have one type)"});
  EXPECT_EQ(errors(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "z"}}})"),
            std::vector<std::string>{"flag 'f' at /flags/f/defaultVariant: \"z\" is not one of its variants (a)"});
  EXPECT_EQ(errors(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}}}})"),
            std::vector<std::string>{"flag 'f' at /flags/f/defaultVariant: missing (a variant name, or null for the code default)"});
  EXPECT_EQ(errors(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a", "targeting": {"if": [{"$ref": "nope"}, "a"]}}}})"),
            std::vector<std::string>{"flag 'f' at /flags/f/targeting/if/0/$ref: no evaluator \"nope\" in $evaluators"});
  EXPECT_EQ(errors(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a", "targeting": {"if": [{"wat": [1]}, "a"]}}}})"),
            std::vector<std::string>{"flag 'f' at /flags/f/targeting/if/0/wat: unknown operator \"wat\""});
  EXPECT_EQ(errors(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a", "targeting": {"$ref": "x"}}}, "$evaluators": {"x": {"$ref": "x"}}})"),
            std::vector<std::string>{"flag 'f' at /$evaluators/x/$ref: evaluator \"x\" refers to itself"});
  EXPECT_EQ(errors(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a", "colour": 1}}})"),
            std::vector<std::string>{"flag 'f' at /flags/f/colour: unknown member (a flag has state, variants, defaultVariant, targeting, metadata)"});
  EXPECT_EQ(errors(R"({"flags": {"bad key": {}}})"),
            std::vector<std::string>{"flag 'bad key' at /flags/bad key: a flag key is 1..200 of letters, digits, '_', '.', ':' and '-', starting with a letter or digit"});
  EXPECT_EQ(errors(R"({"flag": {}})"),
            (std::vector<std::string>{"at /flag: unknown member (a document has flags, $evaluators, $schema, metadata)",
                                      "at /flags: missing or not an object of flag key -> definition"}));
  EXPECT_EQ(errors("[1]"), std::vector<std::string>{"a flag document is an object with \"flags\", not an array"});
}

TEST(FlagDefinitions, JsonSyntaxErrorsNameLineAndColumn) {
  auto e = errors("{\n  \"flags\": {\n    \"f\": {,}\n  }\n}");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].rfind("line 3:col 11: not JSON: syntax error", 0), 0u) << e[0];
}

TEST(FlagDefinitions, OneFlagForm) {
  ParsedDefinitions p = definitionsFromJson(
      json::parse(R"({"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"})"),
      std::string("single"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.flags[0].key, "single");
  ParsedDefinitions bad = definitionsFromJson(json::parse(R"({"flags": {}})"), std::string("single"));
  ASSERT_FALSE(bad.ok());
}

TEST(FlagDefinitions, NullDefaultVariantMeansCodeDefault) {
  ParsedDefinitions p = definitionsFromJson(json::parse(R"({"flags": {"f": {
      "state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": null}}})"));
  ASSERT_TRUE(p.ok());
  Resolution r = evaluateFlag(p.flags[0], json::object(), 0);
  EXPECT_EQ(r.reason, "STATIC");
  EXPECT_FALSE(r.value.has_value());
}

}  // namespace
}  // namespace shipgate::flags
