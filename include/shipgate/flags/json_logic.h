// JSON Logic (https://jsonlogic.com) as flagd evaluates a flag's `targeting`: the standard
// operators flagd supports and flagd's own `fractional`, `starts_with`, `ends_with` and `sem_ver`,
// on nlohmann::json. Own code; JavaScript's truthiness and loose equality as json-logic-js has
// them.
//
// A rule is a JSON value: an object with exactly one key is an operation ({"op": args}), anything
// else is a literal (arrays are evaluated element by element). Bad arguments never throw: an
// operation given what it cannot use answers null (as flagd does, which then falls back to the
// flag's default variant). What bounds an evaluation: nesting depth (kMaxDepth) and a budget of
// operations (kMaxSteps, for map/filter/reduce over big arrays); going past either is an error.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::flags {

inline constexpr int kMaxDepth = 64;
inline constexpr int64_t kMaxSteps = 100'000;

// The operator names an evaluation knows (standard and flagd's).
bool isKnownOperator(std::string_view name);

// What an evaluation needs besides the rule: the data `var` reads (the evaluation context with
// `$flagd` {flagKey, timestamp} added) and the flag key (fractional's default bucketing).
struct LogicInput {
  const nlohmann::json* data = nullptr;  // an object
  std::string_view flag_key;
};

struct LogicOutcome {
  nlohmann::json value;
  // fractional needed the targeting key (no explicit bucketing value) and the context had none.
  bool targeting_key_missing = false;
};

// Evaluates `rule`. Errors: InvalidArgument (an unknown operator, too deep, too many steps).
Result<LogicOutcome> evaluateLogic(const nlohmann::json& rule, const LogicInput& input);

// JavaScript truthiness: false, null, 0, NaN, "" and [] are false.
bool truthy(const nlohmann::json& v);

// MurmurHash3 x86 32-bit of `data` with `seed` (fractional uses seed 0).
uint32_t murmur3_32(std::string_view data, uint32_t seed = 0);

// fractional's bucket in [0, 100] for a bucketing value, as flagd computes it:
// |int32(murmur3(value))| / INT32_MAX * 100.
double fractionalBucket(std::string_view value);

// sem_ver: compares two versions (an optional leading "v"; MAJOR[.MINOR[.PATCH]][-pre][+build])
// with =, !=, <, <=, >, >=, ^ (same major), ~ (same major and minor). nullopt: not versions or
// not an operator.
std::optional<bool> compareSemVer(std::string_view left, std::string_view op,
                                  std::string_view right);

}  // namespace shipgate::flags
