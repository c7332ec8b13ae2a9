// flagd's flag-definition JSON (https://flagd.dev/reference/flag-definitions/), parsed and
// validated, and the evaluation of one flag against an evaluation context.
//
//   {"$schema": "https://flagd.dev/schema/v0/flags.json",
//    "flags": {
//      "new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false},
//                       "defaultVariant": "off",
//                       "targeting": {"if": [{"$ref": "beta-users"}, "on", null]}}},
//    "$evaluators": {"beta-users": {"ends_with": [{"var": "email"}, "@coinestate.io"]}}}
//
// `$ref`s to `$evaluators` are resolved when the document is parsed: a Flag holds its targeting
// with every reference replaced, so a stored flag evaluates the same whatever later documents
// define. Validation names the flag and the JSON pointer of the bad member; a document that does
// not parse as JSON names line:col. Limits: kMaxDocumentBytes, kMaxFlags, the targeting's depth
// (json_logic.h's kMaxDepth) once resolved.
//
// Thread-safety: a Flag is an immutable value.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::flags {

inline constexpr size_t kMaxDocumentBytes = 1 << 20;
inline constexpr size_t kMaxFlags = 1000;
inline constexpr size_t kMaxKeyLength = 200;

enum class FlagType { kBoolean, kString, kNumber, kObject };
std::string_view flagTypeName(FlagType t);

struct Flag {
  std::string key;
  bool enabled = true;  // state ENABLED
  nlohmann::json variants;                 // object, non-empty, values of one type
  std::optional<std::string> default_variant;  // null: the caller's code default
  nlohmann::json targeting;                // null when absent or {}; $refs resolved
  nlohmann::json metadata;                 // object (may be empty)
  FlagType type = FlagType::kBoolean;

  // The flag as flagd's JSON (the member of "flags"), what the store keeps.
  nlohmann::json toJson() const;
  bool operator==(const Flag& o) const;
};

// One problem of a document: where (a JSON pointer, e.g. /flags/new-checkout/defaultVariant) and
// what. toString() gives "flag 'KEY' at POINTER: MESSAGE" (or "at POINTER: MESSAGE").
struct DefinitionError {
  std::string flag;  // empty when not about one flag
  std::string pointer;
  std::string message;
  std::string toString() const;
};

struct ParsedDefinitions {
  std::vector<Flag> flags;  // in key order
  std::vector<DefinitionError> errors;
  bool ok() const { return errors.empty(); }
};

// A key flagd and the OFREP path accept: 1..kMaxKeyLength of [A-Za-z0-9_.:-], starting with a
// letter or digit.
bool validFlagKey(std::string_view key);

// Parses `text` as JSON first, then as definitionsFromJson(doc, single_key) does. A JSON syntax
// error is one DefinitionError whose pointer is empty and whose message starts with
// "line L:col C:"; a number beyond a double (1e999) is "not JSON: a number is out of range".
ParsedDefinitions parseDefinitions(std::string_view text,
                                   std::optional<std::string> single_key = std::nullopt);
// A parsed JSON document: either a whole flagd document ({"flags": ...}) or, when `single_key`
// is given, one flag's definition ({"state": ..., "variants": ...}) for that key.
ParsedDefinitions definitionsFromJson(const nlohmann::json& doc,
                                      std::optional<std::string> single_key = std::nullopt);

// "line L:col C" of the byte `offset` of `text` (1-based).
std::string lineColumn(std::string_view text, size_t offset);

// The outcome of one evaluation, in OpenFeature's terms as flagd answers it.
struct Resolution {
  std::string key;
  std::optional<nlohmann::json> value;  // nullopt: use the code default (or an error)
  std::string variant;                  // empty when none
  std::string reason;                   // STATIC TARGETING_MATCH DEFAULT DISABLED ERROR
  std::string error_code;               // empty, or FLAG_NOT_FOUND TYPE_MISMATCH PARSE_ERROR
                                        // TARGETING_KEY_MISSING INVALID_CONTEXT GENERAL
  std::string error_details;
  nlohmann::json metadata = nlohmann::json::object();
  bool ok() const { return error_code.empty(); }
};

// Evaluates `flag` for `context` (an object; targetingKey in it), with $flagd.flagKey and
// $flagd.timestamp (`now_seconds`) added:
//   DISABLED         state DISABLED: no value (the code default)
//   STATIC           no targeting: the default variant
//   TARGETING_MATCH  the targeting answered one of the variants (a boolean answer names the
//                    variant "true"/"false")
//   DEFAULT          the targeting answered null: the default variant
//   errors           GENERAL (the targeting answered something that is no variant, or failed),
//                    TARGETING_KEY_MISSING (fractional needed the targetingKey)
// With no default variant (null), a DEFAULT or STATIC outcome has no value.
Resolution evaluateFlag(const Flag& flag, const nlohmann::json& context, int64_t now_seconds);

// A flag whose key is not among `flags`.
Resolution flagNotFound(std::string_view key);

}  // namespace shipgate::flags
