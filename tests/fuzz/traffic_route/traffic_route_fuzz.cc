// Fuzzes TrafficPlan::route with untrusted Host headers and request paths (input: host, a NUL
// byte, then the path), over a fixed plan with exact, wildcard and host-less sites.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "shipgate/common/clock.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/plan.h"

namespace {

using namespace shipgate;

traffic::SiteConfig site(const char* name, std::vector<std::string> hosts, const char* prefix) {
  traffic::SiteConfig s;
  s.name = name;
  s.kind = traffic::SiteKind::kStatic;
  s.hosts = std::move(hosts);
  s.path_prefix = prefix;
  return s;
}

const traffic::TrafficPlan& plan() {
  static SimulatedClock clock;
  static traffic::HealthRegistry registry(clock);
  static std::shared_ptr<const traffic::TrafficPlan> p = [] {
    auto cfg = std::make_shared<config::Config>();
    traffic::trafficConfigForTest(*cfg).sites.push_back(
        site("exact", {"example.com", "WWW.Example.com:8080"}, "/"));
    traffic::trafficConfigForTest(*cfg).sites.push_back(site("api", {"example.com"}, "/api"));
    traffic::trafficConfigForTest(*cfg).sites.push_back(site("wild", {"*.example.com"}, "/"));
    traffic::trafficConfigForTest(*cfg).sites.push_back(site("deep", {"*.eu.example.com"}, "/x/"));
    traffic::trafficConfigForTest(*cfg).sites.push_back(site("v6", {"[::1]"}, "/"));
    traffic::trafficConfigForTest(*cfg).sites.push_back(site("any", {}, "/healthz"));
    auto built = traffic::TrafficPlan::build(cfg, registry);
    if (!built.isOk()) __builtin_trap();
    return built.value();
  }();
  return *p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  std::string_view host = input.substr(0, nul);
  std::string_view path = nul == std::string_view::npos ? "/" : input.substr(nul + 1);
  auto m = plan().route(host, path);
  if (m) {
    // A match names a real site of this plan, consistent with its index.
    if (m->site_index < 0 ||
        m->site_index >= static_cast<int>(plan().trafficConfig().sites.size()) ||
        m->site != &plan().trafficConfig().sites[m->site_index] || m->app_index != -1) {
      __builtin_trap();
    }
  }
  return 0;
}
