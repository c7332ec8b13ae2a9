// Helpers for the firewall tests: configs from YAML (or the example), and requests as owned
// header lists turned into RequestViews.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/firewall/firewall_config.h"
#include "support/paths.h"

namespace shipgate::firewall::testing {

// The example config without its managed rules (waf.managed_rules.crs): these tests are about
// the seed's security_rules, the rate limits and the bot score (firewall_managed_test.cc tests
// the CRS, and the allocation-free pass below is the custom rules' own property).
inline std::shared_ptr<const config::Config> exampleConfig() {
  auto r = config::loadFile(testsupport::sourceDir() + "/examples/coinestate/shipgate.yaml");
  EXPECT_TRUE(r.ok()) << r.toString();
  if (!r.config) return nullptr;
  auto c = std::make_shared<config::Config>(*r.config);
  c->waf.crs.reset();
  c->sections.erase(std::string(kFirewallSection));
  return c;
}

inline std::shared_ptr<const config::Config> configFrom(const std::string& yaml) {
  auto r = config::loadString(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << r.toString();
  return r.config;
}

inline std::shared_ptr<const Firewall> buildOrDie(const config::Config& c, Clock& clock,
                                                  const Firewall* previous = nullptr) {
  auto fw = Firewall::build(c, clock, previous);
  EXPECT_TRUE(fw.isOk()) << fw.status().message();
  return fw.isOk() ? *fw : nullptr;
}

// The firewall of the example config / of `yaml`; null (with the load or build failure reported)
// when either fails.
inline std::shared_ptr<const Firewall> exampleFirewall(Clock& clock) {
  auto c = exampleConfig();
  return c ? buildOrDie(*c, clock) : nullptr;
}
inline std::shared_ptr<const Firewall> firewallFrom(const std::string& yaml, Clock& clock) {
  auto c = configFrom(yaml);
  return c ? buildOrDie(*c, clock) : nullptr;
}

inline const char* kChromeUa =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36";

// One request with its own storage.
struct TestRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string client_ip = "198.51.100.7";
  bool tls = true;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<waf::Header> views;

  // The header set Chrome 120 sends on https, in its order.
  static TestRequest chrome(std::string target) {
    TestRequest r;
    r.target = std::move(target);
    r.headers = {{"Host", "coinestate.example"},
                 {"sec-ch-ua", "\"Chromium\";v=\"120\", \"Google Chrome\";v=\"120\""},
                 {"sec-ch-ua-mobile", "?0"},
                 {"sec-ch-ua-platform", "\"Linux\""},
                 {"Upgrade-Insecure-Requests", "1"},
                 {"User-Agent", kChromeUa},
                 {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"},
                 {"Sec-Fetch-Site", "none"},
                 {"Sec-Fetch-Mode", "navigate"},
                 {"Sec-Fetch-Dest", "document"},
                 {"Accept-Encoding", "gzip, deflate, br"},
                 {"Accept-Language", "en-US,en;q=0.9"}};
    return r;
  }
  static TestRequest tool(std::string ua, std::string target) {
    TestRequest r;
    r.target = std::move(target);
    r.headers = {{"Host", "coinestate.example"}, {"User-Agent", std::move(ua)}, {"Accept", "*/*"}};
    return r;
  }

  RequestView view() {
    views.clear();
    for (const auto& [n, v] : headers) views.push_back({n, v});
    RequestView v;
    v.method = method;
    v.target = target;
    v.headers = views;
    v.client_ip = client_ip;
    v.tls = tls;
    v.request_id = "req-test";
    return v;
  }
};

}  // namespace shipgate::firewall::testing
