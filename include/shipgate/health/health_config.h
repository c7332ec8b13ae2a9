// The health area's section of the config: the settings of one active health check (the
// `health:` block of an app, and each entry of `checks:`), and the `checks:` section itself: the
// standalone components `shipgate health` checks, plus one http check per entry of the seed's
// health_checks block. healthSection() reads and validates `checks:` from the config file;
// readHealthCheck() is the reader of the check settings, which traffic/ uses for
// apps.<name>.health.
//
// Use: pass &healthSection() to config::loadFile() (before traffic's section); the settings land in
// Config::sections["health"] and healthConfigOf() finds them there.
// Thread: everything here is a pure function of its arguments; a HealthConfig is immutable and
// shared read-only between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"
#include "shipgate/config/yaml.h"

namespace shipgate::health {

enum class HealthKind { kHttp, kTcp, kPostgres, kJsonRpc, kExec };
const char* healthKindName(HealthKind k);  // "http", "tcp", "postgres", "jsonrpc", "exec"

struct HealthCheckConfig {
  HealthKind kind = HealthKind::kHttp;
  config::Millis interval{5'000};
  double jitter = 0.1;  // fraction of interval added at random
  config::Millis timeout{2'000};
  int rise = 2;  // consecutive passes to become healthy
  int fall = 3;  // consecutive failures to become unhealthy
  // http
  std::string path = "/health";
  std::string host_header;         // default: the endpoint's host
  bool tls = false;                // https:// target
  std::vector<int> expect_status;  // empty = any 2xx
  std::string expect_body;         // substring the body must contain ("" = no condition)
  // postgres: a real startup handshake, like pg_isready
  std::string pg_user = "postgres";
  std::string pg_database;
  // jsonrpc: eth_blockNumber; unhealthy when behind the best peer by more than max_lag_blocks
  std::vector<std::string> peers;  // URLs of other nodes to compare with
  int64_t max_lag_blocks = 5;
  // exec: exit status 0 = healthy
  std::vector<std::string> command;
};

// A standalone component checked by `shipgate health` (database, blockchain node, ...).
struct ComponentCheck {
  std::string name;
  std::string target;  // URL or host:port as written, for display
  config::HostPort address;
  HealthCheckConfig check;
  config::Location where;
};

class HealthConfig : public config::SectionSettings {
 public:
  // checks: as listed, then one http check per health_checks entry (named
  // "health_checks.<name>", target = its endpoint URL), so `shipgate health` runs them too.
  std::vector<ComponentCheck> checks;
};

// The key of Config::sections that holds the HealthConfig.
inline constexpr std::string_view kHealthSection = "health";

// Reads the health-check keys of `m` (kind, interval, timeout, jitter, rise, fall and the
// kind-specific ones) into `out`, reporting located errors; the caller may read its own keys from
// `m` too, and calls m.finish().
void readHealthCheck(config::MapView& m, HealthCheckConfig& out);

// Reads and validates `checks:` of `document` and the checks derived from config.health_checks.
// Returns null when the section has errors.
std::shared_ptr<const HealthConfig> validateHealthConfig(const config::Config& config,
                                                         const config::YNode& document,
                                                         config::Diagnostics& diags);

// The validator to give config::loadFile() (stateless; lives for the whole process).
const config::SectionValidator& healthSection();

// The HealthConfig the loader stored in `config`; an empty one for a Config loaded without
// healthSection() or built by hand.
const HealthConfig& healthConfigOf(const config::Config& config);

// A HealthConfig of `config` that a test may fill (replaces the stored one by a copy).
HealthConfig& healthConfigForTest(config::Config& config);

}  // namespace shipgate::health
