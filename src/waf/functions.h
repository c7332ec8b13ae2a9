// Private: the built-in functions (Cloudflare's names) — their type rules, used by the parser,
// and their evaluation, used by the compiler.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/waf/ast.h"
#include "shipgate/waf/eval_context.h"
#include "shipgate/waf/value.h"

namespace shipgate::waf {

enum class FunctionId {
  kAny,
  kAll,
  kLower,
  kUpper,
  kLen,
  kStartsWith,
  kEndsWith,
  kConcat,
  kSubstring,
  kUrlDecode,
  kToString
};

std::optional<FunctionId> findFunction(std::string_view name);

// Type-checks a call whose arguments are already parsed and typed. On success sets call.type and
// call.projected and returns empty; else returns the error message and sets `bad_arg` to the
// index of the offending argument (-1 = the call itself). `quirk` is set for any()/all() of a Bool.
std::string checkCall(FunctionId id, Node& call, int& bad_arg, bool& quirk);

// Evaluates a scalar (per-element) function. `args` are the evaluated arguments; argument 0 is a
// single element even when the call maps over a projection. Returns missing on missing input.
Value callScalar(FunctionId id, const Value* args, size_t n, EvalContext& ctx);

}  // namespace shipgate::waf
