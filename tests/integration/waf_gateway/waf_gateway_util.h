// Helpers for the WAF-through-the-gateway tests: gateway configs around a coinestate-api
// upstream, the seed's security_rules block (read verbatim from the example config), a
// keep-alive client with browser-like or bot-like headers, /metrics and /proc readers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "../e2e/e2e_util.h"
#include "support/gateway_process.h"

namespace wafgw {

struct Ports {
  uint16_t http = testsupport::freePort();
  uint16_t admin = testsupport::freePort();
};

// The security_rules: block of examples/coinestate/shipgate.yaml, byte for byte.
std::string seedSecurityRules();
// The example's waf: normalisation.
inline constexpr const char* kSeedWaf =
    "waf:\n  normalize: [url_decode, lower, compress_whitespace, strip_comments]\n";

// server/listeners/admin + sites (api: /api/ -> app api, as in the example; everything else has no
// site, unless `frontend`: then the coinestate frontend is the static site for the rest) + app
// api on `upstream` (both slots), followed by `tail` (waf: and security_rules:).
std::string gatewayYaml(const Ports& p, const std::string& token, const std::string& upstream,
                        const std::string& tail, bool frontend = false);

// Headers a desktop Chrome sends on a navigation over plain HTTP (after Host).
testsupport::Headers browserHeaders();
// curl/8.x's headers.
testsupport::Headers curlHeaders();

// One keep-alive connection: GET target with Host: app.test first, then `headers`.
// Reconnects after a "Connection: close" response or a failure.
class Client {
 public:
  explicit Client(uint16_t port) : port_(port) {}
  testsupport::HttpResponse get(const std::string& target, const testsupport::Headers& headers);

 private:
  uint16_t port_;
  testsupport::RawHttpClient conn_;
};

// The value of the first sample of `metric` (exact name, with or without labels) in Prometheus
// text; -1 when absent.
double metricValue(const std::string& text, const std::string& metric);
// The gateway's rate limiter counts in windows of `period` aligned to CLOCK_MONOTONIC (shared by
// every process on the machine) and weighs the previous window by how much of it still overlaps
// the last minute, so a burst that straddles a boundary is legitimately allowed a little more.
// Sleeps, when needed, so that the next `burst` of time lies inside one window.
void waitUntilBurstFitsOneRateWindow(std::chrono::seconds period, std::chrono::seconds burst);
// VmRSS of pid in kB (0 when unreadable).
long rssKb(int pid);
// Runs `promtool check metrics` on text; "" when it passes, else its output.
std::string promtoolProblems(const testsupport::TempDir& dir, const std::string& text);

}  // namespace wafgw
