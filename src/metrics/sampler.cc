#include "shipgate/metrics/sampler.h"

#include <algorithm>

namespace shipgate::metrics {

Sampler::Sampler(Windows& windows) : windows_(windows) {}

Sampler::~Sampler() { stop(); }

void Sampler::start() {
  {
    MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void Sampler::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notifyAll();
  if (thread_.joinable()) thread_.join();
}

void Sampler::wakeForTest() {
  MutexLock lock(mu_);
  wake_.notifyAll();
}

void Sampler::run() {
  MutexLock lock(mu_);
  while (!stopping_) {
    auto wait = std::clamp<Clock::time_point::duration>(windows_.untilNextWindow(), Millis(1),
                                                        Millis(1000));
    wake_.waitFor(lock, wait);
    if (stopping_) break;
    windows_.tick();
  }
}

}  // namespace shipgate::metrics
