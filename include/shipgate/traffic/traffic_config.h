// The traffic area's section of the config: `apps:` (slots, endpoints, regions, balancing,
// stickiness, active health and outlier settings) and `sites:` (host + path prefix -> a static
// release directory or an app). trafficSection() reads and validates both from the config file,
// after health's section (an app's health: block is read by health::readHealthCheck(), a site's
// static: block by staticsite::readStaticSite()); the seed's health_checks block (config-wide,
// config.h) gives each app region of the same name its default failover policy.
//
// Use: pass &trafficSection() to config::loadFile(); the settings land in
// Config::sections["traffic"] and trafficConfigOf() finds them there. TrafficPlan, TrafficControl
// and the gateway read them through trafficConfigOf().
// Thread: everything here is a pure function of its arguments; a TrafficConfig is immutable and
// shared read-only between the Config copies and the plans built from it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"
#include "shipgate/config/yaml.h"
#include "shipgate/health/health_config.h"
#include "shipgate/staticsite/static_site_config.h"

namespace shipgate::traffic {

enum class Slot { kBlue = 0, kGreen = 1 };
const char* slotName(Slot s);  // "blue", "green"

struct EndpointConfig {
  config::HostPort address;
  std::string region;  // "" = the app's default region
  int weight = 1;
  config::Location where;
};

struct SlotConfig {
  std::vector<EndpointConfig> endpoints;
};

struct RegionConfig {
  std::string name;  // e.g. us-east-1
  int priority = 0;  // 0 = highest; traffic spills to larger numbers
  // Unless the region sets failover_policy itself, the validator takes the policy of the
  // health_checks entry that names the same region (the seed's Route 53 block).
  config::FailoverPolicy failover = config::FailoverPolicy::kAutomatic;
  config::Location where;
};

struct OutlierConfig {
  bool enabled = true;
  int consecutive_5xx = 5;
  int consecutive_gateway_failures = 3;  // connect failures, resets, timeouts
  config::Millis base_ejection{30'000};  // multiplied by the number of ejections so far
  config::Millis max_ejection{300'000};
  int max_ejection_percent = 50;  // at least one endpoint may always be ejected
};

enum class Balance { kRoundRobin, kLeastRequest };

struct StickyConfig {
  bool enabled = false;
  std::string cookie = "sg_slot";
  int64_t ttl_s = 3600;
};

struct AppConfig {
  std::string name;
  Balance balance = Balance::kRoundRobin;
  Slot active_slot = Slot::kBlue;
  // Weighted split; when set, overrides active_slot. {blue, green}, each 0..100, sum > 0.
  std::optional<std::array<int, 2>> weights;
  StickyConfig sticky;
  std::array<SlotConfig, 2> slots;    // indexed by Slot
  std::vector<RegionConfig> regions;  // empty = one implicit region "default"
  // A region stays in use while at least this fraction of its endpoints is healthy
  // (Envoy: overprovisioning 1.4 => 1/1.4 ~ 0.72).
  double min_healthy_fraction = 0.72;
  std::optional<health::HealthCheckConfig> health;
  OutlierConfig outlier;
  config::Millis connect_timeout{2'000};
  config::Millis read_timeout{30'000};
  bool retry_idempotent = true;  // retry once on another endpoint on connect failure/reset
  bool pass_server_header = false;  // false: the upstream's Server header becomes shipgate's
  // The app has a `release:` block: the release controller fills its slots with the replicas of
  // the releases it runs, so a slot may have no hand-written endpoints.
  bool managed = false;
  config::Location where;
};

enum class SiteKind { kStatic, kApp };

struct SiteConfig {
  std::string name;
  std::vector<std::string> hosts;  // exact names and "*.suffix" wildcards; empty = any host
  std::string path_prefix = "/";
  bool redirect_https = false;         // plain-HTTP requests get 308 to https://host/path
  std::optional<uint16_t> https_port;  // port in the redirect when not 443
  SiteKind kind = SiteKind::kApp;
  staticsite::StaticSiteConfig static_site;  // kind == kStatic
  std::string app;                           // kind == kApp: name of an AppConfig
  config::Location where;
};

class TrafficConfig : public config::SectionSettings {
 public:
  std::vector<SiteConfig> sites;  // matched in order of specificity, see traffic/router.cc
  std::vector<AppConfig> apps;

  const AppConfig* findApp(const std::string& name) const;
};

// The key of Config::sections that holds the TrafficConfig.
inline constexpr std::string_view kTrafficSection = "traffic";

// Reads and validates `apps:` and `sites:` of `document` (with config.listeners and
// config.health_checks), reporting located errors and warnings. Returns null when the section has
// errors.
std::shared_ptr<const TrafficConfig> validateTrafficConfig(const config::Config& config,
                                                           const config::YNode& document,
                                                           config::Diagnostics& diags);

// The validator to give config::loadFile() (stateless; lives for the whole process).
const config::SectionValidator& trafficSection();

// The TrafficConfig the loader stored in `config`; an empty one for a Config loaded without
// trafficSection() or built by hand.
const TrafficConfig& trafficConfigOf(const config::Config& config);

// A TrafficConfig of `config` that a test may fill (replaces a shared one by a copy).
TrafficConfig& trafficConfigForTest(config::Config& config);

}  // namespace shipgate::traffic
