#include "shipgate/http/query.h"

#include "shipgate/http/percent.h"

namespace shipgate::http {

bool nextQueryArg(std::string_view& rest, QueryArg& out) {
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    out.name = part.substr(0, eq);
    out.value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    return true;
  }
  return false;
}

std::string_view decodeQueryComponent(std::string_view in, std::string& scratch) {
  return decodedView(in, scratch, kPlusAsSpace);
}

std::optional<std::string_view> findQueryArg(std::string_view query, std::string_view name) {
  QueryArg a;
  std::string scratch;
  while (nextQueryArg(query, a)) {
    if (decodeQueryComponent(a.name, scratch) == name) return a.value;
  }
  return std::nullopt;
}

}  // namespace shipgate::http
