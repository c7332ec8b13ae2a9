// Fuzzes cluster::parseServedState (what a follower reads from the shared store's
// "cluster_served" key) with the whole input as the JSON text. Invariants: it never crashes;
// whatever it accepts survives servedStateToJson and parses back to the same state.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shipgate/cluster/shared_gateway.h"

namespace {

bool same(const shipgate::cluster::ServedState& a, const shipgate::cluster::ServedState& b) {
  if (a.static_roots != b.static_roots || a.slots.size() != b.slots.size()) return false;
  for (const auto& [key, eps] : a.slots) {
    auto it = b.slots.find(key);
    if (it == b.slots.end() || it->second.size() != eps.size()) return false;
    for (size_t i = 0; i < eps.size(); ++i) {
      if (eps[i].host != it->second[i].host || eps[i].port != it->second[i].port) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = shipgate::cluster::parseServedState(text);
  if (!parsed) return 0;
  const std::string again = shipgate::cluster::servedStateToJson(*parsed);
  auto reparsed = shipgate::cluster::parseServedState(again);
  if (!reparsed || !same(*parsed, *reparsed)) {
    fprintf(stderr, "cluster_served_fuzz: the round trip changed the state\ninput: %s\nagain: %s\n",
            text.c_str(), again.c_str());
    abort();
  }
  return 0;
}
