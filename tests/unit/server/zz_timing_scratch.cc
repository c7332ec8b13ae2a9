#include <gtest/gtest.h>
#include <chrono>
#include "gateway_test_support.h"
using namespace shipgate; using namespace shipgate::server; using namespace shipgate::server::testing;
TEST(T, Timing) {
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  for (uint16_t port : {up.port(), h.port()}) {
    RawClient cl(port);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) { cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"); auto r = cl.read(); ASSERT_TRUE(r); }
    auto t1 = std::chrono::steady_clock::now();
    printf("port %d: %.1f ms\n", port, std::chrono::duration<double, std::milli>(t1-t0).count());
  }
}
