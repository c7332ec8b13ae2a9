#include "shipgate/http/message.h"

namespace shipgate::http {


std::string_view hostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t end = host.find(']');
    return end == std::string_view::npos ? host : host.substr(0, end + 1);
  }
  size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
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
