// Firewall: the WAF as the gateway runs it. Built from the config (the security_rules and the
// waf: section) into one immutable object: the compiled rule set, one RateLimiter per rate-limit
// rule, the BotScorer and the managed Challenge. Reload = build a new one with the old one as
// `previous` (rate counters, the challenge secret and the metrics carry over) and swap the
// shared_ptr; requests in flight finish on the old one.
//
// Per request (any worker thread, one Scratch per thread):
//
//   firewall::Scratch& s = thread_scratch;           // reused: no allocation once warm
//   s.headers.clear();
//   for (i...) s.headers.push_back({head.headerName(i), head.headerValue(i)});
//   firewall::RequestView v{method, target, s.headers, client_ip_text, tls, http_major,
//                           body_prefix, content_length, request_id};
//   firewall::Decision d = fw->inspect(v, s);
//   if (d.respond()) send d.status, d.headers, d.content_type, d.body (and do not proxy);
//   else proxy, and add d.headers to the response (RateLimit / RateLimit-Policy).
//   fw->onResponse(v, status, s);                    // after the response status is known
//
// inspect(): computes the bot score (user agent, browser headers and their order, the client's
// request rate, a valid challenge cookie; only when a rule reads cf.bot_management.*), evaluates
// the rules in order, then applies the rate limits of the matching rate_limit rules (in order;
// the first limited one answers 429 with Retry-After, RateLimit-Policy and RateLimit), then the
// terminating action: block (403 by default, rule name and event id in the body and in the
// header `X-Shipgate-Block: rule="<name>"; event=<id>`), challenge (the shield challenge page,
// unless the client presents a valid clearance cookie), allow / skip (pass). `log` rules are
// logged and evaluation continues. Every block, challenge and rate limit writes one log::warn
// line with the rule, the matched field values (truncated) and the request id.
//
// Rate-limit counting: without counting_expression the matching request counts (check and count
// in one step); with one that reads http.response.code, the request is checked in inspect() and
// counted in onResponse() when the counting expression matches (with http.response.code set);
// other counting expressions are evaluated in inspect(). Only requests that match the rule are
// counted.
//
// Metrics: series of the metrics::Registry given to build() (else of one the firewall owns and
// hands on to the next): per rule {rule, action} shipgate_waf_rule_matches_total,
// shipgate_waf_rule_evaluations_total, shipgate_waf_rule_evaluation_seconds_total (timed on one
// request in kTimingSample per worker thread and scaled up: two clock reads per rule on every
// request would cost more than the seed's rules themselves),
// shipgate_waf_rule_blocked_requests_total (requests answered because of the rule); per action
// shipgate_waf_decisions_total{action=block|challenge|rate_limited|log|allow|skip|pass};
// shipgate_waf_blocked_requests_total (blocked + challenged + rate limited: the rate the
// rollback triggers read). A rule keeps its series across reloads while its name and action are
// unchanged. A disabled firewall counts into a registry of its own.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/managed/engine.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/shield/bot_scorer.h"
#include "shipgate/shield/challenge.h"
#include "shipgate/shield/rate_limiter.h"
#include "shipgate/shield/redis_url.h"
#include "shipgate/shield/shared_window.h"
#include "shipgate/waf/eval_context.h"
#include "shipgate/waf/request.h"
#include "shipgate/waf/ruleset.h"

namespace shipgate::firewall {

// What the gateway knows of one request: views into its buffers, valid until onResponse().
struct RequestView {
  std::string_view method;               // "GET"
  std::string_view target;               // raw request-target "/a?b=1"
  std::string_view path;                 // normalised path (http::Request::path); "" = from target
  std::span<const waf::Header> headers;  // received order (fill Scratch::headers and point here)
  std::string_view client_ip;            // textual address of the peer (ip.src)
  bool tls = false;
  int http_major = 1;
  // The body bytes received so far, cut to bodyBytes() (the custom rules see the first
  // waf.body_bytes of it, the managed rules the first waf.managed_rules.crs.body_bytes).
  std::string_view body;
  int64_t body_size = 0;        // declared size (Content-Length), 0 when none
  std::string_view request_id;  // for log lines (and the managed block's event); may be empty
  // For the managed rules (REQUEST_PROTOCOL, REMOTE_PORT, SERVER_PORT); 0 = unknown.
  int http_minor = 1;
  int client_port = 0;
  int server_port = 0;
};

// The headers of a Decision: (name, value) pairs in the order added, iterated as
//   for (const auto& [name, value] : d.headers) ...   // std::string_view each
// Holds kInlineHeaders headers of kInlineBytes of text in total without allocating (a passed
// request's RateLimit-Policy and RateLimit always fit); beyond that it spills to the heap.
// A value type: copies own their text.
class ResponseHeaders {
 public:
  using value_type = std::pair<std::string_view, std::string_view>;
  static constexpr size_t kInlineBytes = 224;
  static constexpr size_t kInlineHeaders = 6;

  ResponseHeaders() = default;
  // Copies move only the bytes and spans in use (a Decision is returned by value).
  ResponseHeaders(const ResponseHeaders& other) { *this = other; }
  ResponseHeaders& operator=(const ResponseHeaders& other);

  void add(std::string_view name, std::string_view value);
  void clear();
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  value_type operator[](size_t i) const;
  // The value of the first header named `name` (exact case), if any.
  std::optional<std::string_view> find(std::string_view name) const;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ResponseHeaders::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;
    const_iterator(const ResponseHeaders* h, size_t i) : h_(h), i_(i) {}
    value_type operator*() const { return (*h_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }

   private:
    const ResponseHeaders* h_;
    size_t i_;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, count_}; }

 private:
  struct Span {
    uint32_t name_at = 0, name_size = 0, value_at = 0, value_size = 0;
  };
  const char* text() const { return heap_text_.empty() ? inline_text_ : heap_text_.data(); }
  uint32_t append(std::string_view bytes);

  char inline_text_[kInlineBytes];
  uint32_t used_ = 0;
  std::string heap_text_;  // all of the text, once it outgrew inline_text_
  Span inline_spans_[kInlineHeaders];
  std::vector<Span> more_spans_;  // headers beyond kInlineHeaders
  uint32_t count_ = 0;
};

enum class Outcome : uint8_t { kPass, kBlock, kChallenge, kRateLimited };
std::string_view outcomeName(Outcome o);  // "pass", "block", "challenge", "rate_limited"

// A passed request's Decision allocates nothing (its RateLimit headers live in `headers`).
struct Decision {
  Outcome outcome = Outcome::kPass;
  // kPass: headers to add to the upstream's response (RateLimit-Policy / RateLimit of the first
  // matching rate-limit rule). Otherwise the complete response to send instead of proxying.
  int status = 0;
  ResponseHeaders headers;
  std::string content_type;
  std::string body;
  std::string rule;      // the deciding rule's name ("" on a plain pass)
  std::string event_id;  // set on block / challenge / rate limit
  int bot_score = 0;     // 0 = not computed
  // inspectShared() only: the rate limits wait for the store (Scratch::storeChecks()); call
  // finishInspect() with its answer. outcome is kPass until then.
  bool awaiting_store = false;
  bool respond() const { return outcome != Outcome::kPass; }
};

// Scratch state of one request at a time: reuse one per worker thread, or (the gateway) one per
// request in flight, kept from inspect() to onResponse(). Not thread-safe.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  std::vector<waf::Header> headers;  // for the caller to fill (see firewall.h)

  // The last inspect()'s evaluation (verdicts per rule) and bot score; for tools and tests.
  const waf::Evaluation& evaluation() const { return eval_; }
  const shield::BotScore& botScore() const { return bot_; }
  // The context bound to the last inspected request (for RuleSet::describeMatch).
  waf::EvalContext& context() { return ctx_; }
  // The managed rules' verdict of the last inspected request (when they are configured).
  const managed::Verdict& managedVerdict() const { return managed_verdict_; }
  // After inspectShared() left a Decision awaiting_store: the checks to send to the store, in
  // rule order.
  const std::vector<shield::SharedWindowCheck>& storeChecks() const { return store_checks_; }

 private:
  friend class Firewall;
  struct PendingCount {
    size_t rule = 0;
    shield::RateKey key;
  };
  waf::Request request_;
  waf::EvalContext ctx_;
  waf::Evaluation eval_;
  shield::BotScore bot_;
  std::string key_;
  std::vector<PendingCount> pending_;
  std::vector<shield::SharedWindowCheck> store_checks_;
  std::vector<size_t> store_rules_;      // the rule of each store check
  const void* pending_owner_ = nullptr;  // the Firewall that filled pending_
  uint32_t timing_tick_ = 0;             // which requests time their rules (see kTimingSample)
  // Managed rules: the verdict of this request (read after the custom rules, and after a store
  // wait). The engine's own scratch is not here but one per thread (managed.cc): the gateway
  // keeps a Scratch per request in flight, and a cold engine scratch per connection cost more
  // than the engine's evaluation of a small request.
  managed::Verdict managed_verdict_;
  bool managed_ran_ = false;
};

struct RuleStats;     // per rule counters (firewall_stats.h)
class GlobalStats;    // per action counters
struct ManagedStats;  // the managed rules' counters

class Firewall {
 public:
  // Takes the rules of `config` as its firewall section compiled them (firewallConfigOf(): the
  // loader's FirewallConfig, else validated now; errors: invalidArgument with each), creates
  // the limiters, the bot scorer and the challenge. With `previous`, keeps its rate counters
  // for rules whose name and rate settings are unchanged, its challenge secret when the config
  // sets none, and its metrics. `clock` (and `metrics`, when given: the registry its counters
  // go to) must outlive the Firewall.
  static Result<std::shared_ptr<const Firewall>> build(const config::Config& config, Clock& clock,
                                                       const Firewall* previous,
                                                       metrics::Registry* metrics = nullptr);
  ~Firewall();

  // False when waf.enabled is false or there are no rules: inspect() always passes.
  bool enabled() const { return enabled_; }

  Decision inspect(const RequestView& request, Scratch& scratch) const;

  // Shared rate limits (waf.rate_limit.store set): usesStore() is true, and the gateway calls
  // inspectShared() instead of inspect(). It does what inspect() does up to the rate limits; when
  // a matching rate_limit rule without a counting_expression applies, it stops there with
  // d.awaiting_store set and the checks in scratch.storeChecks() (one per such rule, keyed
  // shared_window.h's way: rule name and client key). The caller asks the store and calls
  // finishInspect() with one decision per check, in order, or with none when the store could not
  // answer: the per-node limiters then decide (the fallback). Rules with a counting_expression
  // always count per node. `request` and `scratch` must stay as they are in between. Unlike the
  // per-node path, which stops counting at the first limited rule, the store counts the request
  // against every store-checked rule it matched (one atomic script for all of them).
  bool usesStore() const { return store_.has_value(); }
  // The store's address and how long a request waits for it (when usesStore()).
  const std::optional<shield::RedisUrl>& storeUrl() const { return store_; }
  Millis storeTimeout() const { return store_timeout_; }
  void inspectShared(const RequestView& request, Scratch& scratch, Decision& d) const;
  // REQUIRES: d came from inspectShared() with awaiting_store set; shared.size() is 0 or
  // scratch.storeChecks().size(). Clears awaiting_store.
  void finishInspect(const RequestView& request, Scratch& scratch,
                     std::span<const shield::RateDecision> shared, Decision& d) const;
  // Counts the request for rate-limit rules whose counting_expression reads http.response.code.
  // Call once per inspected request that was not answered by the firewall, with the same view.
  void onResponse(const RequestView& request, int status, Scratch& scratch) const;

  // Prometheus text of every shipgate_waf_* series of its registry (complete families).
  void renderMetrics(std::string& out) const;
  // The registry the firewall counts into.
  const metrics::Registry& metricsRegistry() const;
  uint64_t blockedRequests() const;

  // Rule evaluation time is measured on the first request of every kTimingSample per Scratch.
  static constexpr uint32_t kTimingSample = 16;

  const waf::RuleSet& ruleSet() const { return *rules_; }
  // The CRS engine (waf.managed_rules.crs), or null; its report lines from the load.
  const managed::Engine* managedRules() const { return crs_.get(); }
  // The same engine as an owner: shared by every firewall built from the same CRS settings, and
  // freed when the last of them goes (tests watch that through a weak_ptr).
  std::shared_ptr<const managed::Engine> sharedManagedRules() const { return crs_; }
  const std::vector<std::string>& managedReport() const { return crs_report_; }
  // How many body bytes the firewall reads (RequestView::body): the larger of waf.body_bytes
  // and, with managed rules, waf.managed_rules.crs.body_bytes.
  size_t bodyBytes() const { return std::max(body_bytes_, crs_ ? crs_body_bytes_ : size_t{0}); }
  const shield::Challenge& challenge() const { return *challenge_; }
  // The limiter of rule `index`, or null when it is not a rate-limit rule.
  shield::RateLimiter* limiter(size_t index) const;

 private:
  struct RuleRuntime;
  Firewall();
  // inspect() into `d` (a fresh Decision): inspect() returns it by name, so it is never copied.
  void decide(const RequestView& view, Scratch& scratch, Decision& d, bool shared) const;
  // decide() from the rate limits on; `shared` holds the store's decisions (or is empty).
  void limitAndAct(const RequestView& view, Scratch& scratch, Decision& d,
                   std::span<const shield::RateDecision> shared,
                   const shield::RateKey& client) const;
  // Fills scratch.store_checks_ for the rate limits of this request that go through the store.
  void collectStoreChecks(const RequestView& view, Scratch& scratch) const;
  void fillRequest(const RequestView& view, Scratch& scratch) const;
  // The client's key in the per-client tables (the bot score's request rate and the rate-limit
  // rules keyed by ip.src alone), from the address fillRequest() parsed.
  shield::RateKey clientKey(const RequestView& view, Scratch& scratch) const;
  void scoreBot(const RequestView& view, const shield::RateKey& client, Scratch& scratch) const;
  bool hasValidClearance(const RequestView& view) const;
  // A valid clearance cookie in this Cookie header of the request.
  bool clearedBy(std::string_view cookie_header, const RequestView& view) const;
  // The rate-limit key of `rule` for the request (`client` for a rule keyed by ip.src alone).
  shield::RateKey rateKey(size_t rule, const RequestView& view, const shield::RateKey& client,
                          Scratch& scratch) const;
  std::string newEventId() const;
  void blockResponse(size_t rule, Decision& d) const;
  void challengeResponse(const RequestView& view, Decision& d) const;
  void logDecision(std::string_view what, size_t rule, const RequestView& view, Scratch& scratch,
                   const Decision& d) const;
  // Makes `d` the challenge page of `rule`, answered through answer().
  void challenge(size_t rule, const RequestView& view, Scratch& scratch, Decision& d) const;
  // Finishes inspect() with the firewall's own answer `d` (block, challenge or rate limit, by
  // d.outcome): counts the action and the blocked request, writes the log line and drops the
  // pending response-phase counts.
  void answer(size_t rule, const RequestView& view, Scratch& scratch, const Decision& d) const;

  // Managed rules: evaluated before the custom rules (their result is in cf.waf.*), enforced
  // after them (managed.cc).
  void evaluateManaged(const RequestView& view, Scratch& scratch) const;
  // After the custom rules passed the request (no block, challenge or rate limit): `exempt` when
  // a custom allow / skip rule matched. Makes `d` the managed block when the CRS intercepted and
  // the action is block (and not exempt); logs one line when any managed rule matched.
  void enforceManaged(const RequestView& view, Scratch& scratch, Decision& d, bool exempt) const;
  // The one log line of a request some managed rule matched: warn when `warn`, else info.
  void logManaged(const RequestView& view, const Scratch& scratch, std::string_view action,
                  bool warn) const;
  void managedBlockResponse(const RequestView& view, const managed::Verdict& v, Decision& d) const;

  bool enabled_ = false;
  std::shared_ptr<const managed::Engine> crs_;
  std::vector<std::string> crs_report_;
  bool crs_block_ = true;
  size_t crs_body_bytes_ = 131072;
  std::shared_ptr<ManagedStats> managed_stats_;
  std::optional<shield::RedisUrl> store_;  // waf.rate_limit.store
  Millis store_timeout_{50};
  size_t body_bytes_ = 8192;
  config::WafBlockResponse block_defaults_;
  std::shared_ptr<const waf::RuleSet> rules_;
  std::vector<RuleRuntime> runtime_;  // one per rule
  // The limiters of rate-limit rules keyed by ip.src alone: inspect() prefetches the client's
  // entry in each (and in client_rate_) first, so the lookups after the rules hit the cache.
  std::vector<shield::RateLimiter*> ip_keyed_limiters_;
  bool needs_bot_score_ = false;
  std::unique_ptr<shield::BotScorer> bot_scorer_;
  std::shared_ptr<shield::RateLimiter> client_rate_;  // per-IP requests/min for the bot score
  std::unique_ptr<shield::Challenge> challenge_;
  std::string challenge_secret_;
  std::shared_ptr<GlobalStats> stats_;
  Clock* clock_ = nullptr;
  uint64_t event_salt_ = 0;
  mutable std::atomic<uint64_t> event_counter_{0};
};

// Registers a collector on `registry` that renders the metrics of whatever Firewall `current`
// returns at scrape time (null, or a firewall that counts into `registry` itself: nothing).
// `current` must be thread-safe (e.g. an atomic shared_ptr load) and outlive the registry's use
// of it.
void addFirewallCollector(metrics::Registry& registry,
                          std::function<std::shared_ptr<const Firewall>()> current);

}  // namespace shipgate::firewall
