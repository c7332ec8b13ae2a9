#include "staticsite/content_meta.h"

#include <array>
#include <ctime>

#include "shipgate/common/strings.h"

namespace shipgate::staticsite {
namespace {

struct TypeEntry {
  std::string_view ext;
  std::string_view type;
};

constexpr std::array<TypeEntry, 21> kTypes{{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"svg", "image/svg+xml; charset=utf-8"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"xml", "application/xml; charset=utf-8"},
    {"pdf", "application/pdf"},
    {"webmanifest", "application/manifest+json; charset=utf-8"},
    {"woff", "font/woff"},
}};

bool looksLikeHash(std::string_view t) {
  if (t.size() < 8 || t.size() > 64) return false;
  bool all_hex = true, digit = false, upper = false, lower = false;
  for (char c : t) {
    bool is_digit = c >= '0' && c <= '9';
    bool is_lower = c >= 'a' && c <= 'z';
    bool is_upper = c >= 'A' && c <= 'Z';
    if (!is_digit && !is_lower && !is_upper && c != '_') return false;
    digit |= is_digit;
    lower |= is_lower;
    upper |= is_upper;
    if (!is_digit && !((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) all_hex = false;
  }
  if (all_hex && (digit || t.size() >= 10)) return true;
  return digit && upper && lower;
}

constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Reads exactly n digits at text[pos].
std::optional<int> readDigits(std::string_view text, size_t& pos, size_t n) {
  if (pos + n > text.size()) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view text, size_t& pos, std::string_view lit) {
  if (text.substr(pos, lit.size()) != lit) return false;
  pos += lit.size();
  return true;
}

std::optional<int> readMonth(std::string_view text, size_t& pos) {
  for (size_t m = 0; m < kMonths.size(); ++m) {
    if (text.substr(pos, 3) == kMonths[m]) {
      pos += 3;
      return static_cast<int>(m) + 1;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> readTime(std::string_view text, size_t& pos) {
  auto h = readDigits(text, pos, 2);
  if (!h || !expect(text, pos, ":")) return std::nullopt;
  auto mi = readDigits(text, pos, 2);
  if (!mi || !expect(text, pos, ":")) return std::nullopt;
  auto s = readDigits(text, pos, 2);
  if (!s || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  return *h * 3600 + *mi * 60 + *s;
}

std::optional<int64_t> combine(int64_t year, int month, int day, int64_t secs) {
  if (day < 1 || day > 31) return std::nullopt;
  return daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         secs;
}

}  // namespace

std::string_view extensionOf(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

std::string_view contentTypeFor(std::string_view file_name) {
  std::string_view ext = extensionOf(file_name);
  for (const auto& e : kTypes) {
    if (equalsIgnoreCase(ext, e.ext)) return e.type;
  }
  return "application/octet-stream";
}

std::string_view hashSegmentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  std::string_view stem = name.substr(0, dot);
  // Scan tokens of the stem, last first: hashes usually sit just before the extension.
  size_t end = stem.size();
  while (end > 0) {
    size_t sep = stem.find_last_of(".-", end - 1);
    size_t begin = sep == std::string_view::npos ? 0 : sep + 1;
    std::string_view token = stem.substr(begin, end - begin);
    if (looksLikeHash(token)) return token;
    if (sep == std::string_view::npos) break;
    end = sep;
  }
  return {};
}

std::string formatHttpDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[40];
  snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
           kDays[static_cast<size_t>(tm.tm_wday) % 7].data(), tm.tm_mday,
           kMonths[static_cast<size_t>(tm.tm_mon) % 12].data(), tm.tm_year + 1900, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<int64_t> parseHttpDate(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  size_t comma = text.find(',');
  size_t pos = 0;
  if (comma == 3) {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    pos = 4;
    if (!expect(text, pos, " ")) return std::nullopt;
    auto day = readDigits(text, pos, 2);
    if (!day || !expect(text, pos, " ")) return std::nullopt;
    auto month = readMonth(text, pos);
    if (!month || !expect(text, pos, " ")) return std::nullopt;
    auto year = readDigits(text, pos, 4);
    if (!year || !expect(text, pos, " ")) return std::nullopt;
    auto secs = readTime(text, pos);
    if (!secs || !expect(text, pos, " GMT") || pos != text.size()) return std::nullopt;
    return combine(*year, *month, *day, *secs);
  }
  if (comma != std::string_view::npos) {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    pos = comma + 1;
    if (!expect(text, pos, " ")) return std::nullopt;
    auto day = readDigits(text, pos, 2);
    if (!day || !expect(text, pos, "-")) return std::nullopt;
    auto month = readMonth(text, pos);
    if (!month || !expect(text, pos, "-")) return std::nullopt;
    auto year = readDigits(text, pos, 2);
    if (!year || !expect(text, pos, " ")) return std::nullopt;
    auto secs = readTime(text, pos);
    if (!secs || !expect(text, pos, " GMT") || pos != text.size()) return std::nullopt;
    return combine(*year < 70 ? 2000 + *year : 1900 + *year, *month, *day, *secs);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  pos = 3;
  if (text.size() < 24 || !expect(text, pos, " ")) return std::nullopt;
  auto month = readMonth(text, pos);
  if (!month || !expect(text, pos, " ")) return std::nullopt;
  if (pos < text.size() && text[pos] == ' ') ++pos;
  std::optional<int> day;
  if (pos + 1 < text.size() && text[pos + 1] == ' ') {
    day = readDigits(text, pos, 1);
  } else {
    day = readDigits(text, pos, 2);
  }
  if (!day || !expect(text, pos, " ")) return std::nullopt;
  auto secs = readTime(text, pos);
  if (!secs || !expect(text, pos, " ")) return std::nullopt;
  auto year = readDigits(text, pos, 4);
  if (!year || pos != text.size()) return std::nullopt;
  return combine(*year, *month, *day, *secs);
}

}  // namespace shipgate::staticsite
