// Private helpers of the report readers.
#pragma once

#include <nlohmann/json.hpp>
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

// Parses JSON without letting an exception out; the error names the byte offset.
inline Result<nlohmann::json> parseJson(std::string_view text, const std::string& name) {
  if (text.size() > kMaxReportBytes) return detail::tooLarge(name, text.size());
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return bad(name, "not valid JSON at byte " + std::to_string(e.byte) + " (line " +
                         std::to_string(detail::lineOf(text, e.byte > 0 ? e.byte - 1 : 0)) + ")");
  } catch (const std::exception& e) {
    return bad(name, std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace shipgate::gates::detail
