// Built-in functions: type rules and evaluation.
#include "functions.h"

#include <algorithm>
#include <charconv>

#include "text.h"

namespace shipgate::waf {

namespace {

struct Entry {
  std::string_view name;
  FunctionId id;
};
constexpr Entry kFunctions[] = {
    {"any", FunctionId::kAny},
    {"all", FunctionId::kAll},
    {"lower", FunctionId::kLower},
    {"upper", FunctionId::kUpper},
    {"len", FunctionId::kLen},
    {"starts_with", FunctionId::kStartsWith},
    {"ends_with", FunctionId::kEndsWith},
    {"concat", FunctionId::kConcat},
    {"substring", FunctionId::kSubstring},
    {"url_decode", FunctionId::kUrlDecode},
    {"to_string", FunctionId::kToString},
};

bool isLiteral(const Node& n, Literal::Kind kind) {
  return n.kind == NodeKind::kLiteral && n.literal.kind == kind;
}

std::string arity(const Node& call, size_t lo, size_t hi) {
  size_t n = call.kids.size();
  if (n >= lo && n <= hi) return {};
  std::string want =
      lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi);
  if (hi > 100) want = "at least " + std::to_string(lo);
  return call.name + "() takes " + want + " argument" + (hi == 1 ? "" : "s") + ", got " +
         std::to_string(n);
}

// Result type of a per-element function: `scalar`, or Array<scalar> when argument 0 is projected.
void setResult(Node& call, Type scalar) {
  call.projected = false;
  call.type = call.kids[0]->projected ? *Type::arrayOf(scalar) : scalar;
}

}  // namespace

std::optional<FunctionId> findFunction(std::string_view name) {
  for (const Entry& e : kFunctions) {
    if (e.name == name) return e.id;
  }
  return std::nullopt;
}

std::string checkCall(FunctionId id, Node& call, int& bad_arg, bool& quirk) {
  bad_arg = -1;
  quirk = false;
  auto& a = call.kids;
  const bool elementwise =
      id != FunctionId::kAny && id != FunctionId::kAll && id != FunctionId::kConcat;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i]->projected && (i > 0 || !elementwise)) {
      if (id == FunctionId::kAny || id == FunctionId::kAll) continue;
      bad_arg = static_cast<int>(i);
      return call.name + "() cannot take a [*] projection" +
             (elementwise ? " except as its first argument" : "");
    }
  }
  auto bad = [&](int i, std::string m) {
    bad_arg = i;
    return m;
  };
  auto want = [&](int i, const std::string& what) {
    return bad(i, call.name + "() argument " + std::to_string(i + 1) + " must be " + what +
                      ", got " + a[static_cast<size_t>(i)]->type.toString());
  };
  std::string e;
  switch (id) {
    case FunctionId::kAny:
    case FunctionId::kAll: {
      if (!(e = arity(call, 1, 1)).empty()) return e;
      const Type& t = a[0]->type;
      call.type = Type::boolean();
      call.projected = false;
      if (t.kind() == Kind::kBool) {
        quirk = !a[0]->projected;
        return {};
      }
      if (t == *Type::arrayOf(Type::boolean()) && !a[0]->projected) return {};
      return want(0, "Array<Bool> (for example x[*] contains \"a\")");
    }
    case FunctionId::kLower:
    case FunctionId::kUpper:
      if (!(e = arity(call, 1, 1)).empty()) return e;
      if (a[0]->type.kind() != Kind::kBytes) return want(0, "Bytes");
      setResult(call, Type::bytes());
      return {};
    case FunctionId::kLen: {
      if (!(e = arity(call, 1, 1)).empty()) return e;
      Kind k = a[0]->type.kind();
      if (k != Kind::kBytes && k != Kind::kArray && k != Kind::kMap) {
        return want(0, "Bytes, Array or Map");
      }
      setResult(call, Type::integer());
      return {};
    }
    case FunctionId::kStartsWith:
    case FunctionId::kEndsWith:
      if (!(e = arity(call, 2, 2)).empty()) return e;
      if (a[0]->type.kind() != Kind::kBytes) return want(0, "Bytes");
      if (!isLiteral(*a[1], Literal::Kind::kBytes)) return want(1, "a string literal");
      setResult(call, Type::boolean());
      return {};
    case FunctionId::kConcat: {
      if (!(e = arity(call, 2, 1000)).empty()) return e;
      Type t = a[0]->type;
      if (t.kind() != Kind::kBytes && t.kind() != Kind::kArray) return want(0, "Bytes or Array");
      for (size_t i = 1; i < a.size(); ++i) {
        if (!(a[i]->type == t)) return want(static_cast<int>(i), t.toString());
      }
      call.type = t;
      call.projected = false;
      return {};
    }
    case FunctionId::kSubstring:
      if (!(e = arity(call, 2, 3)).empty()) return e;
      if (a[0]->type.kind() != Kind::kBytes) return want(0, "Bytes");
      for (size_t i = 1; i < a.size(); ++i) {
        if (!isLiteral(*a[i], Literal::Kind::kInt)) {
          return want(static_cast<int>(i), "an integer literal");
        }
      }
      setResult(call, Type::bytes());
      return {};
    case FunctionId::kUrlDecode:
      if (!(e = arity(call, 1, 2)).empty()) return e;
      if (a[0]->type.kind() != Kind::kBytes) return want(0, "Bytes");
      if (a.size() == 2) {
        if (!isLiteral(*a[1], Literal::Kind::kBytes)) return want(1, "a string literal");
        for (char c : a[1]->literal.bytes) {
          if (c != 'r' && c != 'u') {
            return bad(1, "url_decode() options are \"r\" (recursive) and \"u\" (%uXXXX)");
          }
        }
      }
      setResult(call, Type::bytes());
      return {};
    case FunctionId::kToString: {
      if (!(e = arity(call, 1, 1)).empty()) return e;
      Kind k = a[0]->type.kind();
      if (k != Kind::kInt && k != Kind::kBool && k != Kind::kIp) return want(0, "Int, Bool or Ip");
      setResult(call, Type::bytes());
      return {};
    }
  }
  return "unknown function";
}

Value callScalar(FunctionId id, const Value* args, size_t n, EvalContext& ctx) {
  const Value& x = args[0];
  if (x.missing()) return Value();
  switch (id) {
    case FunctionId::kLower:
    case FunctionId::kUpper: {
      std::string& out = ctx.newString();
      out.assign(x.s);
      for (char& c : out) c = id == FunctionId::kLower ? asciiLower(c) : asciiUpper(c);
      return Value::ofBytes(out);
    }
    case FunctionId::kLen:
      return Value::ofInt(x.tag == Value::Tag::kBytes ? static_cast<int64_t>(x.s.size())
                                                      : static_cast<int64_t>(x.size));
    case FunctionId::kStartsWith:
      return Value::ofBool(x.s.substr(0, args[1].s.size()) == args[1].s);
    case FunctionId::kEndsWith:
      return Value::ofBool(x.s.size() >= args[1].s.size() &&
                           x.s.substr(x.s.size() - args[1].s.size()) == args[1].s);
    case FunctionId::kSubstring: {
      auto len = static_cast<int64_t>(x.s.size());
      int64_t start = args[1].i;
      int64_t end = n > 2 ? args[2].i : len;
      if (start < 0) start += len;
      if (end < 0) end += len;
      start = std::clamp<int64_t>(start, 0, len);
      end = std::clamp<int64_t>(end, 0, len);
      if (end <= start) return Value::ofBytes(std::string_view());
      return Value::ofBytes(
          x.s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)));
    }
    case FunctionId::kUrlDecode: {
      std::string_view opts = n > 1 ? args[1].s : std::string_view();
      bool recursive = opts.find('r') != std::string_view::npos;
      bool unicode = opts.find('u') != std::string_view::npos;
      std::string& out = ctx.newString();
      if (recursive) {
        urlDecodeRecursive(x.s, true, unicode, out);
      } else {
        urlDecodeOnce(x.s, true, unicode, out);
      }
      return Value::ofBytes(out);
    }
    case FunctionId::kToString: {
      if (x.tag == Value::Tag::kBool) return Value::ofBytes(x.b ? "true" : "false");
      if (x.tag == Value::Tag::kIp) return Value::ofBytes(ctx.keep(x.ip.toString()));
      char buf[24];
      auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), x.i);
      return Value::ofBytes(ctx.keep(std::string_view(buf, static_cast<size_t>(p - buf))));
    }
    case FunctionId::kAny:
    case FunctionId::kAll:
    case FunctionId::kConcat:
      break;  // not per-element; the compiler handles them
  }
  return Value();
}

}  // namespace shipgate::waf
