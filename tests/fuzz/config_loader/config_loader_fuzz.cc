// libFuzzer entry point for the config loader: arbitrary bytes through loadString() (with the
// health, traffic, firewall and gates section validators, as `shipgate check` loads) and the value parsers
// must never crash, hang or throw, and the result must be consistent (a config exactly when there
// is no error, every diagnostic located in a named file).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/gates/gates_config.h"
#include "shipgate/health/health_config.h"
#include "shipgate/traffic/traffic_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shipgate::config;
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const auto gates = shipgate::gates::gatesSection();
  LoadResult r =
      loadString(text, "fuzz.yaml",
                 {&shipgate::health::healthSection(), &shipgate::traffic::trafficSection(),
                  &shipgate::firewall::firewallSection(), gates.get()});
  if (r.ok() == r.hasErrors()) __builtin_trap();
  for (const auto& d : r.diagnostics) {
    if (d.where.file.empty() || d.message.empty()) __builtin_trap();
  }
  if (r.ok() && r.config->warnings.size() != r.diagnostics.size()) __builtin_trap();
  (void)r.toString();
  if (size < 256) {
    (void)parseDuration(text);
    (void)parseSize(text);
    (void)parseHostPort(text);
    (void)parseUrl(text);
  }
  return 0;
}
