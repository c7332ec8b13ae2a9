// The gateway's request phases: firewall (the snapshot's WAF answers blocks, challenges and rate
// limits; a pass adds its fields to the response and counts the final status), rum (the RUM
// intake answers beacons and serves rum.js on its own paths, before any routing), ofrep (the
// feature flags' OFREP evaluations, ofrep_phase.cc), route (host and
// path to a site, 404 when none), redirect (HTTP to HTTPS), static (a static site answers), proxy
// (an app's upstream answers, suspending until it has) and log (metrics, firewall accounting,
// access log).
#include <algorithm>
#include <memory>
#include <span>

#include "shipgate/http/cookies.h"
#include "shipgate/rum/release_labels.h"
#include "ofrep_phase.h"
#include "proxy_exchange.h"
#include "request_context.h"
#include "request_phase.h"

namespace shipgate::server {
namespace {

PhaseFactory& extraPhase() {
  static PhaseFactory factory;
  return factory;
}

// The firewall's decision as the request's outcome: a pass goes on (its RateLimit fields are
// added to the response), anything else is answered here.
PhaseResult concludeFirewall(RequestContext& ctx, const firewall::Firewall& fw,
                             const firewall::Decision& d) {
  if (!d.respond()) {
    ctx.firewallPassed(fw, d);
    return PhaseResult::kContinue;
  }
  std::vector<HeaderField>& fields = ctx.scratchFields();
  bool cache_control = false;
  for (const auto& [name, value] : d.headers) {
    if (http::equalsIgnoreCase(name, "cache-control")) cache_control = true;
    fields.emplace_back(name, value);
  }
  // Never cached: a challenge or a rate limit is about this client at this moment.
  if (!cache_control) fields.emplace_back("Cache-Control", "no-store");
  ctx.respond(d.status, d.body, &fields, d.content_type);
  return PhaseResult::kDone;
}

// A request whose rate limits wait for the shared store (waf.rate_limit.store): the decision so
// far, and the store it asked (kept alive until the answer or the abort).
class StoreWait final : public SuspendedWork, public ratestore::BatchWaiter {
 public:
  StoreWait(RequestContext& ctx, const firewall::Firewall& fw,
            std::shared_ptr<ratestore::RedisRateStore> store, const firewall::Decision& d)
      : ctx_(ctx), fw_(fw), store_(std::move(store)), decision_(d) {}
  ~StoreWait() override { store_->cancel(this); }

  firewall::Decision& decision() { return decision_; }

  void onStoreAnswer(std::span<const shield::RateDecision> decisions) override {
    if (aborted_) return;
    fw_.finishInspect(ctx_.wafView(), ctx_.wafScratch(), decisions, decision_);
    ctx_.resume(concludeFirewall(ctx_, fw_, decision_));
  }
  void abort() override {
    aborted_ = true;
    store_->cancel(this);
  }

 private:
  RequestContext& ctx_;
  const firewall::Firewall& fw_;  // kept alive by the request's snapshot
  std::shared_ptr<ratestore::RedisRateStore> store_;
  firewall::Decision decision_;
  bool aborted_ = false;
};

class FirewallPhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    const firewall::Firewall* fw = ctx.snapshot().firewall.get();
    if (fw == nullptr || !fw->enabled()) return PhaseResult::kContinue;
    firewall::Scratch& s = ctx.wafScratch();
    const http::Request& req = ctx.request();
    s.headers.clear();
    for (size_t i = 0; i < req.headerCount(); ++i) {
      s.headers.push_back({req.headerName(i), req.headerValue(i)});
    }
    const std::string& body = req.body();
    firewall::RequestView& v = ctx.wafView();
    v.method = req.method();
    v.target = req.target();
    v.path = req.path();
    v.headers = s.headers;
    v.client_ip = ctx.clientIp();
    v.tls = ctx.isTls();
    v.http_major = req.versionMajor();
    v.http_minor = req.versionMinor();
    v.body = std::string_view(body).substr(0, std::min(body.size(), fw->bodyBytes()));
    v.body_size =
        req.contentLength() > 0 ? req.contentLength() : static_cast<int64_t>(body.size());
    v.request_id = ctx.requestId();
    if (fw->usesStore()) return runShared(ctx, *fw, v, s);
    firewall::Decision d = fw->inspect(v, s);
    return concludeFirewall(ctx, *fw, d);
  }

 private:
  // With a shared store: the rules run now, the rate limits once the store answered (one
  // round trip for all of them), or now with the per-node counters when it cannot be asked.
  static PhaseResult runShared(RequestContext& ctx, const firewall::Firewall& fw,
                               const firewall::RequestView& v, firewall::Scratch& s) {
    firewall::Decision d;
    fw.inspectShared(v, s, d);
    if (!d.awaiting_store) return concludeFirewall(ctx, fw, d);
    const auto& store = ctx.worker().rateStore(fw);
    auto wait = std::make_unique<StoreWait>(ctx, fw, store, d);
    if (store->send(s.storeChecks(), wait.get())) {
      ctx.hold(std::move(wait));
      return PhaseResult::kSuspend;
    }
    fw.finishInspect(v, s, {}, d);
    return concludeFirewall(ctx, fw, d);
  }
};

class RumPhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    const rum::RumIntake* intake = ctx.snapshot().rum.get();
    const http::Request& req = ctx.request();
    if (intake == nullptr || !intake->matches(req.path())) return PhaseResult::kContinue;
    rum::IntakeRequest in;
    in.method = req.method();
    in.path = req.path();
    in.content_type = req.header("content-type");
    in.body = req.body();
    in.client_ip = ctx.clientIp();
    in.release_cookie = http::findCookie(req, rum::kReleaseCookie).value_or(std::string_view());
    rum::IntakeAnswer a = intake->handle(in);
    std::vector<HeaderField>& fields = ctx.scratchFields();
    for (const auto& h : a.headers) fields.push_back(h);
    if (a.status == 204) {
      ctx.respondFile(204, -1, &fields, nullptr, 0, 0);  // no body, no Content-Length
    } else {
      ctx.respond(a.status, a.body, &fields, a.content_type);
    }
    return PhaseResult::kDone;
  }
};

class RoutePhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    const http::Request& req = ctx.request();
    auto match = ctx.snapshot().plan->route(http::hostWithoutPort(req.header("host")), req.path());
    if (!match) {
      ctx.respond(404, "no site is configured for this host and path\n");
      return PhaseResult::kDone;
    }
    ctx.setRoute(*match);
    return PhaseResult::kContinue;
  }
};

class RedirectPhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    const traffic::SiteConfig& site = *ctx.route().site;
    if (!site.redirect_https || ctx.isTls()) return PhaseResult::kContinue;
    const http::Request& req = ctx.request();
    std::string& location = ctx.scratchText();
    location = "https://";
    location += http::hostWithoutPort(req.header("host"));
    if (site.https_port && *site.https_port != 443) {
      location += ':';
      location += std::to_string(*site.https_port);
    }
    location += req.target();
    std::vector<HeaderField>& fields = ctx.scratchFields();
    fields.emplace_back("Location", location);
    ctx.respond(308, "", &fields);
    return PhaseResult::kDone;
  }
};

class StaticPhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    const traffic::RouteMatch& route = ctx.route();
    if (route.site->kind != traffic::SiteKind::kStatic) return PhaseResult::kContinue;
    const Snapshot& snap = ctx.snapshot();
    int index = route.site_index;
    const staticsite::StaticSite* site =
        index >= 0 && static_cast<size_t>(index) < snap.static_sites.size()
            ? snap.static_sites[static_cast<size_t>(index)].get()
            : nullptr;
    if (site == nullptr) {
      ctx.respond(500, "static site is not available\n");
      return PhaseResult::kDone;
    }
    const http::Request& req = ctx.request();
    staticsite::StaticRequest sr;
    sr.method = req.method();
    sr.path = req.path();
    sr.if_none_match = req.header("if-none-match");
    sr.if_modified_since = req.header("if-modified-since");
    sr.range = req.header("range");
    sr.if_range = req.header("if-range");
    sr.accept_encoding = req.header("accept-encoding");
    staticsite::StaticResponse resp = site->serve(sr);
    std::vector<HeaderField>& fields = ctx.scratchFields();
    for (const auto& [name, value] : resp.headers) fields.emplace_back(name, value);
    bool no_length = resp.status == 304 || resp.status == 204;
    int64_t length = no_length ? -1 : static_cast<int64_t>(resp.length);
    if (resp.head || no_length) {
      ctx.respondFile(resp.status, length, &fields, nullptr, 0, 0);
    } else if (resp.file) {
      ctx.respondFile(resp.status, length, &fields, resp.file, resp.offset, resp.length);
    } else {
      ctx.respondFile(resp.status, length, &fields, nullptr, 0, 0);
      ctx.encodeData(resp.body);
    }
    return PhaseResult::kDone;
  }
};

class ProxyPhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    if (ctx.request().isMethod("CONNECT")) {
      ctx.codec().disableKeepAlive();
      std::vector<HeaderField>& fields = ctx.scratchFields();
      fields.emplace_back("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      ctx.respond(405, "CONNECT is not supported\n", &fields);
      return PhaseResult::kDone;
    }
    auto exchange = std::make_unique<ProxyExchange>(ctx, ctx.worker());
    ProxyExchange* p = exchange.get();
    ctx.hold(std::move(exchange));
    p->start(ctx.snapshot(), ctx.route().app_index);
    return PhaseResult::kSuspend;  // the exchange resumes through complete() / fail / tunnel
  }
};

class LogPhase final : public Phase {
 public:
  PhaseResult run(RequestContext& ctx) override {
    ctx.logRequest();
    return PhaseResult::kDone;
  }
};

}  // namespace

PhaseList defaultPhases() {
  PhaseList list;
  list.steps.push_back(std::make_unique<FirewallPhase>());
  if (extraPhase()) list.steps.push_back(extraPhase()());
  list.steps.push_back(std::make_unique<RumPhase>());
  list.steps.push_back(makeOfrepPhase());
  list.steps.push_back(std::make_unique<RoutePhase>());
  list.steps.push_back(std::make_unique<RedirectPhase>());
  list.steps.push_back(std::make_unique<StaticPhase>());
  list.steps.push_back(std::make_unique<ProxyPhase>());
  list.log = std::make_unique<LogPhase>();
  return list;
}

void setExtraPhaseForTesting(PhaseFactory factory) { extraPhase() = std::move(factory); }

}  // namespace shipgate::server
