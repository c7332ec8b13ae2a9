// admin::Controller over real parts: a Gateway serving on loopback, real upstreams, the config
// file on disk, TrafficControl and the HealthMonitor (not started). A switch is a routing-overlay
// swap that does no DNS or TLS work, so it succeeds while the endpoints' names no longer resolve
// and the certificate files are gone; a reload rebuilds only the sections that changed.
#include "shipgate/admin/controller.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>

#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/health/health_config.h"
#include "shipgate/health/monitor.h"
#include "shipgate/traffic/endpoint_health.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/traffic_config.h"
#include "shipgate/traffic/traffic_control.h"
#include "snapshot.h"
#include "support/paths.h"
#include "unit/server/gateway_test_support.h"

namespace shipgate::admin {
namespace {

using server::testing::EchoUpstream;
using server::testing::RawClient;

// Names the test decides: a known name resolves to 127.0.0.1, a forgotten one does not.
class TestResolver final : public traffic::Resolver {
 public:
  void add(const std::string& host) {
    std::lock_guard<std::mutex> lock(mu_);
    hosts_.insert(host);
  }
  void forgetAll() {
    std::lock_guard<std::mutex> lock(mu_);
    hosts_.clear();
  }
  int lookups() const { return lookups_.load(); }
  Result<traffic::ResolvedAddress> resolve(const config::HostPort& address) const override {
    lookups_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    if (hosts_.count(address.host) == 0) {
      return Status::invalidArgument("cannot resolve " + address.toString() + ": unknown name");
    }
    traffic::ResolvedAddress out;
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.address);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin->sin_port = htons(address.port);
    out.length = sizeof(sockaddr_in);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string> hosts_;
  mutable std::atomic<int> lookups_{0};
};

struct FileOptions {
  std::string active_slot{};  // "" = none in the file
  std::string static_root{};  // static site root
  std::string bot_ua = "evilbot";
  bool tls = false;
};

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir.ok()) << dir.error();
    resolver.add("blue.internal");
    resolver.add("green.internal");
    site_a = dir.writeFile("site-a/index.html", "site a\n");
    site_b = dir.writeFile("site-b/index.html", "site b\n");
    ASSERT_FALSE(site_a.empty());
    ASSERT_FALSE(site_b.empty());
  }
  void TearDown() override {
    if (gateway) gateway->shutdown(Millis(0));
  }

  void makeCert() {
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-keyout " +
        dir.file("tls.key") + " -out " + dir.file("tls.crt") +
        " -subj '/CN=api.test' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  std::string yaml(const FileOptions& o) const {
    std::string y =
        "server: {workers: 1, allow_root: true}\nlisteners:\n"
        "  - {name: http, address: \"127.0.0.1:0\"}\n";
    if (o.tls) {
      y += "  - {name: https, address: \"127.0.0.1:0\", tls: [{cert: \"" + dir.file("tls.crt") +
           "\", key: \"" + dir.file("tls.key") + "\"}]}\n";
    }
    const std::string root = std::filesystem::path(o.static_root.empty() ? site_a : o.static_root)
                                 .parent_path()
                                 .string();
    y += "sites:\n  - {name: www, hosts: [www.test], static: {root: \"" + root +
         "\"}}\n"
         "  - {name: api, hosts: [api.test], app: api}\n"
         "apps:\n  api:\n";
    if (!o.active_slot.empty()) y += "    active_slot: " + o.active_slot + "\n";
    y += "    regions: {us-east-1: {priority: 0}, eu-west-1: {priority: 1, failover_policy: "
         "manual_approval}}\n"
         "    slots:\n"
         "      blue: [{address: \"blue.internal:" +
         std::to_string(blue.port()) +
         "\", region: us-east-1}]\n"
         "      green: [{address: \"green.internal:" +
         std::to_string(green.port()) +
         "\", region: us-east-1}]\n"
         "security_rules:\n"
         "  - name: Block bad bots\n"
         "    expression: 'http.user_agent contains \"" +
         o.bot_ua +
         "\"'\n"
         "    action: block\n";
    return y;
  }

  void writeFile(const FileOptions& o) {
    ASSERT_FALSE(dir.writeFile("shipgate.yaml", yaml(o)).empty());
  }

  void start(const FileOptions& o) {
    if (o.tls) makeCert();
    writeFile(o);
    config_path = dir.file("shipgate.yaml");
    config::LoadResult loaded = config::loadFile(
        config_path,
        {&health::healthSection(), &traffic::trafficSection(), &firewall::firewallSection()});
    ASSERT_TRUE(loaded.ok()) << (loaded.diagnostics.empty() ? ""
                                                            : loaded.diagnostics[0].toString());
    auto gw = server::Gateway::create(loaded.config, {metrics, registry, clock, &resolver});
    ASSERT_TRUE(gw.isOk()) << gw.status().toString();
    gateway = std::move(gw).value();
    ASSERT_TRUE(gateway->start().isOk());
    traffic = std::make_unique<traffic::TrafficControl>(registry, loaded.config);
    monitor.update(traffic::appTargets(*loaded.config));
    controller = std::make_unique<Controller>(config_path, *gateway, monitor, *traffic, registry);
  }

  uint16_t port(const std::string& name) const {
    for (auto& [n, p] : gateway->listenerPorts()) {
      if (n == name) return p;
    }
    return 0;
  }

  // The upstream that served one request for api.test ("" when it failed).
  std::string servedBy() {
    RawClient c(port("http"));
    if (!c.send("GET /x HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n")) return "";
    auto r = c.read();
    if (!r || r->status != 200) return r ? "status " + std::to_string(r->status) : "no answer";
    return r->header("x-upstream");
  }

  testsupport::TempDir dir{"sg-controller"};
  std::string site_a, site_b, config_path;
  EchoUpstream blue{"blue"}, green{"green"};
  TestResolver resolver;
  Clock& clock = RealClock::instance();
  metrics::Registry metrics;
  traffic::HealthRegistry registry{clock};
  traffic::EndpointHealth sink{registry, metrics};
  health::HealthMonitor monitor{sink, clock};
  std::unique_ptr<server::Gateway> gateway;
  std::unique_ptr<traffic::TrafficControl> traffic;
  std::unique_ptr<Controller> controller;
};

TEST_F(ControllerTest, SwitchSucceedsWhileNamesNoLongerResolveAndTheCertificateIsGone) {
  start({.tls = true});
  EXPECT_EQ(servedBy(), "blue");
  const int lookups = resolver.lookups();
  resolver.forgetAll();
  std::filesystem::remove(dir.file("tls.crt"));
  std::filesystem::remove(dir.file("tls.key"));

  ASSERT_TRUE(controller->switchSlot("api", traffic::Slot::kGreen).isOk());
  EXPECT_EQ(servedBy(), "green");
  EXPECT_EQ(resolver.lookups(), lookups) << "a switch must not resolve names";
  // Rollback, same conditions.
  ASSERT_TRUE(controller->switchSlot("api", traffic::Slot::kBlue).isOk());
  EXPECT_EQ(servedBy(), "blue");
  ASSERT_TRUE(controller->switchSlot("api", traffic::Slot::kGreen).isOk());

  // A reload of the unchanged file needs neither: the endpoints keep their addresses, the TLS
  // listener its loaded certificate, and the runtime switch stays.
  Status st = controller->reload();
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(resolver.lookups(), lookups);
  EXPECT_EQ(servedBy(), "green");
  EXPECT_TRUE(controller->status()["apps"][0]["switched_at_runtime"].get<bool>());
}

TEST_F(ControllerTest, ReloadReusesStaticSitesAndTheFirewallWhileTheirSectionsAreUnchanged) {
  start({});
  auto before = gateway->snapshot();
  ASSERT_EQ(before->static_sites.size(), 2u);
  ASSERT_TRUE(before->static_sites[0]);
  const staticsite::StaticSite* site = before->static_sites[0].get();
  const firewall::Firewall* fw = gateway->firewall().get();

  // Only the app's slot changes: the static site (warm cache) and the Firewall are kept.
  writeFile({.active_slot = "green"});
  ASSERT_TRUE(controller->reload().isOk());
  auto after = gateway->snapshot();
  EXPECT_NE(after.get(), before.get());
  EXPECT_EQ(after->static_sites[0].get(), site);
  EXPECT_EQ(gateway->firewall().get(), fw);
  EXPECT_EQ(servedBy(), "green");

  // A changed rule rebuilds the Firewall only; a changed root reopens the static site.
  writeFile({.active_slot = "green", .bot_ua = "otherbot"});
  ASSERT_TRUE(controller->reload().isOk());
  EXPECT_NE(gateway->firewall().get(), fw);
  EXPECT_EQ(gateway->snapshot()->static_sites[0].get(), site);
  writeFile({.active_slot = "green", .static_root = site_b, .bot_ua = "otherbot"});
  ASSERT_TRUE(controller->reload().isOk());
  EXPECT_NE(gateway->snapshot()->static_sites[0].get(), site);
}

TEST_F(ControllerTest, ARuntimeSwitchLastsUntilTheFileChangesThatAppsSlot) {
  start({});
  ASSERT_TRUE(controller->switchSlot("api", traffic::Slot::kGreen).isOk());
  ASSERT_TRUE(controller->reload().isOk());  // file unchanged: the switch stays
  EXPECT_EQ(servedBy(), "green");
  EXPECT_EQ(controller->status()["apps"][0]["active_slot"].get<std::string>(), "green");

  writeFile({.active_slot = "green"});  // the file now says green itself
  ASSERT_TRUE(controller->reload().isOk());
  EXPECT_FALSE(controller->status()["apps"][0]["switched_at_runtime"].get<bool>());
  writeFile({.active_slot = "blue"});  // and then blue: the earlier switch does not come back
  ASSERT_TRUE(controller->reload().isOk());
  EXPECT_EQ(servedBy(), "blue");
  EXPECT_EQ(controller->status()["apps"][0]["active_slot"].get<std::string>(), "blue");
}

TEST_F(ControllerTest, WeightsApprovalsAndRefusals) {
  start({});
  ASSERT_TRUE(controller->setWeights("api", 0, 100).isOk());
  EXPECT_EQ(servedBy(), "green");
  auto app = controller->status()["apps"][0];
  EXPECT_EQ(app["weights"]["blue"], 0);
  EXPECT_EQ(app["weights"]["green"], 100);
  EXPECT_TRUE(app["switched_at_runtime"].get<bool>());

  EXPECT_EQ(controller->setWeights("api", 101, 0).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(controller->setWeights("api", 0, 0).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(controller->setWeights("nope", 1, 1).code(), Status::Code::kNotFound);
  EXPECT_EQ(controller->switchSlot("nope", traffic::Slot::kBlue).code(), Status::Code::kNotFound);
  EXPECT_EQ(controller->approveFailover("api", "mars-1").code(), Status::Code::kNotFound);

  ASSERT_TRUE(controller->approveFailover("api", "eu-west-1").isOk());
  bool approved = false;
  const nlohmann::json status = controller->status();
  for (const auto& r : status["apps"][0]["regions"]) {
    if (r["name"].get<std::string>() == "eu-west-1") approved = r["approved"].get<bool>();
  }
  EXPECT_TRUE(approved) << status.dump();
  ASSERT_TRUE(controller->revokeFailover("api", "eu-west-1").isOk());
  EXPECT_FALSE(traffic->overlay()->approved("api", "eu-west-1"));
  const auto events = registry.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].message.find("approved"), std::string::npos);
  EXPECT_NE(events[1].message.find("revoked"), std::string::npos);
}

TEST_F(ControllerTest, ABadFileIsRefusedAndTheRuntimeStateStays) {
  start({});
  ASSERT_TRUE(controller->switchSlot("api", traffic::Slot::kGreen).isOk());
  ASSERT_FALSE(dir.writeFile("shipgate.yaml", "apps: [\n").empty());
  EXPECT_EQ(controller->reload().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(servedBy(), "green");
}

}  // namespace
}  // namespace shipgate::admin
