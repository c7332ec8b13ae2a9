// The upstream's Server header: hidden by default and replaced by shipgate's (as nginx's
// proxy_hide_header Server), passed through with apps.<app>.pass_server_header: true. Local
// answers name shipgate too.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "connections_util.h"
#include "support/gateway_process.h"
#include "support/net.h"

namespace conncap {
namespace {

using namespace std::chrono_literals;

TEST(ServerHeader, UpstreamsServerIsHiddenUnlessTheAppPassesIt) {
  Upstream named("upstream-x/1.2"), unnamed;
  uint16_t http = testsupport::freePort();
  auto app = [](const std::string& name, uint16_t port, bool pass) {
    return "  " + name + ":\n" + (pass ? "    pass_server_header: true\n" : "") +
           "    slots: {blue: [{address: \"127.0.0.1:" + std::to_string(port) + "\"}]}\n";
  };
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(
      "server: {workers: 1, allow_root: true}\n"
      "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
      "sites:\n"
      "  - {name: hidden, hosts: [hidden.test], app: hidden}\n"
      "  - {name: passed, hosts: [passed.test], app: passed}\n"
      "  - {name: none, hosts: [none.test], app: none}\n"
      "apps:\n" + app("hidden", named.port(), false) + app("passed", named.port(), true) +
          app("none", unnamed.port(), true),
      {http}));
  struct Case {
    const char* host;
    const char* server;
  } cases[] = {
      {"hidden.test", "shipgate"},      // default: the upstream's is replaced
      {"passed.test", "upstream-x/1.2"},  // pass_server_header: the upstream's, alone
      {"none.test", "shipgate"},        // passed, but the upstream sent none
      {"unknown.test", "shipgate"},     // a local answer (no site: 404)
  };
  for (const auto& c : cases) {
    auto r = testsupport::httpGet(http, "/", {{"Host", c.host}}, 5s);
    ASSERT_TRUE(r.ok()) << c.host << ": " << r.error;
    EXPECT_EQ(r.headerCount("Server"), 1U) << c.host << "\n" << r.raw;
    EXPECT_EQ(r.header("Server"), c.server) << c.host << "\n" << r.raw;
  }
}

}  // namespace
}  // namespace conncap
