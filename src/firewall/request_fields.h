// Private to the firewall: small lookups on a RequestView (headers, cookies, query arguments)
// for rate-limit keys and the clearance cookie. Views into the request; no allocation.
#pragma once

#include <optional>
#include <string_view>

#include "shipgate/common/strings.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/firewall/rule_specs.h"

namespace shipgate::firewall {

// First header `name` (case-insensitive), or nullopt.
std::optional<std::string_view> headerValue(const RequestView& view, std::string_view name);
// The value of cookie `name` in the Cookie headers, or nullopt.
std::optional<std::string_view> cookieValue(const RequestView& view, std::string_view name);
// The raw value of query argument `name` (first occurrence, not decoded), or nullopt.
std::optional<std::string_view> queryArg(std::string_view target, std::string_view name);
// The value of one rate-limit characteristic for this request; nullopt when missing.
std::optional<std::string_view> characteristicValue(const Characteristic& c,
                                                    const RequestView& view);

}  // namespace shipgate::firewall
