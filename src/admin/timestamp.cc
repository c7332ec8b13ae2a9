#include "shipgate/admin/timestamp.h"

#include <cstdio>

namespace shipgate::admin {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned daysIn(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at text[pos].
bool digits(std::string_view text, size_t pos, size_t n, int64_t& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

Status bad(std::string_view text, const std::string& what) {
  return Status::invalidArgument("timestamp \"" + std::string(text.substr(0, 64)) + "\": " + what +
                                 " (expected RFC 3339, e.g. 2026-12-03T06:30:00Z)");
}

}  // namespace

Result<int64_t> parseRfc3339Millis(std::string_view text) {
  int64_t year, month, day, hour, minute, second;
  if (!digits(text, 0, 4, year) || text.size() < 5 || text[4] != '-' ||
      !digits(text, 5, 2, month) || text.size() < 8 || text[7] != '-' ||
      !digits(text, 8, 2, day)) {
    return bad(text, "the date must be YYYY-MM-DD");
  }
  if (text.size() < 11 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return bad(text, "a time must follow the date after 'T'");
  }
  if (!digits(text, 11, 2, hour) || text.size() < 14 || text[13] != ':' ||
      !digits(text, 14, 2, minute) || text.size() < 17 || text[16] != ':' ||
      !digits(text, 17, 2, second)) {
    return bad(text, "the time must be HH:MM:SS");
  }
  if (year < 1970) return bad(text, "the year must be 1970 or later");
  if (month < 1 || month > 12) return bad(text, "the month must be 01..12");
  if (day < 1 || day > daysIn(year, static_cast<unsigned>(month))) {
    return bad(text, "the day is not in that month");
  }
  if (hour > 23 || minute > 59 || second > 59) return bad(text, "the time is out of range");
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    size_t n = 0;
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 3) millis = millis * 10 + (text[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) return bad(text, "the fraction of a second must have 1..9 digits");
    for (size_t i = n; i < 3; ++i) millis *= 10;
  }
  if (pos >= text.size()) return bad(text, "the offset is missing (Z or +HH:MM)");
  int64_t offset_min = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int64_t oh, om;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad(text, "the offset must be Z or +HH:MM");
    }
    offset_min = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad(text, "the offset must be Z or +HH:MM");
  }
  if (pos != text.size()) return bad(text, "unexpected text after the offset");
  const int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  if (seconds < 0) return bad(text, "the time is before 1970-01-01T00:00:00Z");
  return seconds * 1000 + millis;
}

std::string formatRfc3339Millis(int64_t ms) {
  if (ms < 0) ms = 0;
  int64_t days = ms / 86400000, rest = ms % 86400000;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  char buf[40];
  int64_t sec = rest / 1000, millis = rest % 1000;
  if (millis == 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(sec / 3600),
                  static_cast<long long>(sec / 60 % 60), static_cast<long long>(sec % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(sec / 3600),
                  static_cast<long long>(sec / 60 % 60), static_cast<long long>(sec % 60),
                  static_cast<long long>(millis));
  }
  return buf;
}

}  // namespace shipgate::admin
