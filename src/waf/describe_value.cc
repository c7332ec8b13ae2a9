// describeValue: values rendered for log lines.
#include <string>

#include "shipgate/waf/filter.h"

namespace shipgate::waf {

namespace {

void appendBytes(std::string_view s, size_t max_bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t n = std::min(s.size(), max_bytes);
  for (size_t i = 0; i < n; ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (s[i] == '"' || s[i] == '\\') {
      out.push_back('\\');
      out.push_back(s[i]);
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(s[i]);
    }
  }
  out.push_back('"');
  if (s.size() > max_bytes) out += "...";
}

void append(const Value& v, size_t max_bytes, std::string& out, int depth) {
  constexpr uint32_t kMaxItems = 8;
  switch (v.tag) {
    case Value::Tag::kMissing:
      out += "<missing>";
      return;
    case Value::Tag::kBool:
      out += v.b ? "true" : "false";
      return;
    case Value::Tag::kInt:
      out += std::to_string(v.i);
      return;
    case Value::Tag::kIp:
      out += v.ip.toString();
      return;
    case Value::Tag::kBytes:
      appendBytes(v.s, max_bytes, out);
      return;
    case Value::Tag::kArray:
    case Value::Tag::kMap: {
      bool map = v.tag == Value::Tag::kMap;
      out.push_back(map ? '{' : '[');
      for (uint32_t i = 0; i < v.size && i < kMaxItems && depth < 4; ++i) {
        if (i) out += ", ";
        if (map) {
          appendBytes(v.keys[i], max_bytes, out);
          out += ": ";
        }
        append(v.items[i], max_bytes, out, depth + 1);
      }
      if (depth >= 4 && v.size > 0) {
        out += "...";
      } else if (v.size > kMaxItems) {
        out += ", ...";
      }
      out.push_back(map ? '}' : ']');
      return;
    }
  }
}

}  // namespace

std::string describeValue(const Value& v, size_t max_bytes) {
  std::string out;
  append(v, max_bytes, out, 0);
  return out;
}

}  // namespace shipgate::waf
