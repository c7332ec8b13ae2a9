#include "shipgate/health/parse.h"

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace shipgate::health {

Result<ParsedUrl> parseUrl(std::string_view url) {
  ParsedUrl out;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos)
    return Status::invalidArgument("URL without scheme: " + std::string(url));
  for (char c : url.substr(0, sep)) {
    out.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.scheme != "http" && out.scheme != "https") {
    return Status::invalidArgument("unsupported URL scheme '" + out.scheme + "' (http or https)");
  }
  std::string_view rest = url.substr(sep + 3);
  const size_t frag = rest.find('#');
  if (frag != std::string_view::npos) rest = rest.substr(0, frag);
  const size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  if (path_at != std::string_view::npos) {
    out.path = std::string(rest.substr(path_at));
    if (out.path[0] == '?') out.path = "/" + out.path;
  }
  if (authority.find('@') != std::string_view::npos) {
    return Status::invalidArgument("URL with user info is not supported");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::invalidArgument("URL: unclosed '['");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::invalidArgument("URL: junk after ']'");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return Status::invalidArgument("URL without host: " + std::string(url));
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '[' || c == ']') {
      return Status::invalidArgument("URL: invalid host");
    }
  }
  out.address.host = std::string(host);
  if (port.empty()) {
    out.address.port = out.tls() ? 443 : 80;
  } else {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return Status::invalidArgument("URL: invalid port '" + std::string(port) + "'");
    }
    out.address.port = static_cast<uint16_t>(value);
  }
  return out;
}

Result<uint64_t> parseHexQuantity(std::string_view hex) {
  if (hex.size() < 3 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X')) {
    return Status::invalidArgument("not a hex quantity: '" + std::string(hex.substr(0, 40)) + "'");
  }
  std::string_view digits = hex.substr(2);
  if (digits.size() > 16) return Status::invalidArgument("hex quantity too large");
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return Status::invalidArgument("not a hex quantity: '" + std::string(hex.substr(0, 40)) + "'");
  }
  return value;
}

Result<uint64_t> parseBlockNumberResponse(std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::invalidArgument("response is not JSON");
  if (!doc.is_object()) return Status::invalidArgument("response is not a JSON object");
  auto err = doc.find("error");
  if (err != doc.end() && !err->is_null()) {
    std::string message = "JSON-RPC error";
    if (err->is_object()) {
      auto m = err->find("message");
      if (m != err->end() && m->is_string()) message += ": " + m->get<std::string>();
      auto c = err->find("code");
      if (c != err->end() && c->is_number_integer()) {
        message += " (code " + std::to_string(c->get<int64_t>()) + ")";
      }
    }
    return Status::unavailable(message);
  }
  auto result = doc.find("result");
  if (result == doc.end() || !result->is_string()) {
    return Status::invalidArgument("response has no string \"result\"");
  }
  return parseHexQuantity(result->get_ref<const std::string&>());
}

}  // namespace shipgate::health
