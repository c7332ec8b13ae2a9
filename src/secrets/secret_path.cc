#include "shipgate/secrets/secret_path.h"

namespace shipgate::secrets {
namespace {

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

// The path as it may be quoted in a message: bounded, with control and non-ASCII bytes escaped.
std::string quoted(std::string_view text) {
  constexpr size_t kShown = 80;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (text.size() > kShown) out += "...";
  return out + "\"";
}

std::string describe(unsigned char c) {
  if (c >= 0x21 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 0xf];
}

}  // namespace

Result<SecretPath> SecretPath::parse(std::string_view text) { return parseImpl(text, false); }
Result<SecretPath> SecretPath::parsePrefix(std::string_view text) { return parseImpl(text, true); }

Result<SecretPath> SecretPath::parseImpl(std::string_view text, bool prefix) {
  const std::string what = std::string(prefix ? "secret prefix " : "secret path ") + quoted(text);
  if (text.empty()) return Status::invalidArgument(what + ": empty");
  if (text.size() > kMaxLength) {
    return Status::invalidArgument(what + ": " + std::to_string(text.size()) +
                                   " characters, more than the " + std::to_string(kMaxLength) +
                                   " allowed");
  }
  if (text[0] != '/') {
    return Status::invalidArgument(what + ": must start with '/' (e.g. /app/prod/database/url)");
  }
  if (prefix && text == "/") return SecretPath("/", 0);
  std::string_view body = text.substr(1);
  if (prefix && body.size() > 1 && body.back() == '/') body.remove_suffix(1);
  if (body.empty()) {
    return Status::invalidArgument(what + ": names no secret (a path has at least one segment)");
  }
  size_t depth = 0;
  size_t start = 0;  // offset in body
  while (true) {
    const size_t slash = body.find('/', start);
    const std::string_view seg = body.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    ++depth;
    const std::string where = what + ": segment " + std::to_string(depth) + " (at byte " +
                              std::to_string(start + 2) + ")";
    if (seg.empty()) {
      return Status::invalidArgument(where + " is empty" +
                                     (slash == std::string_view::npos
                                          ? std::string(" (a path does not end with '/')")
                                          : std::string(" ('//' is not allowed)")));
    }
    if (seg == "." || seg == "..") {
      return Status::invalidArgument(where + " is '" + std::string(seg) +
                                     "': relative segments are not allowed");
    }
    if (seg.size() > kMaxSegment) {
      return Status::invalidArgument(where + " has " + std::to_string(seg.size()) +
                                     " characters, more than the " + std::to_string(kMaxSegment) +
                                     " allowed");
    }
    for (size_t i = 0; i < seg.size(); ++i) {
      if (!allowed(seg[i])) {
        return Status::invalidArgument(
            where + " has " + describe(static_cast<unsigned char>(seg[i])) + " at byte " +
            std::to_string(start + 2 + i) + ": only letters, digits and _ - . are allowed");
      }
    }
    if (depth > kMaxDepth) {
      return Status::invalidArgument(what + ": more than " + std::to_string(kMaxDepth) +
                                     " segments");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return SecretPath("/" + std::string(body), depth);
}

bool SecretPath::isUnder(const SecretPath& prefix) const {
  if (prefix.isRoot()) return true;
  if (text_.size() < prefix.text_.size()) return false;
  if (text_.compare(0, prefix.text_.size(), prefix.text_) != 0) return false;
  return text_.size() == prefix.text_.size() || text_[prefix.text_.size()] == '/';
}

std::vector<std::string_view> SecretPath::segments() const {
  std::vector<std::string_view> out;
  std::string_view rest(text_);
  rest.remove_prefix(1);
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    out.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace shipgate::secrets
