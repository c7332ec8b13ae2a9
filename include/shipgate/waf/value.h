// Types and runtime values of the rules language (Cloudflare's Rules language / wirefilter).
//
// Type: Bool, Int, Ip, Bytes, Array<T>, Map<T> (string keys). Value: one runtime value of any of
// those types, or "missing" (absent header, absent map key, out-of-range index, unset field).
// Values never own memory: Bytes are string_views into the Request or into the EvalContext's arena,
// arrays and maps point into the arena. A Value is valid until the EvalContext is reset.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shipgate::waf {

enum class Kind : uint8_t { kBool, kInt, kIp, kBytes, kArray, kMap };

// A (possibly nested) type. Nesting depth is bounded by kMaxDepth; the parser reports deeper
// nesting as an error. Cheap to copy, no allocation.
class Type {
 public:
  static constexpr int kMaxDepth = 8;
  Type() : Type(Kind::kBool) {}
  static Type boolean() { return Type(Kind::kBool); }
  static Type integer() { return Type(Kind::kInt); }
  static Type ip() { return Type(Kind::kIp); }
  static Type bytes() { return Type(Kind::kBytes); }
  // Nullopt when the result would nest deeper than kMaxDepth.
  static std::optional<Type> arrayOf(const Type& element);
  static std::optional<Type> mapOf(const Type& element);

  Kind kind() const { return kinds_[0]; }
  bool isContainer() const { return kind() == Kind::kArray || kind() == Kind::kMap; }
  // REQUIRES: isContainer().
  Type element() const;
  bool operator==(const Type& other) const;
  // "Bool", "Int", "Ip", "Bytes", "Array<Bytes>", "Map<Array<Bytes>>".
  std::string toString() const;

 private:
  explicit Type(Kind k) {
    kinds_[0] = k;
    depth_ = 1;
  }
  std::array<Kind, kMaxDepth> kinds_{};
  uint8_t depth_ = 1;
};

// An IPv4 or IPv6 address. IPv4 uses bytes[0..3]; the rest are zero.
struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  // Accepts dotted IPv4 and RFC 4291 IPv6 text. Nullopt on anything else.
  static std::optional<IpAddr> parse(std::string_view text);
  std::string toString() const;
  auto operator<=>(const IpAddr&) const = default;
  bool operator==(const IpAddr&) const = default;
};

// One runtime value. Plain data; see the file comment for lifetime.
struct Value {
  enum class Tag : uint8_t { kMissing, kBool, kInt, kIp, kBytes, kArray, kMap };
  Tag tag = Tag::kMissing;
  bool b = false;
  int64_t i = 0;
  IpAddr ip;
  std::string_view s;
  const Value* items = nullptr;            // kArray, kMap: the elements / map values
  const std::string_view* keys = nullptr;  // kMap: keys, parallel to items
  uint32_t size = 0;                       // kArray, kMap: element count

  bool missing() const { return tag == Tag::kMissing; }
  static Value ofBool(bool v) {
    Value r;
    r.tag = Tag::kBool;
    r.b = v;
    return r;
  }
  static Value ofInt(int64_t v) {
    Value r;
    r.tag = Tag::kInt;
    r.i = v;
    return r;
  }
  static Value ofIp(const IpAddr& v) {
    Value r;
    r.tag = Tag::kIp;
    r.ip = v;
    return r;
  }
  static Value ofBytes(std::string_view v) {
    Value r;
    r.tag = Tag::kBytes;
    r.s = v;
    return r;
  }
  static Value ofArray(const Value* items, uint32_t n) {
    Value r;
    r.tag = Tag::kArray;
    r.items = items;
    r.size = n;
    return r;
  }
  static Value ofMap(const std::string_view* keys, const Value* items, uint32_t n) {
    Value r;
    r.tag = Tag::kMap;
    r.keys = keys;
    r.items = items;
    r.size = n;
    return r;
  }
};

}  // namespace shipgate::waf
