// Private helpers of the report readers.
#pragma once

#include <pugixml.hpp>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"
#include "shipgate/gates/reports.h"

namespace shipgate::gates::detail {

inline Status bad(const std::string& name, const std::string& what) {
  return Status::invalidArgument(name + ": " + what);
}

inline Status tooLarge(const std::string& name, size_t size) {
  return bad(name, "report is " + std::to_string(size) + " bytes, more than the limit of " +
                       std::to_string(kMaxReportBytes) + " bytes");
}

// A non-negative decimal integer, the whole of `s`.
inline bool parseCount(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0;
}

// 1-based line of byte offset `off` in `text`.
inline size_t lineOf(std::string_view text, size_t off) {
  size_t line = 1;
  for (size_t i = 0; i < off && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

inline Status xmlError(const std::string& name, std::string_view text,
                       const pugi::xml_parse_result& r) {
  return bad(name, "not well-formed XML at line " +
                       std::to_string(lineOf(text, static_cast<size_t>(r.offset))) + ": " +
                       r.description());
}

}  // namespace shipgate::gates::detail
