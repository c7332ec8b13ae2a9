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
// The value of the first cookie `name` in the Cookie headers (http::findCookie rules), or nullopt.
std::optional<std::string_view> cookieValue(const RequestView& view, std::string_view name);
// The raw value of the first query argument whose decoded name is `name`, or nullopt.
std::optional<std::string_view> queryArg(std::string_view target, std::string_view name);
// The value of one rate-limit characteristic for this request; nullopt when missing. The path
// is the normalised one (RequestView::path) the request is routed and forwarded with.
std::optional<std::string_view> characteristicValue(const Characteristic& c,
                                                    const RequestView& view);

}  // namespace shipgate::firewall
