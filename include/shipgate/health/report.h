// The engine of `shipgate health`: run every configured check once, concurrently, and render the
// results as an aligned table or JSON.
//
// Rows cover (1) the app endpoints the caller passes (traffic::appTargets(config): every endpoint
// of every app with a `health` config, both slots; component "app <name>/<slot>"), (2) every
// component of healthConfigOf(config).checks, and (3) every endpoint URL of the seed's
// health_checks block not already present there as "health_checks.<name>" (health's section adds
// those): an http GET of the URL's path, https when the URL says so; component
// "health_checks.<name> (<region>)". An unparsable URL is a failed row saying why.
// Thread-safety: runAllChecks is reentrant; the render functions are pure.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/health/sink.h"

namespace shipgate::health {

struct CheckRow {
  std::string component;
  std::string target;
  std::string kind;  // http | tcp | postgres | jsonrpc | exec
  bool ok = false;
  std::chrono::microseconds latency{0};
  std::string detail;
};

// Blocks until every check finished (each bounded by its timeout); at most `parallelism` at once.
// `app_targets` are keyed "app/slot/host:port" (traffic::endpointKey).
std::vector<CheckRow> runAllChecks(const config::Config& config,
                                   const std::vector<HealthTarget>& app_targets = {},
                                   int parallelism = 16);

// COMPONENT  TARGET  RESULT  LATENCY  DETAIL, columns aligned, one row per check.
std::string renderTable(const std::vector<CheckRow>& rows);
// {"ok": all passed, "checks": [{"component", "target", "kind", "ok", "latency_ms", "detail"}]}
nlohmann::json renderJson(const std::vector<CheckRow>& rows);

bool allOk(const std::vector<CheckRow>& rows);

}  // namespace shipgate::health
