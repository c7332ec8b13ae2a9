// The deploy's accessibility step (after smoke, before approval): the app's
// release.accessibility.url_paths loaded from the idle slot in headless Chromium with axe-core
// (gates::scanAccessibility) and judged against the WCAG wording (quality_gates.accessibility
// when it is one, else "WCAG 2.1 AA compliance"). A process release is scanned on its first
// replica's address (the one the smoke step sends requests to); a static release's directory is
// served read-only on a loopback address of its own for the scan, as the idle slot of a static
// site has no address until the switch.
// Thread: pure function of its arguments plus the network and the runner; any thread. Blocks
// for at most the configured timeout (plus the preview server's start and stop).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/release/release_config.h"

namespace shipgate::release {

struct AccessibilityOutcome {
  enum class Verdict { kSkipped, kPassed, kFailed };
  Verdict verdict = Verdict::kSkipped;
  std::string result;       // the step's one-line result: why skipped / "ok: ..." / why it failed
  nlohmann::json evidence;  // null when skipped
};

// The wording the scan is judged against: `quality_gates_wording` when it parses as a WCAG
// wording, else "WCAG 2.1 AA compliance".
std::string accessibilityWording(const std::string& quality_gates_wording);

// REQUIRES: scan.url_paths is not empty. `endpoints`: the idle slot's replicas (process
// releases); `static_root`: the new release's directory (static releases; then endpoints is
// ignored).
AccessibilityOutcome runAccessibilityStep(const AccessibilityScan& scan, const std::string& wording,
                                          const std::vector<config::HostPort>& endpoints,
                                          const std::string& static_root);

}  // namespace shipgate::release
