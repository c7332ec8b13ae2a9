#include "shipgate/http/message.h"

namespace shipgate::http {

static inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool hasToken(std::string_view value, std::string_view token) {
  size_t i = 0;
  while (i < value.size()) {
    size_t comma = value.find(',', i);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = value.substr(i, comma - i);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (equalsIgnoreCase(item, token)) return true;
    i = comma + 1;
  }
  return false;
}

std::string_view MessageHead::header(std::string_view name) const {
  for (const auto& f : headers_) {
    if (equalsIgnoreCase(span(f.name), name)) return span(f.value);
  }
  return {};
}

bool MessageHead::hasHeader(std::string_view name) const {
  for (const auto& f : headers_) {
    if (equalsIgnoreCase(span(f.name), name)) return true;
  }
  return false;
}

}  // namespace shipgate::http
