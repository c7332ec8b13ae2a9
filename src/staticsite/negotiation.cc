#include "shipgate/common/strings.h"
#include "staticsite/negotiation.h"

#include <cctype>
#include <limits>
#include <optional>

namespace shipgate::staticsite {
namespace {

// Visits comma-separated list elements (ignoring empty ones) until fn returns true.
template <typename Fn>
bool anyListElement(std::string_view list, Fn fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trimOws(list.substr(0, comma));
    if (!item.empty() && fn(item)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view stripWeak(std::string_view tag) {
  if (tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/') tag.remove_prefix(2);
  return tag;
}

// Non-negative decimal that fits off_t; nullopt on anything else.
std::optional<off_t> parseOffset(std::string_view s) {
  if (s.empty()) return std::nullopt;
  off_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (std::numeric_limits<off_t>::max() - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// q-value per RFC 9110 12.4.2: 0, 1, or 0.ddd; returns nullopt on malformed.
std::optional<double> parseQ(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  if (s[0] != '0' && s[0] != '1') return std::nullopt;
  double v = s[0] - '0';
  if (s.size() == 1) return v;
  if (s[1] != '.') return std::nullopt;
  double scale = 0.1;
  for (size_t i = 2; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v += (s[i] - '0') * scale;
    scale /= 10;
  }
  return v > 1.0 ? std::nullopt : std::optional<double>(v);
}

}  // namespace

bool ifNoneMatchMatches(std::string_view if_none_match, std::string_view etag) {
  std::string_view value = trimOws(if_none_match);
  if (value == "*") return true;
  std::string_view mine = stripWeak(etag);
  return anyListElement(value, [&](std::string_view tag) { return stripWeak(tag) == mine; });
}

bool ifRangeEtagMatches(std::string_view if_range, std::string_view etag) {
  std::string_view tag = trimOws(if_range);
  if (tag.size() < 2 || tag.front() != '"') return false;  // weak tags and dates never match here
  return tag == etag;
}

ByteRange parseRange(std::string_view range, off_t size) {
  ByteRange out;
  range = trimOws(range);
  constexpr std::string_view kUnit = "bytes=";
  if (range.size() < kUnit.size() || !equalsIgnoreCase(range.substr(0, kUnit.size()), kUnit)) {
    return out;
  }
  std::string_view spec = trimOws(range.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return out;  // several ranges: send it whole
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return out;
  std::string_view a = trimOws(spec.substr(0, dash));
  std::string_view b = trimOws(spec.substr(dash + 1));
  if (a.empty()) {
    auto suffix = parseOffset(b);
    if (!suffix) return out;
    if (*suffix == 0 || size == 0) {
      out.kind = ByteRange::Kind::kUnsatisfiable;
      return out;
    }
    out.kind = ByteRange::Kind::kSatisfiable;
    out.length = *suffix < size ? *suffix : size;
    out.first = size - out.length;
    return out;
  }
  auto first = parseOffset(a);
  if (!first) return out;
  std::optional<off_t> last;
  if (!b.empty()) {
    last = parseOffset(b);
    if (!last || *last < *first) return out;  // invalid range-spec: ignore the header
  }
  if (*first >= size) {
    out.kind = ByteRange::Kind::kUnsatisfiable;
    return out;
  }
  off_t end = last && *last < size - 1 ? *last : size - 1;
  out.kind = ByteRange::Kind::kSatisfiable;
  out.first = *first;
  out.length = end - *first + 1;
  return out;
}

Encoding chooseEncoding(std::string_view accept_encoding, bool have_br, bool have_gzip) {
  if (trimOws(accept_encoding).empty() || (!have_br && !have_gzip)) return Encoding::kIdentity;
  std::optional<double> q_br, q_gzip, q_identity, q_star;
  anyListElement(accept_encoding, [&](std::string_view item) {
    size_t semi = item.find(';');
    std::string_view coding = trimOws(item.substr(0, semi));
    double q = 1.0;
    while (semi != std::string_view::npos) {
      item.remove_prefix(semi + 1);
      semi = item.find(';');
      std::string_view param = trimOws(item.substr(0, semi));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        auto parsed = parseQ(trimOws(param.substr(2)));
        q = parsed ? *parsed : 0.0;  // a malformed q makes the coding unacceptable
      }
    }
    if (equalsIgnoreCase(coding, "br")) {
      q_br = q;
    } else if (equalsIgnoreCase(coding, "gzip") || equalsIgnoreCase(coding, "x-gzip")) {
      q_gzip = q;
    } else if (equalsIgnoreCase(coding, "identity")) {
      q_identity = q;
    } else if (coding == "*") {
      q_star = q;
    }
    return false;
  });
  double br = have_br ? q_br.value_or(q_star.value_or(0.0)) : 0.0;
  double gzip = have_gzip ? q_gzip.value_or(q_star.value_or(0.0)) : 0.0;
  // Identity is acceptable unless excluded explicitly or by "*;q=0" (RFC 9110 12.5.3).
  // Identity stays acceptable unless excluded ("identity;q=0", or "*;q=0" without an identity
  // entry); when not listed it ranks below every listed coding with a non-zero q.
  double identity = q_identity.value_or(q_star.value_or(0.001));
  if (br > 0 && br >= gzip && br >= identity) return Encoding::kBrotli;
  if (gzip > 0 && gzip >= identity) return Encoding::kGzip;
  return Encoding::kIdentity;
}

}  // namespace shipgate::staticsite
