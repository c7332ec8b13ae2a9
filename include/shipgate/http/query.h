// Query strings (the part of a request-target after '?', application/x-www-form-urlencoded as
// browsers produce it): one parser for the WAF's http.request.uri.args and the firewall's
// rate-limit keys. Views into the query; no allocation unless a decoded form is asked for.
// Thread-safe (no state).
//
// Rules: arguments are separated by '&' only (';' is data); empty arguments ("a=1&&b=2") are
// skipped; an argument without '=' has an empty value; the raw name and value are kept as sent.
// decodeQueryComponent() gives the decoded form: '+' is a space, percent-escapes decoded once,
// leniently (a stray '%' stays).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shipgate::http {

struct QueryArg {
  std::string_view name;   // raw
  std::string_view value;  // raw
};

// Takes the next argument from `rest` (consumed as it goes). False when none is left.
bool nextQueryArg(std::string_view& rest, QueryArg& out);

// The decoded form of a name or value ('+' -> ' ', %XX once); `in` itself when it holds
// neither, else a view of `scratch`.
std::string_view decodeQueryComponent(std::string_view in, std::string& scratch);

// The raw value of the first argument whose decoded name equals `name`.
std::optional<std::string_view> findQueryArg(std::string_view query, std::string_view name);

}  // namespace shipgate::http
