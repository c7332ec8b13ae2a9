// The controller wired as `shipgate serve` wires it, with every part real: a Gateway serving on
// loopback, the HealthMonitor running real TCP checks, TrafficControl persisting its overlay in a
// SQLite state store, the ProcessSupervisor running runtime_replica processes. Real time, so only
// a development environment without bake or scale-down delay (nothing here measures speed).
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "shipgate/config/loader.h"
#include "shipgate/health/health_config.h"
#include "shipgate/health/monitor.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/metrics/windows.h"
#include "shipgate/release/controller.h"
#include "shipgate/release/live_gateway_control.h"
#include "shipgate/release/release_config.h"
#include "shipgate/release/store_adapters.h"
#include "shipgate/runtime/process_supervisor.h"
#include "shipgate/runtime/static_releases.h"
#include "shipgate/server/gateway.h"
#include "shipgate/store/sqlite_state_store.h"
#include "shipgate/traffic/endpoint_health.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/traffic_control.h"
#include "shipgate/watch/watch_config.h"
#include "support/paths.h"

namespace shipgate::release {
namespace {

std::string yaml(const std::string& state_dir) {
  return std::string(R"(
listeners:
  - {name: http, address: "127.0.0.1:0"}
state: {dir: )") + state_dir + R"(}
environments:
  development: {approval: none, bake: 0s, triggers: false, scale_down_delay: 0s}
sites:
  - {name: www, app: api}
apps:
  api:
    environment: development
    release:
      runtime:
        kind: process
        command: ")" + RUNTIME_REPLICA_BIN + R"( --port {port} --version {version} --replica {replica}"
        replicas: 2
        ports: "42300-42399"
        stop_grace: 2s
      smoke:
        - {path: /, expect_status: 200, expect_body: "version="}
      health_timeout: 20s
)";
}

std::string get(uint16_t port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(5));
  auto res = c.Get("/");
  if (!res) return "error: " + httplib::to_string(res.error());
  return std::to_string(res->status) + " " + res->body;
}

TEST(ReleaseLive, DeploysRealProcessesBehindTheGateway) {
  testsupport::TempDir dir("shipgate-release-live");
  ASSERT_TRUE(dir.ok());
  static const auto watch = watch::watchSection();
  static const auto release = releaseSection();
  auto loaded = config::loadString(yaml(dir.path() + "/state"), dir.path() + "/shipgate.yaml",
                                   {&health::healthSection(), &traffic::trafficSection(),
                                    watch.get(), release.get()});
  ASSERT_TRUE(loaded.ok()) << loaded.toString();
  auto cfg = loaded.config;
  const ReleaseConfig& rc = releaseConfigOf(*cfg);

  Clock& clock = RealClock::instance();
  auto opened = store::SqliteStateStore::open(rc.state_dir);
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  store::StateStore& state = **opened;
  metrics::Registry metrics;
  metrics::Windows telemetry(metrics, clock);
  traffic::HealthRegistry registry(clock);
  auto gateway = server::Gateway::create(cfg, {metrics, registry, clock});
  ASSERT_TRUE(gateway.isOk()) << gateway.status().toString();
  StoreRuntimeStateStore overlay_store(state, clock);
  traffic::TrafficControl traffic(registry, cfg, &overlay_store);
  traffic::EndpointHealth endpoint_health(registry, metrics);
  health::HealthMonitor monitor(endpoint_health, clock);
  monitor.update(traffic::appTargets(*cfg));
  runtime::ProcessSupervisor supervisor({rc.state_dir + "/logs"});
  runtime::StaticReleases statics(rc.state_dir + "/releases");
  SupervisorSlotRuntime slot_runtime(supervisor, statics);
  LiveGatewayControl live(cfg, **gateway, monitor, traffic);
  ControllerDeps deps{clock, state, live, slot_runtime, telemetry};
  deps.metrics = &metrics;
  auto controller = makeReleaseController(deps);
  monitor.start();
  ASSERT_TRUE((*gateway)->start().isOk());
  ASSERT_TRUE(controller->start().isOk());
  const uint16_t port = (*gateway)->listenerPorts().front().second;

  auto finish = [&](const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    std::string s;
    while (std::chrono::steady_clock::now() < deadline) {
      s = (*controller->deployment(id))["state"];
      if (s == "succeeded" || s == "failed" || s == "rolled_back") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return s;
  };
  auto v1 = controller->deploy({"api", "v1", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(v1.isOk()) << v1.status().toString();
  ASSERT_EQ(finish(*v1), "succeeded") << controller->deployment(*v1)->dump(2);
  EXPECT_NE(get(port).find("200 replica port="), std::string::npos);
  EXPECT_NE(get(port).find("version=v1"), std::string::npos) << get(port);

  auto v2 = controller->deploy({"api", "v2", "", "", "", 0, "alice", ""});
  ASSERT_TRUE(v2.isOk());
  ASSERT_EQ(finish(*v2), "succeeded") << controller->deployment(*v2)->dump(2);
  for (int i = 0; i < 4; ++i) EXPECT_NE(get(port).find("version=v2"), std::string::npos);
  // The health step saw both replicas pass their checks; smoke reached them directly.
  auto d = *controller->deployment(*v2);
  EXPECT_EQ(d["steps"][3]["evidence"]["endpoints"].size(), 2u);
  EXPECT_EQ(d["steps"][4]["evidence"]["requests"][0]["status"], 200);

  // A rollback to v1 through the procedure; v2's replicas stop after it.
  auto rb = controller->rollback({"api", std::string("v1"), "test", "carol", false});
  ASSERT_TRUE(rb.isOk()) << rb.status().toString();
  ASSERT_EQ(finish(*rb), "succeeded") << controller->deployment(*rb)->dump(2);
  EXPECT_NE(get(port).find("version=v1"), std::string::npos) << get(port);

  controller->stop();
  monitor.stop();
  supervisor.stopAll();
  (*gateway)->shutdown(std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace shipgate::release
