// Smoke checks: the configured requests sent to each replica of the idle slot directly (not
// through the gateway), before any traffic goes there. Each answer is judged against the check's
// expected status, body substring and JSON pointer value; the evidence keeps the status and the
// first bytes of the body.
// Thread: pure function of its arguments plus the network; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shipgate/config/config.h"
#include "shipgate/release/release_config.h"

namespace shipgate::release {

struct SmokeOutcome {
  bool ok = true;
  std::string failure;     // "GET 127.0.0.1:9201/api/health: expected 200, got 503"
  nlohmann::json evidence = nlohmann::json::array();  // one object per request
};

// The first bytes of a body kept as evidence.
inline constexpr size_t kEvidenceBodyBytes = 256;

SmokeOutcome runSmokeChecks(const std::vector<SmokeCheck>& checks,
                            const std::vector<config::HostPort>& endpoints);

// Judges one answer (exposed for tests). Returns "" when it passes, else why not.
std::string judgeSmoke(const SmokeCheck& check, int status, const std::string& body);

}  // namespace shipgate::release
