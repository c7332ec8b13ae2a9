// Fuzzes the Dockerfile parser (untrusted: whatever a repository holds) and the checks over what
// it accepts, and the OCI image config reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shipgate/policy/container_policy.h"
#include "shipgate/policy/dockerfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto df = shipgate::policy::parseDockerfile(input);
  if (df.isOk()) {
    // Invariants: at least one stage, lines increase and stay within the input's line count.
    if (df->stages.empty()) __builtin_trap();
    size_t last = 0;
    for (const auto& st : df->stages) {
      if (st.from_line <= last || st.from.image.empty()) __builtin_trap();
      last = st.from_line;
      for (const auto& in : st.instructions) {
        if (in.line <= last || in.keyword.empty()) __builtin_trap();
        last = in.line;
      }
    }
    if (last > size + 1) __builtin_trap();
    auto findings = shipgate::policy::checkDockerfile(*df, "f", {});
    (void)findings;
    (void)shipgate::policy::checkImageConfig(input, "i", &df.value(), "f", {});
  } else {
    (void)shipgate::policy::checkImageConfig(input, "i", nullptr, "f", {});
  }
  return 0;
}
