// Endpoint: one upstream address of one app slot, with its live state. The immutable part is built
// with each TrafficPlan; EndpointState is shared (shared_ptr, owned by HealthRegistry) so health,
// ejections and in-flight counts survive reloads and slot switches.
// Thread-safety: EndpointState is all atomics; any thread may read or update it.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "shipgate/config/config.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::traffic {

struct EndpointState {
  // Active health: true until EndpointHealth (rise/fall over check results) says otherwise.
  std::atomic<bool> active_healthy{true};
  // Passive outlier detection.
  std::atomic<int64_t> ejected_until_ms{0};   // Clock::now() in ms since the clock's epoch
  std::atomic<int32_t> ejections{0};          // how many times ejected (multiplies ejection time)
  std::atomic<int32_t> consecutive_5xx{0};
  std::atomic<int32_t> consecutive_gateway_failures{0};
  // Load.
  std::atomic<int32_t> in_flight{0};
  std::atomic<uint64_t> requests{0};
  // Last active check, for status output.
  std::atomic<int64_t> last_check_latency_us{-1};
  std::atomic<int64_t> last_check_wall_ms{0};
};

struct Endpoint {
  std::string key;                      // "app/slot/host:port", stable across reloads
  std::string app;
  Slot slot = Slot::kBlue;
  std::string region;                   // resolved ("default" when the config names none)
  config::HostPort address;
  int weight = 1;
  sockaddr_storage sockaddr{};          // resolved when the plan is built
  socklen_t sockaddr_len = 0;
  std::shared_ptr<EndpointState> state;
};

// What happened to a proxied request, for passive outlier detection.
enum class Outcome {
  kSuccess,         // any response below 500
  kHttp5xx,         // the upstream answered 5xx
  kConnectFailure,  // refused, unreachable, connect timeout
  kReset,           // reset or closed before a full response
  kTimeout,         // read timeout
};

}  // namespace shipgate::traffic
