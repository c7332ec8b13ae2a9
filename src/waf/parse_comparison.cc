// The parser's comparisons: operators, right-hand literals, sets, regex and wildcard checks.
#include <re2/re2.h>

#include <algorithm>

#include "parser_impl.h"

namespace shipgate::waf {

namespace {

constexpr std::string_view kBytesOps =
    R"("eq", "ne", "lt", "le", "gt", "ge", "==", "!=", "<", "<=", ">", ">=", "contains", )"
    R"("matches", "~", "wildcard", "strict wildcard", "in")";
constexpr std::string_view kIntOps =
    R"("eq", "ne", "lt", "le", "gt", "ge", "==", "!=", "<", "<=", ">", ">=", "in")";
constexpr std::string_view kIpOps = R"("eq", "ne", "==", "!=", "in")";

}  // namespace

std::string Parser::describe(const Node& n) {
  return (n.kind == NodeKind::kField ? "field " : "") + printExpression(n);
}

Parser::NodePtr Parser::parseComparison(NodePtr lhs) {
  size_t at = (lex_.skipSpace(), lex_.pos());
  std::string_view w = lex_.peekIdent();
  CompareOp op{};
  bool found = true;
  if (w == "eq")
    op = CompareOp::kEq;
  else if (w == "ne")
    op = CompareOp::kNe;
  else if (w == "lt")
    op = CompareOp::kLt;
  else if (w == "le")
    op = CompareOp::kLe;
  else if (w == "gt")
    op = CompareOp::kGt;
  else if (w == "ge")
    op = CompareOp::kGe;
  else if (w == "contains")
    op = CompareOp::kContains;
  else if (w == "matches")
    op = CompareOp::kMatches;
  else if (w == "wildcard")
    op = CompareOp::kWildcard;
  else if (w == "strict")
    op = CompareOp::kStrictWildcard;
  else if (w == "in")
    op = CompareOp::kIn;
  else
    found = false;
  if (found) {
    lex_.setPos(at + w.size());
    if (op == CompareOp::kStrictWildcard && !lex_.consumeWord("wildcard")) {
      return fail(lex_.pos(), 1, "expected \"wildcard\" after \"strict\"");
    }
  } else if (lex_.consumeSymbol("==")) {
    op = CompareOp::kEq;
  } else if (lex_.consumeSymbol("!=")) {
    op = CompareOp::kNe;
  } else if (lex_.consumeSymbol("<=")) {
    op = CompareOp::kLe;
  } else if (lex_.consumeSymbol(">=")) {
    op = CompareOp::kGe;
  } else if (lex_.consumeSymbol("<")) {
    op = CompareOp::kLt;
  } else if (lex_.consumeSymbol(">")) {
    op = CompareOp::kGt;
  } else if (lex_.consumeSymbol("~")) {
    op = CompareOp::kMatches;
  } else {
    // A bare Bool; or an Array<Bool>, which only any()/all() accept (checked by the caller).
    if (lhs->type.kind() == Kind::kBool || lhs->type == *Type::arrayOf(Type::boolean())) {
      return lhs;
    }
    return fail(at, std::max<size_t>(1, w.size()), expectedOps(*lhs));
  }
  Kind k = lhs->type.kind();
  if (k == Kind::kBool || lhs->type.isContainer()) {
    return fail(at, lex_.pos() - at, expectedOps(*lhs));
  }
  bool ordering =
      op == CompareOp::kLt || op == CompareOp::kLe || op == CompareOp::kGt || op == CompareOp::kGe;
  bool bytes_only = op == CompareOp::kContains || op == CompareOp::kMatches ||
                    op == CompareOp::kWildcard || op == CompareOp::kStrictWildcard;
  if ((bytes_only && k != Kind::kBytes) || (ordering && k == Kind::kIp)) {
    return fail(at, lex_.pos() - at,
                "type mismatch: " + describe(*lhs) + " is " + lhs->type.toString() + "; " +
                    expectedOps(*lhs));
  }
  auto n = makeNode(NodeKind::kCompare, lhs->span.begin);
  n->compare = op;
  n->type = Type::boolean();
  n->projected = lhs->projected;
  if (op == CompareOp::kIn) {
    if (lex_.consumeSymbol("$")) {
      size_t p = lex_.pos();
      while (p < text_.size() && ((text_[p] >= 'a' && text_[p] <= 'z') ||
                                  (text_[p] >= '0' && text_[p] <= '9') || text_[p] == '_')) {
        ++p;
      }
      if (p == lex_.pos()) return fail(p, 1, "expected a list name ([a-z0-9_]) after \"$\"");
      n->compare = CompareOp::kInList;
      n->name = std::string(text_.substr(lex_.pos(), p - lex_.pos()));
      lex_.setPos(p);
    } else if (!parseSet(*lhs, *n)) {
      return nullptr;
    }
  } else if (op == CompareOp::kContains && lex_.peekChar() == '{') {
    n->compare = CompareOp::kContainsAny;
    if (!parseSet(*lhs, *n)) return nullptr;
  } else if (!parseRhs(*lhs, *n)) {
    return nullptr;
  }
  n->kids.push_back(std::move(lhs));
  finish(*n);
  if (n->compare == CompareOp::kContainsAny) {
    warn(*n,
         "\"contains {...}\" is not Cloudflare syntax; it matches when the value contains "
         "any of the strings (rewrite below)");
  }
  return n;
}

std::string Parser::expectedOps(const Node& lhs) {
  const Type& t = lhs.type;
  if (t.isContainer()) {
    return describe(lhs) + " is " + t.toString() +
           " and cannot be compared; index it ([0], [\"key\"]) or use [*] inside any()/all()";
  }
  switch (t.kind()) {
    case Kind::kBytes:
      return "expected one of " + std::string(kBytesOps) + " after " + describe(lhs);
    case Kind::kInt:
      return "expected one of " + std::string(kIntOps) + " after " + describe(lhs);
    case Kind::kIp:
      return "expected one of " + std::string(kIpOps) + " after " + describe(lhs);
    default:
      return describe(lhs) + " is a Bool: use it as is (no comparison), or with not/and/or";
  }
}

std::optional<Literal> Parser::readTyped(Kind k) {
  Literal lit;
  if (k == Kind::kBytes) {
    auto s = lex_.readString();
    if (!s) return std::nullopt;
    lit.bytes = std::move(*s);
    return lit;
  }
  if (k == Kind::kInt) return lex_.readIntOrRange();
  return lex_.readIpLiteral();
}

bool Parser::parseRhs(const Node& lhs, Node& n) {
  size_t at = (lex_.skipSpace(), lex_.pos());
  Kind k = lhs.type.kind();
  auto lit = readTyped(k);
  if (!lit) return failLex(), false;
  if (lit->kind == Literal::Kind::kIntRange || lit->kind == Literal::Kind::kIpRange ||
      lit->kind == Literal::Kind::kCidr) {
    return fail(at, lex_.pos() - at, "ranges and CIDRs need \"in {...}\""), false;
  }
  n.literal = std::move(*lit);
  if (n.compare == CompareOp::kMatches) return checkRegex(n.literal.bytes, at);
  if (n.compare == CompareOp::kWildcard || n.compare == CompareOp::kStrictWildcard) {
    const std::string& w = n.literal.bytes;
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] == '\\') {
        if (i + 1 >= w.size() || (w[i + 1] != '*' && w[i + 1] != '\\')) {
          return fail(at, lex_.pos() - at, R"(in a wildcard, '\' may only escape '*' or '\')"),
                 false;
        }
        ++i;
      } else if (w[i] == '*' && i + 1 < w.size() && w[i + 1] == '*') {
        return fail(at, lex_.pos() - at, "\"**\" is not allowed in a wildcard"), false;
      }
    }
  }
  return true;
}

bool Parser::checkRegex(const std::string& pattern, size_t at) {
  if (pattern.size() > settings_.max_regex_length) {
    return fail(at, lex_.pos() - at,
                "regex longer than " + std::to_string(settings_.max_regex_length) + " bytes"),
           false;
  }
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(settings_.max_regex_program_bytes);
  RE2 re(pattern, opts);
  if (!re.ok()) return fail(at, lex_.pos() - at, "invalid regex: " + re.error()), false;
  return true;
}

bool Parser::parseSet(const Node& lhs, Node& n) {
  size_t open = (lex_.skipSpace(), lex_.pos());
  if (!lex_.consumeSymbol("{")) return fail(open, 1, "expected \"{\" or \"$list\""), false;
  Kind k = n.compare == CompareOp::kContainsAny ? Kind::kBytes : lhs.type.kind();
  while (!lex_.consumeSymbol("}")) {
    if (lex_.atEnd()) return fail(open, 1, "unterminated set: expected \"}\""), false;
    auto lit = readTyped(k);
    if (!lit) return failLex(), false;
    n.set.push_back(std::move(*lit));
    if (n.set.size() > settings_.max_set_size) {
      return fail(open, lex_.pos() - open,
                  "set has more than " + std::to_string(settings_.max_set_size) + " elements"),
             false;
    }
  }
  if (n.set.empty()) return fail(open, lex_.pos() - open, "empty set"), false;
  return true;
}

}  // namespace shipgate::waf
