// The metric family names and label names shipgate's own code writes and reads: one place, so
// the writers (gateway, firewall, health layer) and the readers (windows.h, the release
// controller) cannot drift apart.
#pragma once

#include <string_view>

namespace shipgate::metrics::names {

// Per site/app/slot/region (recordRequest): counter by status class, latency histogram.
inline constexpr std::string_view kHttpRequests = "shipgate_http_requests_total";
inline constexpr std::string_view kHttpDuration = "shipgate_http_request_duration_seconds";
inline constexpr std::string_view kActiveConnections = "shipgate_active_connections";
inline constexpr std::string_view kUpstreamRetries = "shipgate_upstream_retries_total";
// The connection cap: new connections closed at once {reason: max_connections |
// max_connections_per_ip}, and open ones closed to make room {reason: idle | silent | partial}.
inline constexpr std::string_view kConnectionsRefused = "shipgate_connections_refused_total";
inline constexpr std::string_view kConnectionsReclaimed = "shipgate_connections_reclaimed_total";
// The client's side of an unfinished answer, never counted as an upstream failure: clients
// closed for not taking output within send_timeout {app}, proxied requests whose client went away
// (closed, reset or timed out) before the answer was read {app}.
inline constexpr std::string_view kClientSendTimeouts = "shipgate_client_send_timeouts_total";
inline constexpr std::string_view kProxyClientAborts = "shipgate_proxy_client_aborts_total";

// The firewall: per rule {rule, action} and per decision {action}.
inline constexpr std::string_view kWafRuleMatches = "shipgate_waf_rule_matches_total";
inline constexpr std::string_view kWafRuleEvaluations = "shipgate_waf_rule_evaluations_total";
inline constexpr std::string_view kWafRuleSeconds = "shipgate_waf_rule_evaluation_seconds_total";
inline constexpr std::string_view kWafRuleBlocked = "shipgate_waf_rule_blocked_requests_total";
inline constexpr std::string_view kWafDecisions = "shipgate_waf_decisions_total";
inline constexpr std::string_view kWafBlocked = "shipgate_waf_blocked_requests_total";

// TLS handshakes completed per listener, {listener, handshake="full"|"resumed"}.
inline constexpr std::string_view kTlsHandshakes = "shipgate_tls_handshakes_total";

// Endpoint health: {app, slot, endpoint, to} (recordHealthTransition).
inline constexpr std::string_view kHealthTransitions = "shipgate_endpoint_health_transitions_total";

// Series the registry refused at its cap.
inline constexpr std::string_view kSeriesOverflow = "shipgate_metrics_series_overflow_total";

}  // namespace shipgate::metrics::names
