// The OFREP phase: answers /ofrep/ paths from the installed LiveFlags (see server/ofrep_route.h).
#include "ofrep_phase.h"

#include <chrono>

#include "request_context.h"
#include "shipgate/common/mutex.h"
#include "shipgate/flags/flags_config.h"
#include "shipgate/flags/live_flags.h"
#include "shipgate/flags/ofrep.h"
#include "shipgate/server/ofrep_route.h"

namespace shipgate::server {
namespace {

struct Source {
  Mutex mu;
  std::shared_ptr<const flags::LiveFlags> flags GUARDED_BY(mu);
};

Source& source() {
  static Source* s = new Source();  // never destroyed: workers may read it during exit
  return *s;
}

class OfrepPhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    const http::Request& req = ctx.request();
    if (!flags::isOfrepPath(req.path())) return PhaseResult::kContinue;
    std::shared_ptr<const flags::LiveFlags> live = ofrepFlags();
    if (live == nullptr) return PhaseResult::kContinue;
    std::shared_ptr<const flags::FlagsConfig> cfg = flags::flagsConfigOf(*ctx.snapshot().config);
    if (!cfg->ofrep) return PhaseResult::kContinue;
    flags::OfrepRequest in;
    in.method = req.method();
    in.path = req.path();
    in.body = req.body();
    in.content_length = req.contentLength();
    in.authorization = req.header("authorization");
    in.api_key = req.header("x-api-key");
    in.if_none_match = req.header("if-none-match");
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::shared_ptr<const flags::FlagsSnapshot> snap = live->current();
    flags::OfrepAnswer a = flags::answerOfrep(in, *cfg, *snap, now);
    std::vector<HeaderField>& fields = ctx.scratchFields();
    for (const auto& h : a.headers) fields.push_back(h);
    if (a.status == 304) {
      ctx.respondFile(304, -1, &fields, nullptr, 0, 0);
    } else {
      ctx.respond(a.status, a.body, &fields, "application/json");
    }
    return PhaseResult::kDone;
  }
};

}  // namespace

void installOfrepFlags(std::shared_ptr<const flags::LiveFlags> flags) {
  Source& s = source();
  MutexLock lock(s.mu);
  s.flags = std::move(flags);
}

std::shared_ptr<const flags::LiveFlags> ofrepFlags() {
  Source& s = source();
  MutexLock lock(s.mu);
  return s.flags;
}

std::unique_ptr<Phase> makeOfrepPhase() { return std::make_unique<OfrepPhase>(); }

}  // namespace shipgate::server
