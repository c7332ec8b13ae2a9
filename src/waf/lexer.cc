// Token scanning: strings (quoted and raw), integers, IP literals.
#include "lexer.h"

#include <cstdlib>

namespace shipgate::waf {

namespace {

bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.'; }
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::nullopt_t Lexer::fail(size_t offset, size_t length, std::string message) {
  error_.offset = static_cast<uint32_t>(offset);
  error_.length = static_cast<uint32_t>(length == 0 ? 1 : length);
  error_.message = std::move(message);
  return std::nullopt;
}

void Lexer::skipSpace() {
  while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                 text_[pos_] == '\r')) {
    ++pos_;
  }
}

char Lexer::peekChar() {
  skipSpace();
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

bool Lexer::consumeSymbol(std::string_view symbol) {
  skipSpace();
  if (text_.substr(pos_, symbol.size()) != symbol) return false;
  pos_ += symbol.size();
  return true;
}

std::string_view Lexer::peekIdent() {
  skipSpace();
  if (pos_ >= text_.size() || !isIdentStart(text_[pos_])) return {};
  size_t end = pos_ + 1;
  while (end < text_.size() && isIdentChar(text_[end])) ++end;
  return text_.substr(pos_, end - pos_);
}

bool Lexer::consumeWord(std::string_view w) {
  if (peekIdent() != w) return false;
  pos_ += w.size();
  return true;
}

bool Lexer::atString() {
  char c = peekChar();
  if (c == '"') return true;
  return c == 'r' && pos_ + 1 < text_.size() && (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '#');
}

std::optional<std::string> Lexer::readString() {
  skipSpace();
  size_t start = pos_;
  if (pos_ < text_.size() && text_[pos_] == 'r') {
    size_t p = pos_ + 1;
    size_t hashes = 0;
    while (p < text_.size() && text_[p] == '#') {
      ++hashes;
      ++p;
    }
    if (hashes > 255) return fail(start, p - start, "too many '#' in raw string (at most 255)");
    if (p >= text_.size() || text_[p] != '"') {
      return fail(p, 1, "expected '\"' to open the raw string");
    }
    std::string closing = "\"" + std::string(hashes, '#');
    size_t end = text_.find(closing, p + 1);
    if (end == std::string_view::npos) return fail(start, p + 1 - start, "unterminated raw string");
    std::string out(text_.substr(p + 1, end - p - 1));
    pos_ = end + closing.size();
    return out;
  }
  if (pos_ >= text_.size() || text_[pos_] != '"') {
    return fail(pos_, 1, "expected a string literal");
  }
  std::string out;
  size_t p = pos_ + 1;
  while (true) {
    if (p >= text_.size()) return fail(start, 1, "unterminated string");
    char c = text_[p];
    if (c == '"') break;
    if (c != '\\') {
      out.push_back(c);
      ++p;
      continue;
    }
    if (p + 1 >= text_.size()) return fail(start, 1, "unterminated string");
    char e = text_[p + 1];
    switch (e) {
      case '"':
        out.push_back('"');
        p += 2;
        break;
      case '\\':
        out.push_back('\\');
        p += 2;
        break;
      case 'n':
        out.push_back('\n');
        p += 2;
        break;
      case 'r':
        out.push_back('\r');
        p += 2;
        break;
      case 't':
        out.push_back('\t');
        p += 2;
        break;
      case 'x': {
        if (p + 3 >= text_.size() || hexValue(text_[p + 2]) < 0 || hexValue(text_[p + 3]) < 0) {
          return fail(p, 2, "\\x needs two hex digits");
        }
        out.push_back(static_cast<char>(hexValue(text_[p + 2]) * 16 + hexValue(text_[p + 3])));
        p += 4;
        break;
      }
      default:
        return fail(p, 2,
                    std::string("unknown escape \\") + e +
                        R"( (use \" \\ \n \r \t \xHH, or a raw string r"...")");
    }
  }
  pos_ = p + 1;
  return out;
}

std::optional<int64_t> Lexer::readInt() {
  skipSpace();
  size_t start = pos_;
  size_t p = pos_;
  bool negative = false;
  if (p < text_.size() && text_[p] == '-') {
    negative = true;
    ++p;
  }
  int base = 10;
  if (p + 1 < text_.size() && text_[p] == '0' && (text_[p + 1] == 'x' || text_[p + 1] == 'X')) {
    base = 16;
    p += 2;
  } else if (p + 1 < text_.size() && text_[p] == '0' && text_[p + 1] == 'o') {
    base = 8;
    p += 2;
  }
  size_t digits_start = p;
  unsigned __int128 value = 0;
  while (p < text_.size()) {
    int d = hexValue(text_[p]);
    if (d < 0 || d >= base) break;
    value = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (value > (static_cast<unsigned __int128>(1) << 63)) {
      return fail(start, p - start + 1, "integer out of range");
    }
    ++p;
  }
  if (p == digits_start) return fail(start, 1, "expected an integer");
  if (p < text_.size() && (isIdentChar(text_[p]) && text_[p] != '.')) {
    return fail(p, 1, "unexpected character in integer");
  }
  if (!negative && value > static_cast<unsigned __int128>(INT64_MAX)) {
    return fail(start, p - start, "integer out of range");
  }
  pos_ = p;
  return negative ? static_cast<int64_t>(-static_cast<__int128>(value))
                  : static_cast<int64_t>(value);
}

std::optional<Literal> Lexer::readIntOrRange() {
  size_t start = (skipSpace(), pos_);
  auto lo = readInt();
  if (!lo) return std::nullopt;
  Literal lit;
  lit.kind = Literal::Kind::kInt;
  lit.lo = lit.hi = *lo;
  if (text_.substr(pos_, 2) == "..") {
    pos_ += 2;
    auto hi = readInt();
    if (!hi) return std::nullopt;
    if (*hi < *lo) return fail(start, pos_ - start, "empty range: the end is below the start");
    lit.kind = Literal::Kind::kIntRange;
    lit.hi = *hi;
  }
  return lit;
}

std::optional<Literal> Lexer::readIpLiteral() {
  skipSpace();
  size_t start = pos_;
  auto scanIp = [&]() -> std::optional<IpAddr> {
    size_t s = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '.' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '.') break;
      if (hexValue(c) < 0 && c != '.' && c != ':') break;
      ++pos_;
    }
    if (pos_ == s) return fail(s, 1, "expected an IP address");
    auto ip = IpAddr::parse(text_.substr(s, pos_ - s));
    if (!ip)
      return fail(s, pos_ - s,
                  "invalid IP address \"" + std::string(text_.substr(s, pos_ - s)) + "\"");
    return ip;
  };
  auto lo = scanIp();
  if (!lo) return std::nullopt;
  Literal lit;
  lit.kind = Literal::Kind::kIp;
  lit.ip = *lo;
  if (pos_ < text_.size() && text_[pos_] == '/') {
    ++pos_;
    size_t s = pos_;
    int prefix = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9' && pos_ - s < 4) {
      prefix = prefix * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    int max = lo->v6 ? 128 : 32;
    if (pos_ == s || prefix > max) {
      return fail(s, pos_ - s + 1, "CIDR prefix length must be 0.." + std::to_string(max));
    }
    lit.kind = Literal::Kind::kCidr;
    lit.prefix = prefix;
  } else if (text_.substr(pos_, 2) == "..") {
    pos_ += 2;
    auto hi = scanIp();
    if (!hi) return std::nullopt;
    if (hi->v6 != lo->v6) return fail(start, pos_ - start, "IP range mixes IPv4 and IPv6");
    if (*hi < *lo) return fail(start, pos_ - start, "empty range: the end is below the start");
    lit.kind = Literal::Kind::kIpRange;
    lit.ip_hi = *hi;
  }
  return lit;
}

}  // namespace shipgate::waf
