// Private: the recursive-descent parser (parser.cc: logic, values, calls; parse_comparison.cc:
// comparisons and literals). Type-checks while parsing; the first error stops it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "functions.h"
#include "lexer.h"
#include "shipgate/waf/parser.h"

namespace shipgate::waf {

class Parser {
 public:
  Parser(std::string_view text, const Scheme& scheme, const ParserSettings& settings)
      : text_(text), lex_(text), scheme_(scheme), settings_(settings) {}

  ParseOutput run();

 private:
  using NodePtr = std::unique_ptr<Node>;

  std::nullptr_t fail(size_t offset, size_t length, std::string message) {
    if (!error_) {
      error_ = makeDiagnostic(text_, static_cast<uint32_t>(offset), static_cast<uint32_t>(length),
                              std::move(message));
    }
    return nullptr;
  }
  std::nullptr_t failLex() {
    const LexError& e = lex_.error();
    return fail(e.offset, e.length, e.message);
  }
  void warn(const Node& at, std::string message) {
    warnings_.push_back(
        makeDiagnostic(text_, at.span.begin, at.span.end - at.span.begin, std::move(message)));
  }
  bool enter(size_t at) {
    if (++depth_ > settings_.max_nesting_depth) {
      fail(at, 1, "nesting deeper than " + std::to_string(settings_.max_nesting_depth));
      return false;
    }
    return true;
  }
  NodePtr makeNode(NodeKind kind, size_t begin) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->span.begin = static_cast<uint32_t>(begin);
    return n;
  }
  void leave() { --depth_; }
  void finish(Node& n) { n.span.end = static_cast<uint32_t>(lex_.pos()); }
  NodePtr parseOr() { return parseLogic(LogicOp::kOr); }

  NodePtr checkLogicalOperand(NodePtr n);
  bool consumeLogic(LogicOp op);
  NodePtr parseLogic(LogicOp op);
  NodePtr parseUnary();
  NodePtr parsePrimary();
  NodePtr parseValue();
  NodePtr parseIndex(NodePtr base);
  NodePtr parseCallArg(FunctionId fn);
  NodePtr parseCall(FunctionId fn, std::string name, size_t begin);
  std::string describe(const Node& n);
  NodePtr parseComparison(NodePtr lhs);
  std::string expectedOps(const Node& lhs);
  std::optional<Literal> readTyped(Kind k);
  bool parseRhs(const Node& lhs, Node& n);
  bool checkRegex(const std::string& pattern, size_t at);
  bool parseSet(const Node& lhs, Node& n);

  std::string_view text_;
  Lexer lex_;
  const Scheme& scheme_;
  const ParserSettings& settings_;
  int depth_ = 0;
  std::optional<Diagnostic> error_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace shipgate::waf
