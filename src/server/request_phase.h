// Phases of a request: the ordered steps a RequestContext runs on each request (firewall → rum →
// route → redirect → static | proxy), then the log phase once the response is complete.
//
// A phase's run() returns
//   kContinue  go on with the next phase;
//   kDone      the response is queued: run the log phase and finish;
//   kSuspend   the phase waits for something (a timer, an fd, an upstream); it later calls
//              RequestContext::resume(kContinue | kDone) on the worker's loop thread.
// Phase objects are shared by every request of a worker and hold no per-request state; what a
// suspended phase needs lives in a SuspendedWork the context holds (see RequestContext::hold).
// Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "worker.h"

namespace shipgate::server {

class RequestContext;

enum class PhaseResult { kContinue, kDone, kSuspend };

class Phase {
 public:
  virtual ~Phase() = default;
  virtual PhaseResult run(RequestContext& ctx) = 0;
};

// Per-request state of a suspended phase, owned by the context until the request ends. abort()
// is called when the downstream goes away before the phase resumed; the object is then freed at
// the end of the loop iteration (it may be on the stack).
class SuspendedWork : public Deferred {
 public:
  virtual void abort() = 0;
};

struct PhaseList {
  std::vector<std::unique_ptr<Phase>> steps;  // in order
  std::unique_ptr<Phase> log;                 // after the response (its result is ignored)
};

// The gateway's phases: firewall, rum, route, redirect, static, proxy; log.
PhaseList defaultPhases();

// Tests: a factory whose phase is inserted right after the firewall phase in every worker
// created afterwards (nullptr = none). Not for production use; set before the gateway starts.
using PhaseFactory = std::function<std::unique_ptr<Phase>()>;
void setExtraPhaseForTesting(PhaseFactory factory);

}  // namespace shipgate::server
