// Private: the value-producing nodes of the compiled tree (fields with their normalisers,
// literals, indexes, [*] projections, function calls). Included by compiler.cc only.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "eval_nodes.h"
#include "functions.h"

namespace shipgate::waf::value_nodes {

using ValuePtr = std::unique_ptr<ValueNode>;
using BoolPtr = std::unique_ptr<EvalNode>;

class FieldValue final : public ValueNode {
 public:
  FieldValue(uint32_t id, FieldGetter get, uint32_t mask)
      : key_(id << 4 | mask), get_(get), mask_(mask) {}
  Value eval(EvalContext& ctx) const override {
    return ctx.cached(key_, [&] {
      Value v = get_(ctx);
      return mask_ ? normalizeValue(v, mask_, ctx) : v;
    });
  }

 private:
  uint32_t key_;
  FieldGetter get_;
  uint32_t mask_;
};

class LiteralValue final : public ValueNode {
 public:
  explicit LiteralValue(const Literal& l) : lit_(l) {
    value_ = l.kind == Literal::Kind::kBytes ? Value::ofBytes(lit_.bytes) : Value::ofInt(l.lo);
  }
  Value eval(EvalContext&) const override { return value_; }

 private:
  Literal lit_;
  Value value_;
};

inline Value indexOne(const Value& base, const Literal& key) {
  if (key.kind == Literal::Kind::kBytes) {
    if (base.tag != Value::Tag::kMap) return Value();
    for (uint32_t i = 0; i < base.size; ++i) {
      if (base.keys[i] == key.bytes) return base.items[i];
    }
    return Value();
  }
  if (base.tag != Value::Tag::kArray || key.lo < 0 || static_cast<uint64_t>(key.lo) >= base.size) {
    return Value();
  }
  return base.items[key.lo];
}

// base[key]; when `projected`, base is a projection and the index applies per element.
class IndexValue final : public ValueNode {
 public:
  IndexValue(ValuePtr base, Literal key, bool projected)
      : base_(std::move(base)), key_(std::move(key)), projected_(projected) {}
  Value eval(EvalContext& ctx) const override {
    Value b = base_->eval(ctx);
    if (!projected_) return indexOne(b, key_);
    Value* out = ctx.newValues(b.size);
    for (uint32_t i = 0; i < b.size; ++i) out[i] = indexOne(b.items[i], key_);
    return Value::ofArray(out, b.size);
  }

 private:
  ValuePtr base_;
  Literal key_;
  bool projected_;
};

// base[*]: the elements (array) or values (map); missing becomes an empty projection. When the
// base is itself a projection (x[*][*]), the elements' elements, flattened.
class ProjectValue final : public ValueNode {
 public:
  ProjectValue(ValuePtr base, bool flatten) : base_(std::move(base)), flatten_(flatten) {}
  Value eval(EvalContext& ctx) const override {
    Value b = base_->eval(ctx);
    if (!flatten_) {
      if (b.tag != Value::Tag::kArray && b.tag != Value::Tag::kMap)
        return Value::ofArray(nullptr, 0);
      return Value::ofArray(b.items, b.size);
    }
    uint32_t total = 0;
    for (uint32_t i = 0; i < b.size; ++i) total += containerSize(b.items[i]);
    Value* out = ctx.newValues(total);
    uint32_t k = 0;
    for (uint32_t i = 0; i < b.size; ++i) {
      for (uint32_t j = 0; j < containerSize(b.items[i]); ++j) out[k++] = b.items[i].items[j];
    }
    return Value::ofArray(out, total);
  }

 private:
  static uint32_t containerSize(const Value& v) {
    return v.tag == Value::Tag::kArray || v.tag == Value::Tag::kMap ? v.size : 0;
  }
  ValuePtr base_;
  bool flatten_;
};

class CallValue final : public ValueNode {
 public:
  CallValue(FunctionId id, std::vector<ValuePtr> args, bool map_first)
      : id_(id), args_(std::move(args)), map_first_(map_first) {}
  Value eval(EvalContext& ctx) const override {
    Value argv[3];
    const size_t n = args_.size();
    for (size_t i = 0; i < n; ++i) argv[i] = args_[i]->eval(ctx);
    if (!map_first_) return callScalar(id_, argv, n, ctx);
    Value elems = argv[0];
    Value* out = ctx.newValues(elems.size);
    for (uint32_t i = 0; i < elems.size; ++i) {
      argv[0] = elems.items[i];
      out[i] = callScalar(id_, argv, n, ctx);
    }
    return Value::ofArray(out, elems.size);
  }

 private:
  FunctionId id_;
  std::vector<ValuePtr> args_;
  bool map_first_;
};

class ConcatValue final : public ValueNode {
 public:
  explicit ConcatValue(std::vector<ValuePtr> args) : args_(std::move(args)) {}
  Value eval(EvalContext& ctx) const override {
    std::vector<Value> vals;
    vals.reserve(args_.size());
    for (const auto& a : args_) {
      vals.push_back(a->eval(ctx));
      if (vals.back().missing()) return Value();
    }
    if (vals[0].tag == Value::Tag::kBytes) {
      std::string& out = ctx.newString();
      for (const Value& v : vals) out.append(v.s);
      return Value::ofBytes(out);
    }
    uint32_t total = 0;
    for (const Value& v : vals) total += v.size;
    Value* out = ctx.newValues(total);
    uint32_t k = 0;
    for (const Value& v : vals) {
      for (uint32_t i = 0; i < v.size; ++i) out[k++] = v.items[i];
    }
    return Value::ofArray(out, total);
  }

 private:
  std::vector<ValuePtr> args_;
};

class BoolAsValue final : public ValueNode {
 public:
  explicit BoolAsValue(BoolPtr b) : b_(std::move(b)) {}
  Value eval(EvalContext& ctx) const override { return Value::ofBool(b_->test(ctx)); }

 private:
  BoolPtr b_;
};

// A comparison on a projection: one Bool per element (missing elements compare false).
class ProjectedCompareValue final : public ValueNode {
 public:
  ProjectedCompareValue(ValuePtr lhs, std::unique_ptr<Predicate> p)
      : lhs_(std::move(lhs)), pred_(std::move(p)) {}
  Value eval(EvalContext& ctx) const override {
    Value elems = lhs_->eval(ctx);
    Value* out = ctx.newValues(elems.size);
    for (uint32_t i = 0; i < elems.size; ++i) {
      out[i] = Value::ofBool(!elems.items[i].missing() && pred_->test(elems.items[i]));
    }
    return Value::ofArray(out, elems.size);
  }
  const ValueNode& lhs() const { return *lhs_; }
  const Predicate& predicate() const { return *pred_; }

 private:
  ValuePtr lhs_;
  std::unique_ptr<Predicate> pred_;
};

}  // namespace shipgate::waf::value_nodes
