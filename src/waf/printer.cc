// Canonical printer, Cloudflare rewrite printer and the AST dump.
#include <re2/re2.h>

#include <algorithm>
#include <string>
#include <vector>

#include "shipgate/waf/ast.h"
#include "shipgate/waf/parser.h"

namespace shipgate::waf {

namespace {

std::string_view opText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "eq";
    case CompareOp::kNe:
      return "ne";
    case CompareOp::kLt:
      return "lt";
    case CompareOp::kLe:
      return "le";
    case CompareOp::kGt:
      return "gt";
    case CompareOp::kGe:
      return "ge";
    case CompareOp::kContains:
    case CompareOp::kContainsAny:
      return "contains";
    case CompareOp::kMatches:
      return "matches";
    case CompareOp::kWildcard:
      return "wildcard";
    case CompareOp::kStrictWildcard:
      return "strict wildcard";
    case CompareOp::kIn:
    case CompareOp::kInList:
      return "in";
  }
  return "?";
}

std::string_view logicText(LogicOp op) {
  switch (op) {
    case LogicOp::kAnd:
      return "and";
    case LogicOp::kXor:
      return "xor";
    case LogicOp::kOr:
      return "or";
  }
  return "?";
}

std::string quoteString(const std::string& s) {
  bool printable = true;
  bool needs_raw = false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) printable = false;
    if (c == '"' || c == '\\') needs_raw = true;
  }
  if (printable && needs_raw) {
    if (s.find('"') == std::string::npos) return "r\"" + s + "\"";
    for (size_t hashes = 1; hashes <= 255; ++hashes) {
      std::string close = "\"" + std::string(hashes, '#');
      if (s.find(close) == std::string::npos) {
        std::string out = "r" + std::string(hashes, '#');
        out += '"';
        out += s;
        out += close;
        return out;
      }
    }
  }
  std::string out = "\"";
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string literalText(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::kBytes:
      return quoteString(l.bytes);
    case Literal::Kind::kInt:
      return std::to_string(l.lo);
    case Literal::Kind::kIntRange:
      return std::to_string(l.lo) + ".." + std::to_string(l.hi);
    case Literal::Kind::kIp:
      return l.ip.toString();
    case Literal::Kind::kIpRange:
      return l.ip.toString() + ".." + l.ip_hi.toString();
    case Literal::Kind::kCidr:
      return l.ip.toString() + "/" + std::to_string(l.prefix);
  }
  return "?";
}

std::string setText(const std::vector<Literal>& set) {
  std::string out = "{";
  for (size_t i = 0; i < set.size(); ++i) {
    if (i) out.push_back(' ');
    out += literalText(set[i]);
  }
  return out + "}";
}

class Printer {
 public:
  explicit Printer(bool cloudflare) : cloudflare_(cloudflare) {}

  // `bare`: the node stands where parentheses already surround it (or at the top), so a rewrite
  // that needs grouping may omit its own.
  std::string print(const Node& n, bool bare) {
    switch (n.kind) {
      case NodeKind::kField:
        return n.name;
      case NodeKind::kLiteral:
        return literalText(n.literal);
      case NodeKind::kIndex:
        return print(*n.kids[0], false) + "[" + literalText(n.literal) + "]";
      case NodeKind::kIndexAll:
        return print(*n.kids[0], false) + "[*]";
      case NodeKind::kCall: {
        if (cloudflare_ && (n.name == "any" || n.name == "all") && !n.kids[0]->projected &&
            n.kids[0]->type.kind() == Kind::kBool) {
          const Node& arg = *n.kids[0];
          bool simple = arg.kind == NodeKind::kGroup || arg.kind == NodeKind::kCompare ||
                        arg.kind == NodeKind::kNot || arg.kind == NodeKind::kCall ||
                        arg.kind == NodeKind::kField || arg.kind == NodeKind::kIndex;
          if (simple || bare) return print(arg, bare);
          return "(" + print(arg, true) + ")";
        }
        std::string out = n.name + "(";
        for (size_t i = 0; i < n.kids.size(); ++i) {
          if (i) out += ", ";
          out += print(*n.kids[i], true);
        }
        return out + ")";
      }
      case NodeKind::kCompare: {
        std::string lhs = print(*n.kids[0], false);
        if (n.compare == CompareOp::kContainsAny) {
          if (!cloudflare_) return lhs + " contains " + setText(n.set);
          if (n.projected) {
            // Per element, so an "or" of comparisons is not available: one regex alternation.
            std::string alternation;
            for (size_t i = 0; i < n.set.size(); ++i) {
              alternation += (i ? "|" : "") + RE2::QuoteMeta(n.set[i].bytes);
            }
            return lhs + " matches " + quoteString(alternation);
          }
          std::string out;
          for (size_t i = 0; i < n.set.size(); ++i) {
            if (i) out += " or ";
            out += lhs + " contains " + literalText(n.set[i]);
          }
          return (bare || n.set.size() == 1) ? out : "(" + out + ")";
        }
        std::string out = lhs + " " + std::string(opText(n.compare)) + " ";
        if (n.compare == CompareOp::kIn) return out + setText(n.set);
        if (n.compare == CompareOp::kInList) return out + "$" + n.name;
        return out + literalText(n.literal);
      }
      case NodeKind::kNot:
        return "not " + print(*n.kids[0], false);
      case NodeKind::kLogical: {
        std::string out;
        for (size_t i = 0; i < n.kids.size(); ++i) {
          if (i) out += " " + std::string(logicText(n.logic)) + " ";
          out += print(*n.kids[i], false);
        }
        return out;
      }
      case NodeKind::kGroup:
        return "(" + print(*n.kids[0], true) + ")";
    }
    return "?";
  }

 private:
  bool cloudflare_;
};

}  // namespace

std::string printExpression(const Node& root) { return Printer(false).print(root, true); }
std::string printCloudflare(const Node& root) { return Printer(true).print(root, true); }

std::string dumpAst(const Node& n) {
  static constexpr const char* kKinds[] = {"field",   "literal", "index",   "index-all", "call",
                                           "compare", "not",     "logical", "group"};
  std::string out = "(";
  out += kKinds[static_cast<int>(n.kind)];
  out += " :type " + n.type.toString();
  if (n.projected) out += " :projected";
  if (!n.name.empty()) out += " :name " + n.name;
  if (n.kind == NodeKind::kField) out += " :id " + std::to_string(n.field_id);
  if (n.kind == NodeKind::kCompare) {
    out += " :op " + std::to_string(static_cast<int>(n.compare));
  }
  if (n.kind == NodeKind::kLogical) out += " :logic " + std::string(logicText(n.logic));
  if (n.kind == NodeKind::kLiteral || n.kind == NodeKind::kIndex ||
      (n.kind == NodeKind::kCompare && n.set.empty() && n.compare != CompareOp::kInList)) {
    out +=
        " :lit " + std::to_string(static_cast<int>(n.literal.kind)) + ":" + literalText(n.literal);
  }
  if (!n.set.empty()) out += " :set " + setText(n.set);
  for (const auto& k : n.kids) out += " " + dumpAst(*k);
  return out + ")";
}

namespace {
void collectFields(const Node& n, std::vector<uint32_t>& out) {
  if (n.kind == NodeKind::kField) out.push_back(n.field_id);
  for (const auto& k : n.kids) collectFields(*k, out);
}
}  // namespace

std::vector<uint32_t> fieldsUsed(const Node& node) {
  std::vector<uint32_t> out;
  collectFields(node, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace shipgate::waf
