// Recursive-descent parser with type checking (precedence: not > and > xor > or): logic,
// values, indexes and function calls. Comparisons: parse_comparison.cc.
#include <memory>
#include <utility>

#include "parser_impl.h"

namespace shipgate::waf {

ParseOutput Parser::run() {
  ParseOutput out;
  if (text_.size() > settings_.max_expression_length) {
    fail(static_cast<uint32_t>(settings_.max_expression_length), 1,
         "expression is longer than " + std::to_string(settings_.max_expression_length) + " bytes");
  } else if (lex_.atEnd()) {
    fail(0, 1, "empty expression");
  } else {
    auto root = parseOr();
    if (root && !lex_.atEnd()) {
      fail(lex_.pos(), 1, R"(expected one of "and", "or", "xor", "&&", "||", "^^" or the end)");
    } else if (root && (root->projected || root->type.kind() != Kind::kBool)) {
      fail(root->span.begin, root->span.end - root->span.begin,
           "this is an Array<Bool> (one Bool per [*] element): wrap it in any(...) or all(...)");
    } else if (root) {
      out.root = std::move(root);
    }
  }
  if (error_) {
    out.root.reset();
    out.error = std::move(error_);
    return out;
  }
  out.warnings = std::move(warnings_);
  std::string rewrite = printCloudflare(*out.root);
  for (auto& w : out.warnings) w.rewrite = rewrite;
  return out;
}

Parser::NodePtr Parser::checkLogicalOperand(NodePtr n) {
  if (!n) return nullptr;
  if (n->projected || n->type.kind() != Kind::kBool) {
    return fail(n->span.begin, n->span.end - n->span.begin,
                "this is an Array<Bool> (one Bool per [*] element): wrap it in any(...) or "
                "all(...)");
  }
  return n;
}

bool Parser::consumeLogic(LogicOp op) {
  switch (op) {
    case LogicOp::kOr:
      return lex_.consumeWord("or") || lex_.consumeSymbol("||");
    case LogicOp::kXor:
      return lex_.consumeWord("xor") || lex_.consumeSymbol("^^");
    case LogicOp::kAnd:
      return lex_.consumeWord("and") || lex_.consumeSymbol("&&");
  }
  return false;
}

Parser::NodePtr Parser::parseLogic(LogicOp op) {
  size_t begin = (lex_.skipSpace(), lex_.pos());
  auto sub = [&]() -> NodePtr {
    if (op == LogicOp::kOr) return parseLogic(LogicOp::kXor);
    if (op == LogicOp::kXor) return parseLogic(LogicOp::kAnd);
    return parseUnary();
  };
  NodePtr first = sub();
  if (!first) return nullptr;
  if (!consumeLogic(op)) return first;
  auto n = makeNode(NodeKind::kLogical, begin);
  n->logic = op;
  n->type = Type::boolean();
  n->kids.push_back(checkLogicalOperand(std::move(first)));
  if (!n->kids.back()) return nullptr;
  do {
    NodePtr next = checkLogicalOperand(sub());
    if (!next) return nullptr;
    n->kids.push_back(std::move(next));
  } while (consumeLogic(op));
  finish(*n);
  return n;
}

Parser::NodePtr Parser::parseUnary() {
  size_t begin = (lex_.skipSpace(), lex_.pos());
  bool is_not = lex_.consumeWord("not");
  if (!is_not && lex_.peekChar() == '!' && text_.substr(lex_.pos(), 2) != "!=") {
    is_not = lex_.consumeSymbol("!");
  }
  if (!is_not) return parsePrimary();
  if (!enter(begin)) return nullptr;
  auto n = makeNode(NodeKind::kNot, begin);
  n->type = Type::boolean();
  NodePtr operand = checkLogicalOperand(parseUnary());
  leave();
  if (!operand) return nullptr;
  n->kids.push_back(std::move(operand));
  finish(*n);
  return n;
}

Parser::NodePtr Parser::parsePrimary() {
  size_t begin = (lex_.skipSpace(), lex_.pos());
  if (lex_.consumeSymbol("(")) {
    if (!enter(begin)) return nullptr;
    auto n = makeNode(NodeKind::kGroup, begin);
    NodePtr inner = parseOr();
    leave();
    if (!inner) return nullptr;
    if (!lex_.consumeSymbol(")")) {
      return fail(lex_.pos(), 1, R"x(expected one of ")", "and", "or", "xor")x");
    }
    n->type = inner->type;
    n->projected = inner->projected;
    n->kids.push_back(std::move(inner));
    finish(*n);
    return n;
  }
  NodePtr value = parseValue();
  if (!value) return nullptr;
  if (auto cmp = parseComparison(std::move(value))) return cmp;
  return nullptr;
}

Parser::NodePtr Parser::parseValue() {
  size_t begin = (lex_.skipSpace(), lex_.pos());
  std::string_view ident = lex_.peekIdent();
  if (ident.empty()) {
    return fail(begin, 1, R"(expected a field name, a function call, "not" or "(")");
  }
  NodePtr n;
  auto fn = findFunction(ident);
  lex_.setPos(begin + ident.size());
  if (fn && lex_.peekChar() == '(') {
    n = parseCall(*fn, std::string(ident), begin);
  } else if (const FieldDef* f = scheme_.find(ident)) {
    n = makeNode(NodeKind::kField, begin);
    n->name = f->name;
    n->field_id = f->id;
    n->type = f->type;
    finish(*n);
  } else if (fn) {
    return fail(lex_.pos(), 1, "expected \"(\" after function name " + std::string(ident));
  } else {
    return fail(begin, ident.size(), "unknown field \"" + std::string(ident) + "\"");
  }
  while (n && lex_.peekChar() == '[') n = parseIndex(std::move(n));
  return n;
}

Parser::NodePtr Parser::parseIndex(NodePtr base) {
  size_t at = lex_.pos();
  if (!enter(at)) return nullptr;
  lex_.consumeSymbol("[");
  const Type bt = base->type;
  NodePtr n;
  if (lex_.consumeSymbol("*")) {
    if (!bt.isContainer()) return fail(at, 1, "[*] needs an Array or a Map, got " + bt.toString());
    n = makeNode(NodeKind::kIndexAll, base->span.begin);
    n->projected = true;
  } else if (lex_.atString()) {
    auto key = lex_.readString();
    if (!key) return failLex();
    if (bt.kind() != Kind::kMap) {
      return fail(at, lex_.pos() - at, "a string index needs a Map, got " + bt.toString());
    }
    n = makeNode(NodeKind::kIndex, base->span.begin);
    n->literal.bytes = std::move(*key);
    n->projected = base->projected;
  } else {
    size_t p = (lex_.skipSpace(), lex_.pos());
    auto idx = lex_.readInt();
    if (!idx) return fail(p, 1, R"(expected one of "*", a string key or an array index)");
    if (bt.kind() != Kind::kArray) {
      return fail(p, lex_.pos() - p, "an integer index needs an Array, got " + bt.toString());
    }
    if (*idx < 0) return fail(p, lex_.pos() - p, "array index must not be negative");
    n = makeNode(NodeKind::kIndex, base->span.begin);
    n->literal.kind = Literal::Kind::kInt;
    n->literal.lo = n->literal.hi = *idx;
    n->projected = base->projected;
  }
  if (!lex_.consumeSymbol("]")) return fail(lex_.pos(), 1, "expected \"]\"");
  leave();
  n->type = bt.element();
  n->kids.push_back(std::move(base));
  finish(*n);
  return n;
}

Parser::NodePtr Parser::parseCallArg(FunctionId fn) {
  size_t begin = (lex_.skipSpace(), lex_.pos());
  if (fn == FunctionId::kAny || fn == FunctionId::kAll) {
    // A plain value argument (`any(x)`) goes straight to checkCall's type message; anything
    // else is a full logical expression.
    std::string_view ident = lex_.peekIdent();
    if (ident.empty() || ident == "not") return parseOr();
    size_t warnings = warnings_.size();
    NodePtr value = parseValue();
    if (!value) return nullptr;
    if (lex_.peekChar() == ')') return value;
    warnings_.resize(warnings);
    lex_.setPos(begin);
    return parseOr();
  }
  if (lex_.atString()) {
    auto s = lex_.readString();
    if (!s) return failLex();
    auto n = makeNode(NodeKind::kLiteral, begin);
    n->type = Type::bytes();
    n->literal.bytes = std::move(*s);
    finish(*n);
    return n;
  }
  char c = lex_.peekChar();
  if ((c >= '0' && c <= '9') || c == '-') {
    auto v = lex_.readInt();
    if (!v) return failLex();
    auto n = makeNode(NodeKind::kLiteral, begin);
    n->type = Type::integer();
    n->literal.kind = Literal::Kind::kInt;
    n->literal.lo = n->literal.hi = *v;
    finish(*n);
    return n;
  }
  return parseValue();
}

Parser::NodePtr Parser::parseCall(FunctionId fn, std::string name, size_t begin) {
  if (!enter(begin)) return nullptr;
  lex_.consumeSymbol("(");
  auto n = makeNode(NodeKind::kCall, begin);
  n->name = std::move(name);
  if (!lex_.consumeSymbol(")")) {
    do {
      NodePtr arg = parseCallArg(fn);
      if (!arg) return nullptr;
      n->kids.push_back(std::move(arg));
    } while (lex_.consumeSymbol(","));
    if (!lex_.consumeSymbol(")")) return fail(lex_.pos(), 1, R"x(expected one of "," or ")")x");
  }
  leave();
  finish(*n);
  int bad_arg = -1;
  bool quirk = false;
  std::string err = checkCall(fn, *n, bad_arg, quirk);
  if (!err.empty()) {
    const Span s = bad_arg >= 0 ? n->kids[static_cast<size_t>(bad_arg)]->span : n->span;
    return fail(s.begin, s.end - s.begin, err);
  }
  if (quirk) {
    warn(*n, n->name +
                 "() expects an Array<Bool> in Cloudflare; with a Bool argument it is "
                 "that Bool (rewrite below)");
  }
  return n;
}

ParseOutput parseExpression(std::string_view text, const Scheme& scheme,
                            const ParserSettings& settings) {
  return Parser(text, scheme, settings).run();
}

Result<std::string> formatExpression(std::string_view text, const ParserSettings& settings) {
  Scheme scheme = Scheme::http();
  ParseOutput out = parseExpression(text, scheme, settings);
  if (!out.ok()) return Status::invalidArgument(out.error->render(text, "error"));
  return printExpression(*out.root);
}

}  // namespace shipgate::waf
