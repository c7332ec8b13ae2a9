#include "shipgate/metrics/sampler.h"

#include <algorithm>

namespace shipgate::metrics {

Sampler::Sampler(Windows& windows)
    : thread_(
          "sg-sampler",
          [&windows] {
            return std::clamp<Clock::time_point::duration>(windows.untilNextWindow(), Millis(1),
                                               Millis(1000));
          },
          [&windows] { windows.tick(); }) {}

Sampler::~Sampler() { stop(); }

void Sampler::start() { thread_.start(); }

void Sampler::stop() { thread_.stop(); }

void Sampler::wakeForTest() { thread_.wake(); }

}  // namespace shipgate::metrics
