// Fuzz target: a raw HTTP request through the whole Firewall (request fields, cookie / query
// argument / header rate-limit keys, bot score, clearance cookie, rules, block and challenge
// responses). The first byte picks the client address.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "shipgate/common/clock.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/waf/request.h"

namespace {

constexpr std::string_view kConfig = R"yaml(
waf:
  challenge: {difficulty_bits: 4, secret: "fuzz-secret-0123456789"}
  body_bytes: 64
security_rules:
  - name: "Block malicious bots"
    expression: "(cf.bot_management.score lt 30)"
    action: log
  - name: "Rate limit API"
    expression: "(http.request.uri.path matches \"/api/.*\")"
    action: "rate_limit"
    rate_limit: "100req/min"
  - name: keyed
    expression: 'http.request.method ne ""'
    action: rate_limit
    ratelimit:
      characteristics: [ip.src, http.host, 'http.request.cookies["s"]',
                        'http.request.uri.args["k"]', 'http.request.headers["x-k"]']
      requests_per_period: 2
      period: 10s
  - name: login
    expression: 'http.request.uri.path eq "/login"'
    action: challenge
  - name: "Block SQL injection attempts"
    expression: "(any(http.request.uri.query contains {\"union select\" \"' or 1=1\" \"drop table\"}))"
    action: "block"
  - name: body
    expression: 'http.request.body.raw contains "evil" or any(http.request.headers.values[*] contains "x")'
    action: block
)yaml";

struct State {
  shipgate::SimulatedClock clock;
  std::shared_ptr<const shipgate::firewall::Firewall> fw;
  shipgate::firewall::Scratch scratch;
};

State* state() {
  static State* s = [] {
    auto* st = new State();
    auto loaded = shipgate::config::loadString(kConfig, "fuzz.yaml");
    if (!loaded.ok()) __builtin_trap();
    auto fw = shipgate::firewall::Firewall::build(*loaded.config, st->clock, nullptr);
    if (!fw.isOk()) __builtin_trap();
    st->fw = *fw;
    return st;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  State* s = state();
  static const char* kIps[] = {"192.0.2.1", "2001:db8::1", "not-an-ip", ""};
  std::string_view ip = kIps[data[0] % 4];
  auto parsed = shipgate::waf::parseRawHttpRequest(
      std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  if (!parsed.isOk()) return 0;
  const shipgate::waf::Request& r = (*parsed)->request();
  shipgate::firewall::RequestView v;
  v.method = r.method;
  v.target = r.target;
  v.headers = r.headers;
  v.client_ip = ip;
  v.tls = (data[0] & 4) != 0;
  v.body = r.body;
  v.body_size = r.body_size;
  shipgate::firewall::Decision d = s->fw->inspect(v, s->scratch);
  if (!d.respond()) s->fw->onResponse(v, 200, s->scratch);
  s->clock.advance(std::chrono::milliseconds(250));
  return 0;
}
