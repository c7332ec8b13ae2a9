// Compiler: typed AST -> tree of evaluation nodes; and Filter.
#include <utility>

#include "eval_nodes.h"
#include "functions.h"
#include "shipgate/waf/filter.h"
#include "value_nodes.h"

namespace shipgate::waf {

namespace {

using namespace value_nodes;  // NOLINT: the private node classes of this compiler

// ---- booleans ----

class CompareNode final : public EvalNode {
 public:
  CompareNode(ValuePtr lhs, std::unique_ptr<Predicate> p)
      : lhs_(std::move(lhs)), pred_(std::move(p)) {}
  bool test(EvalContext& ctx) const override {
    Value v = lhs_->eval(ctx);
    return !v.missing() && pred_->test(v);
  }

 private:
  ValuePtr lhs_;
  std::unique_ptr<Predicate> pred_;
};

class ValueAsBool final : public EvalNode {
 public:
  explicit ValueAsBool(ValuePtr v) : v_(std::move(v)) {}
  bool test(EvalContext& ctx) const override {
    Value v = v_->eval(ctx);
    return v.tag == Value::Tag::kBool && v.b;
  }

 private:
  ValuePtr v_;
};

// any()/all() over an Array<Bool>. A missing array is false for both; an empty one is false for
// any() and true for all() (a projection of a missing value is empty).
class Quantifier final : public EvalNode {
 public:
  Quantifier(bool all, ValuePtr arr) : all_(all), arr_(std::move(arr)) {
    fused_ = dynamic_cast<const ProjectedCompareValue*>(arr_.get());
  }
  bool test(EvalContext& ctx) const override {
    if (fused_ != nullptr) {  // short-circuit without materialising the Bool array
      Value elems = fused_->lhs().eval(ctx);
      for (uint32_t i = 0; i < elems.size; ++i) {
        bool b = !elems.items[i].missing() && fused_->predicate().test(elems.items[i]);
        if (b != all_) return !all_;
      }
      return all_;
    }
    Value a = arr_->eval(ctx);
    if (a.tag != Value::Tag::kArray) return false;
    for (uint32_t i = 0; i < a.size; ++i) {
      bool b = a.items[i].tag == Value::Tag::kBool && a.items[i].b;
      if (b != all_) return !all_;
    }
    return all_;
  }

 private:
  bool all_;
  ValuePtr arr_;
  const ProjectedCompareValue* fused_ = nullptr;
};

class NotNode final : public EvalNode {
 public:
  explicit NotNode(BoolPtr a) : a_(std::move(a)) {}
  bool test(EvalContext& ctx) const override { return !a_->test(ctx); }

 private:
  BoolPtr a_;
};

class LogicalNode final : public EvalNode {
 public:
  LogicalNode(LogicOp op, std::vector<BoolPtr> kids) : op_(op), kids_(std::move(kids)) {}
  bool test(EvalContext& ctx) const override {
    switch (op_) {
      case LogicOp::kAnd:
        for (const auto& k : kids_)
          if (!k->test(ctx)) return false;
        return true;
      case LogicOp::kOr:
        for (const auto& k : kids_)
          if (k->test(ctx)) return true;
        return false;
      case LogicOp::kXor: {
        bool r = false;
        for (const auto& k : kids_) r ^= k->test(ctx);
        return r;
      }
    }
    return false;
  }

 private:
  LogicOp op_;
  std::vector<BoolPtr> kids_;
};

// ---- the compiler ----

class Compiler {
 public:
  Compiler(std::string_view text, const Scheme& scheme, const CompileOptions& options)
      : text_(text), scheme_(scheme), options_(options), mask_(normalizerMask(options.normalize)) {}

  BoolPtr compileBool(const Node& n) {
    if (failed()) return nullptr;
    switch (n.kind) {
      case NodeKind::kGroup:
        return compileBool(*n.kids[0]);
      case NodeKind::kNot: {
        auto a = compileBool(*n.kids[0]);
        return a ? std::make_unique<NotNode>(std::move(a)) : nullptr;
      }
      case NodeKind::kLogical: {
        std::vector<BoolPtr> kids;
        for (const auto& k : n.kids) {
          kids.push_back(compileBool(*k));
          if (!kids.back()) return nullptr;
        }
        return std::make_unique<LogicalNode>(n.logic, std::move(kids));
      }
      case NodeKind::kCompare: {
        auto pred = predicate(n);
        auto lhs = pred ? compileValue(*n.kids[0]) : nullptr;
        if (!lhs) return nullptr;
        return std::make_unique<CompareNode>(std::move(lhs), std::move(pred));
      }
      case NodeKind::kCall:
        if (n.name == "any" || n.name == "all") {
          const Node* arg = n.kids[0].get();
          if (!arg->projected && arg->type.kind() == Kind::kBool) return compileBool(*arg);
          auto arr = compileValue(*arg);
          return arr ? std::make_unique<Quantifier>(n.name == "all", std::move(arr)) : nullptr;
        }
        [[fallthrough]];
      default: {
        auto v = compileValue(n);
        return v ? std::make_unique<ValueAsBool>(std::move(v)) : nullptr;
      }
    }
  }

  ValuePtr compileValue(const Node& n) {
    if (failed()) return nullptr;
    switch (n.kind) {
      case NodeKind::kField: {
        const FieldDef& f = scheme_.fields()[n.field_id];
        return std::make_unique<FieldValue>(f.id, f.get, f.normalizable ? mask_ : 0);
      }
      case NodeKind::kLiteral:
        return std::make_unique<LiteralValue>(n.literal);
      case NodeKind::kIndex: {
        auto base = compileValue(*n.kids[0]);
        if (!base) return nullptr;
        return std::make_unique<IndexValue>(std::move(base), n.literal, n.kids[0]->projected);
      }
      case NodeKind::kIndexAll: {
        auto base = compileValue(*n.kids[0]);
        if (!base) return nullptr;
        return std::make_unique<ProjectValue>(std::move(base), n.kids[0]->projected);
      }
      case NodeKind::kGroup:
        if (n.projected) return compileValue(*n.kids[0]);
        break;
      case NodeKind::kCompare:
        if (n.projected) {
          auto pred = predicate(n);
          auto lhs = pred ? compileValue(*n.kids[0]) : nullptr;
          if (!lhs) return nullptr;
          return std::make_unique<ProjectedCompareValue>(std::move(lhs), std::move(pred));
        }
        break;
      case NodeKind::kCall: {
        auto id = findFunction(n.name);
        if (!id || *id == FunctionId::kAny || *id == FunctionId::kAll) break;
        std::vector<ValuePtr> args;
        for (const auto& k : n.kids) {
          args.push_back(compileValue(*k));
          if (!args.back()) return nullptr;
        }
        if (*id == FunctionId::kConcat) return std::make_unique<ConcatValue>(std::move(args));
        return std::make_unique<CallValue>(*id, std::move(args), n.kids[0]->projected);
      }
      default:
        break;
    }
    auto b = compileBool(n);
    return b ? std::make_unique<BoolAsValue>(std::move(b)) : nullptr;
  }

  bool failed() const { return error_.has_value(); }
  std::optional<Diagnostic>& error() { return error_; }
  std::vector<Diagnostic>& warnings() { return warnings_; }

 private:
  std::unique_ptr<Predicate> predicate(const Node& n) {
    std::string err;
    auto p = makePredicate(n, options_, err);
    if (!p) {
      error_ = makeDiagnostic(text_, n.span.begin, n.span.end - n.span.begin, err);
      return nullptr;
    }
    lintLowercase(n);
    return p;
  }

  // With the `lower` normaliser, an upper-case literal compared to a normalised field never
  // matches: say so.
  void lintLowercase(const Node& n) {
    if (!(mask_ & static_cast<uint32_t>(Normalizer::kLower))) return;
    if (n.compare == CompareOp::kMatches || n.kids[0]->type.kind() != Kind::kBytes) return;
    const Node* base = n.kids[0].get();
    while (base->kind == NodeKind::kIndex || base->kind == NodeKind::kIndexAll) {
      base = base->kids[0].get();
    }
    if (base->kind != NodeKind::kField || !scheme_.fields()[base->field_id].normalizable) return;
    std::vector<const Literal*> lits;
    if (n.set.empty()) lits.push_back(&n.literal);
    for (const Literal& l : n.set) lits.push_back(&l);
    for (const Literal* l : lits) {
      for (char c : l->bytes) {
        if (c >= 'A' && c <= 'Z') {
          warnings_.push_back(makeDiagnostic(
              text_, n.span.begin, n.span.end - n.span.begin,
              "\"" + l->bytes + "\" has upper-case letters, but normalize: lower lower-cases " +
                  base->name + ", so it cannot match"));
          return;
        }
      }
    }
  }

  std::string_view text_;
  const Scheme& scheme_;
  const CompileOptions& options_;
  uint32_t mask_;
  std::optional<Diagnostic> error_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace

Filter::Filter(std::unique_ptr<EvalNode> root) : root_(std::move(root)) {}
Filter::~Filter() = default;

bool Filter::matches(EvalContext& ctx) const { return root_->test(ctx); }

bool Filter::matches(const Request& request) const {
  EvalContext ctx;
  ctx.reset(request);
  return root_->test(ctx);
}

CompileOutput compileExpression(std::string_view text, const Scheme& scheme,
                                const CompileOptions& options) {
  CompileOutput out;
  ParseOutput parsed = parseExpression(text, scheme, options.settings);
  out.warnings = std::move(parsed.warnings);
  if (!parsed.ok()) {
    out.error = std::move(parsed.error);
    return out;
  }
  Compiler compiler(text, scheme, options);
  BoolPtr root = compiler.compileBool(*parsed.root);
  for (auto& w : compiler.warnings()) out.warnings.push_back(std::move(w));
  out.ast = std::move(parsed.root);
  if (!root) {
    out.error = std::move(compiler.error());
    return out;
  }
  out.filter = std::make_unique<Filter>(std::move(root));
  return out;
}

}  // namespace shipgate::waf
