// Active health checks: one blocking probe of one target, for the kinds of
// HealthCheckConfig (http, tcp, postgres, jsonrpc, exec).
//
// runCheck() never throws and returns within roughly check.timeout (jsonrpc peers are queried in
// parallel under the same timeout; exec children are killed when it expires). Latency is measured
// on the steady clock: these are real network round trips. Thread-safety: runCheck may be called
// from any number of threads at once.
#pragma once

#include <chrono>
#include <string>

#include "shipgate/config/config.h"
#include "shipgate/health/health_config.h"

namespace shipgate::health {

struct CheckResult {
  bool ok = false;
  std::chrono::microseconds latency{0};
  std::string detail;  // one line: what was seen ("HTTP 200", "block 120, best peer 130", ...)
};

// http:     GET check.path (https when check.tls); ok when the status is in expect_status (or 2xx
//           when empty) and the body contains expect_body. Host header: check.host_header or the
//           target host.
// tcp:      connect() succeeds.
// postgres: a startup handshake with libpq's PQpingParams (like pg_isready) as check.pg_user to
//           check.pg_database; "accepting connections" and "rejecting connections" both mean the
//           server is up (as pg_isready counts them) and the detail says which.
// jsonrpc:  POST eth_blockNumber (to check.path unless it is the default "/health", else "/");
//           with check.peers, also asks each peer and fails when this node is more than
//           max_lag_blocks behind the best answer.
// exec:     runs check.command (argv; target exported as SHIPGATE_CHECK_HOST / _PORT), exit 0 =
//           ok; killed when the timeout expires; detail = first line of its output.
CheckResult runCheck(const HealthCheckConfig& check, const config::HostPort& target);

}  // namespace shipgate::health
