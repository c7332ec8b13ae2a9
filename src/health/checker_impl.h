// Private: the per-kind probes behind runCheck(). Each returns ok + detail; runCheck() measures
// the latency around it.
#pragma once

#include <chrono>
#include <string>

#include "shipgate/config/config.h"
#include "shipgate/health/checker.h"
#include "shipgate/health/health_config.h"

namespace shipgate::health::internal {

using config::Millis;

CheckResult checkHttp(const HealthCheckConfig& check, const config::HostPort& target);
CheckResult checkTcp(const HealthCheckConfig& check, const config::HostPort& target);
CheckResult checkPostgres(const HealthCheckConfig& check, const config::HostPort& target);
CheckResult checkJsonRpc(const HealthCheckConfig& check, const config::HostPort& target);
CheckResult checkExec(const HealthCheckConfig& check, const config::HostPort& target);

inline CheckResult fail(std::string detail) { return CheckResult{false, {}, std::move(detail)}; }
inline CheckResult pass(std::string detail) { return CheckResult{true, {}, std::move(detail)}; }

}  // namespace shipgate::health::internal
