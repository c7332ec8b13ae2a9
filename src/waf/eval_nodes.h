// Private: the compiled evaluation tree. EvalNode yields a Bool, ValueNode a Value, Predicate
// tests one (non-missing) scalar Value against a pre-built right-hand side. All are immutable
// after construction and evaluated concurrently from many threads with separate EvalContexts.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shipgate/waf/ast.h"
#include "shipgate/waf/eval_context.h"
#include "shipgate/waf/filter.h"
#include "shipgate/waf/value.h"

namespace shipgate::waf {

class EvalNode {
 public:
  virtual ~EvalNode() = default;
  virtual bool test(EvalContext& ctx) const = 0;
};

class ValueNode {
 public:
  virtual ~ValueNode() = default;
  virtual Value eval(EvalContext& ctx) const = 0;
};

class Predicate {
 public:
  virtual ~Predicate() = default;
  // REQUIRES: !v.missing().
  virtual bool test(const Value& v) const = 0;
};

// Builds the predicate of a kCompare node (everything but the left-hand side). On failure returns
// null and sets `error` (e.g. an unknown or mistyped named list, a regex over the size limit).
std::unique_ptr<Predicate> makePredicate(const Node& compare, const CompileOptions& options,
                                         std::string& error);

// Applies normalisers to every Bytes inside `v` (arrays and map values included; keys kept).
Value normalizeValue(const Value& v, uint32_t mask, EvalContext& ctx);

}  // namespace shipgate::waf
