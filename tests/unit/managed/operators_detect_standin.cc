// Stand-in detectors for managed_operators_test while src/managed/detect_*.cc are placeholders
// (operators.cmake adds this file only then). They only let the wiring test link and run.
#include <string>
#include <string_view>

#include "shipgate/managed/detect.h"

namespace shipgate::managed {

bool detectSqli(std::string_view input, std::string* fingerprint) {
  bool hit = input.find("' or '") != std::string_view::npos ||
             input.find("UNION SELECT") != std::string_view::npos;
  if (fingerprint != nullptr) *fingerprint = hit ? "s&sos" : "";
  return hit;
}

bool detectXss(std::string_view input) { return input.find("<script") != std::string_view::npos; }

}  // namespace shipgate::managed
