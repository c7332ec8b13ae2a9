// The typed syntax tree of one rule expression, produced by parseExpression() (parser.h) and
// consumed by the printer and the compiler. Nodes carry their result type and source span.
// Parentheses are kept (kGroup) so that printing reproduces the author's grouping.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shipgate/waf/value.h"

namespace shipgate::waf {

struct Span {
  uint32_t begin = 0;  // byte offset into the expression text
  uint32_t end = 0;    // one past the last byte
};

enum class CompareOp {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kContains,        // contains "lit"
  kContainsAny,     // contains {"a" "b"}: tolerated extension (warning), any of the literals
  kMatches,         // matches / ~ (RE2)
  kWildcard,        // wildcard "a*b" (case-insensitive, whole value)
  kStrictWildcard,  // strict wildcard "a*b" (case-sensitive, whole value)
  kIn,              // in {...}
  kInList,          // in $name
};

enum class LogicOp { kAnd, kXor, kOr };

struct Literal {
  enum class Kind { kBytes, kInt, kIntRange, kIp, kIpRange, kCidr };
  Kind kind = Kind::kBytes;
  std::string bytes;  // kBytes
  int64_t lo = 0;     // kInt (lo), kIntRange (lo..hi)
  int64_t hi = 0;
  IpAddr ip;       // kIp; kIpRange start; kCidr network address as written
  IpAddr ip_hi;    // kIpRange end
  int prefix = 0;  // kCidr prefix length
  bool operator==(const Literal&) const = default;
};

enum class NodeKind {
  kField,     // name = field name
  kLiteral,   // literal (a function argument)
  kIndex,     // kids[0][literal]: map key (kBytes) or array index (kInt)
  kIndexAll,  // kids[0][*]
  kCall,      // name(kids...)
  kCompare,   // kids[0] op literal / set / $name
  kNot,       // not kids[0]
  kLogical,   // kids[0] logic kids[1] logic ... (flattened, same operator)
  kGroup,     // ( kids[0] )
};

struct Node {
  NodeKind kind = NodeKind::kField;
  Type type;
  // True for a value under a [*] projection (an element of an array, evaluated per element) and
  // for a comparison on such a value (one Bool per element). Only any()/all() and functions
  // consume projected values.
  bool projected = false;
  Span span;
  std::string name;
  uint32_t field_id = 0;
  std::vector<std::unique_ptr<Node>> kids;
  CompareOp compare = CompareOp::kEq;
  LogicOp logic = LogicOp::kAnd;
  Literal literal;
  std::vector<Literal> set;
};

// A complete S-expression rendering of every semantic attribute (not the spans). Two trees are
// equal iff their dumps are equal; the round-trip tests rely on this.
std::string dumpAst(const Node& node);

// Ids of the fields the tree reads, sorted, without duplicates.
std::vector<uint32_t> fieldsUsed(const Node& node);

}  // namespace shipgate::waf
