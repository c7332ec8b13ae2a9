#include "shipgate/health/parse.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "shipgate/http/url.h"

namespace shipgate::health {

Result<ParsedUrl> parseUrl(std::string_view url) {
  auto parsed = http::parseUrl(url);
  if (!parsed.isOk()) {
    return Status::invalidArgument("URL \"" + std::string(url) + "\": " + parsed.status().message());
  }
  ParsedUrl out;
  out.scheme = parsed->scheme;
  out.address.host = parsed->host;
  out.address.port = parsed->port;
  out.path = std::move(parsed->path_and_query);
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
