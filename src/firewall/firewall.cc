// Firewall::build and Firewall::inspect / onResponse (see firewall.h).
#include "shipgate/firewall/firewall.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <utility>

#include "firewall_stats.h"
#include "request_fields.h"
#include "shipgate/common/log.h"
#include "shipgate/firewall/firewall_config.h"

namespace shipgate::firewall {

namespace {

bool sameLimit(const shield::RateLimitConfig& a, const shield::RateLimitConfig& b) {
  return a.period == b.period && a.requests_per_period == b.requests_per_period &&
         a.mitigation_timeout == b.mitigation_timeout && a.max_keys == b.max_keys &&
         a.shards == b.shards;
}

std::string randomSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    std::random_device rd;
    for (auto& b : bytes) b = static_cast<unsigned char>(rd());
  }
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

}  // namespace

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kBlock:
      return "block";
    case Outcome::kChallenge:
      return "challenge";
    case Outcome::kRateLimited:
      return "rate_limited";
  }
  return "pass";
}

Firewall::Firewall() = default;
Firewall::~Firewall() = default;

Result<std::shared_ptr<const Firewall>> Firewall::build(const config::Config& config, Clock& clock,
                                                        const Firewall* previous,
                                                        metrics::Registry* metrics) {
  std::shared_ptr<Firewall> fw(new Firewall());
  const config::WafConfig& waf = config.waf;
  fw->clock_ = &clock;
  fw->body_bytes_ = waf.body_bytes;
  fw->block_defaults_ = waf.block;

  // Rules: compiled once, by the section validator (firewall_config.h); so is the CRS engine.
  auto settings = firewallConfigOf(config);
  if (!settings.isOk()) return settings.status();
  fw->rules_ = settings.value()->rules;
  fw->crs_ = settings.value()->crs;
  fw->crs_report_ = settings.value()->crs_report;
  if (waf.crs) {
    fw->crs_block_ = waf.crs->action == config::CrsAction::kBlock;
    fw->crs_body_bytes_ = waf.crs->body_bytes;
  }
  fw->enabled_ =
      waf.enabled.value_or(true) && (!config.security_rules.empty() || fw->crs_ != nullptr);
  fw->store_ = settings.value()->store;
  fw->store_timeout_ = waf.rate_limit_store_timeout;

  // Per-rule runtime: stats, limiters (carried over when unchanged), block responses.
  fw->stats_ = GlobalStats::create(fw->enabled_ ? metrics : nullptr,
                                   previous != nullptr ? previous->stats_.get() : nullptr);
  if (fw->crs_ != nullptr) {
    fw->managed_stats_ = createManagedStats(fw->stats_->registry(), *fw->crs_);
  }
  const auto& rules = fw->rules_->rules();
  fw->runtime_.resize(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const waf::RuleSpec& spec = rules[i].spec;
    RuleRuntime& rt = fw->runtime_[i];
    int prev_index = previous != nullptr ? previous->rules_->findRule(spec.name) : -1;
    const RuleRuntime* prev = prev_index >= 0 ? &previous->runtime_[prev_index] : nullptr;
    rt.stats = fw->stats_->rule(spec.name, waf::actionName(spec.action));
    rt.block = waf.block;
    if (spec.action == waf::ActionKind::kBlock) {
      const config::SecurityRule& cr = config.security_rules[i];
      if (cr.block) rt.block = *cr.block;
    }
    for (uint32_t id : rules[i].field_ids) {
      if (fw->rules_->scheme().fields()[id].name.rfind("cf.bot_management", 0) == 0) {
        fw->needs_bot_score_ = true;
      }
    }
    if (spec.action != waf::ActionKind::kRateLimit) continue;
    const waf::RateLimitSpec& rl = spec.params.rate_limit;
    rt.characteristics = settings.value()->rule_settings[i].characteristics;
    rt.limit_action = rl.action;
    rt.count_on_response = rl.counting_expression.find("http.response.code") != std::string::npos;
    shield::RateLimitConfig lc;
    lc.period = std::chrono::seconds(rl.period_seconds);
    lc.requests_per_period = rl.requests_per_period;
    lc.mitigation_timeout = std::chrono::seconds(rl.mitigation_timeout_seconds);
    lc.max_keys = waf.rate_limit_max_keys;
    lc.shards = std::min<size_t>(16, lc.max_keys);
    if (prev != nullptr && prev->limiter != nullptr && sameLimit(prev->limiter->config(), lc) &&
        prev->characteristics.size() == rt.characteristics.size() &&
        previous->rules_->rules()[prev_index].spec.params.rate_limit.characteristics ==
            rl.characteristics) {
      rt.limiter = prev->limiter;
      continue;
    }
    auto limiter = shield::RateLimiter::create(lc, clock);
    if (!limiter.isOk()) {
      return Status::invalidArgument("rule \"" + spec.name + "\": " + limiter.status().message());
    }
    rt.limiter = std::shared_ptr<shield::RateLimiter>(std::move(limiter.value()));
  }

  for (const RuleRuntime& rt : fw->runtime_) {
    if (rt.limiter != nullptr && rt.characteristics.size() == 1 &&
        rt.characteristics[0].kind == Characteristic::Kind::kIp) {
      fw->ip_keyed_limiters_.push_back(rt.limiter.get());
    }
  }

  // Bot score.
  shield::BotScorerConfig bots;
  bots.high_rate_per_minute = waf.bot_high_rate_per_minute;
  bots.very_high_rate_per_minute = waf.bot_very_high_rate_per_minute;
  if (waf.verified_bots) {
    for (const auto& b : *waf.verified_bots) {
      bots.verified_bots.push_back({b.name, b.user_agent, b.cidrs});
    }
  } else {
    bots.verified_bots = shield::defaultVerifiedBots();
  }
  auto scorer = shield::BotScorer::create(std::move(bots));
  if (!scorer.isOk()) return Status::invalidArgument("waf.bots: " + scorer.status().message());
  fw->bot_scorer_ = std::move(scorer.value());
  if (previous != nullptr && previous->client_rate_ != nullptr) {
    fw->client_rate_ = previous->client_rate_;
  } else {
    shield::RateLimitConfig rc;
    rc.period = std::chrono::seconds(60);
    rc.requests_per_period = 1'000'000'000'000;
    rc.max_keys = waf.rate_limit_max_keys;
    auto rate = shield::RateLimiter::create(rc, clock);
    if (!rate.isOk()) return rate.status();
    fw->client_rate_ = std::shared_ptr<shield::RateLimiter>(std::move(rate.value()));
  }

  // Challenge: the configured secret, else the previous one, else a fresh random one.
  if (!waf.challenge_secret.empty()) {
    fw->challenge_secret_ = waf.challenge_secret;
  } else if (previous != nullptr) {
    fw->challenge_secret_ = previous->challenge_secret_;
  } else {
    fw->challenge_secret_ = randomSecret();
  }
  shield::ChallengeConfig cc;
  cc.secret = fw->challenge_secret_;
  cc.difficulty_bits = waf.challenge_difficulty_bits;
  cc.ttl = std::chrono::seconds(waf.challenge_ttl_s);
  auto challenge = shield::Challenge::create(cc, clock);
  if (!challenge.isOk()) {
    return Status::invalidArgument("waf.challenge: " + challenge.status().message());
  }
  fw->challenge_ = std::move(challenge.value());
  fw->event_salt_ = previous != nullptr ? previous->event_salt_ : 0;
  if (fw->event_salt_ == 0) {
    std::string salt = randomSecret();
    std::memcpy(&fw->event_salt_, salt.data(), sizeof fw->event_salt_);
  }
  if (previous != nullptr) {
    fw->event_counter_.store(previous->event_counter_.load(std::memory_order_relaxed));
  }
  return std::shared_ptr<const Firewall>(std::move(fw));
}

shield::RateLimiter* Firewall::limiter(size_t index) const {
  return index < runtime_.size() ? runtime_[index].limiter.get() : nullptr;
}

uint64_t Firewall::blockedRequests() const { return stats_->blocked.load(); }

void Firewall::fillRequest(const RequestView& view, Scratch& s) const {
  waf::Request& r = s.request_;
  r = waf::Request{};
  r.method = view.method;
  r.target = view.target;
  r.path = view.path;
  r.headers = view.headers;
  r.client_ip = waf::IpAddr::parse(view.client_ip);
  r.tls = view.tls;
  r.body = view.body.substr(0, std::min(view.body.size(), body_bytes_));
  r.body_size = view.body_size > 0 ? view.body_size : static_cast<int64_t>(view.body.size());
}

bool Firewall::hasValidClearance(const RequestView& view) const {
  for (const auto& h : view.headers) {
    if (equalsIgnoreCase(h.name, "cookie") && clearedBy(h.value, view)) return true;
  }
  return false;
}

bool Firewall::clearedBy(std::string_view cookie_header, const RequestView& view) const {
  auto value = shield::findClearanceCookie(cookie_header);
  if (!value) return false;
  // The cookie is bound to the user agent: look it up only when there is a cookie to verify.
  std::string_view ua = headerValue(view, "user-agent").value_or(std::string_view());
  return challenge_->verifyCookie(*value, view.client_ip, ua).valid;
}

shield::RateKey Firewall::clientKey(const RequestView& view, Scratch& s) const {
  // The address in binary after a tag byte ('4' or '6', then 4 or 16 bytes: an IPv6 client's
  // key needs no digest); text that is no address after a tag of its own, so they never meet.
  if (const std::optional<waf::IpAddr>& ip = s.request_.client_ip) {
    char buf[1 + 16];
    const size_t n = ip->v6 ? 16 : 4;
    buf[0] = ip->v6 ? '6' : '4';
    std::memcpy(buf + 1, ip->bytes.data(), n);
    return shield::RateKey(std::string_view(buf, 1 + n));
  }
  s.key_.assign(1, '-');
  s.key_.append(view.client_ip);
  return shield::RateKey(s.key_);
}

void Firewall::scoreBot(const RequestView& view, const shield::RateKey& client, Scratch& s) const {
  shield::BotFeatures f;
  for (const auto& h : view.headers) {
    f.addHeader(h.name, h.value);
    // hasValidClearance() in the same pass over the headers.
    if (!f.valid_challenge_cookie && h.name.size() == 6 && equalsIgnoreCase(h.name, "cookie")) {
      f.valid_challenge_cookie = clearedBy(h.value, view);
    }
  }
  f.http_major = view.http_major;
  f.tls = view.tls;
  f.client_ip = view.client_ip;
  // Last of the features: its entry was prefetched when inspect() began.
  f.requests_per_minute = client_rate_->countAndEstimate(client);
  bot_scorer_->score(f, s.bot_);
  s.request_.bot_score = s.bot_.score;
  s.request_.verified_bot = s.bot_.verified_bot;
}

shield::RateKey Firewall::rateKey(size_t rule, const RequestView& view,
                                  const shield::RateKey& client, Scratch& s) const {
  const auto& chars = runtime_[rule].characteristics;
  if (chars.size() == 1 && chars[0].kind == Characteristic::Kind::kIp) return client;
  std::vector<std::optional<std::string_view>> parts;
  parts.reserve(chars.size());
  for (const auto& c : chars) parts.push_back(characteristicValue(c, view));
  s.key_ = shield::composeRateKey(parts);
  return shield::RateKey(s.key_);
}

Decision Firewall::inspect(const RequestView& view, Scratch& s) const {
  Decision d;
  decide(view, s, d, false);
  return d;
}

void Firewall::inspectShared(const RequestView& view, Scratch& s, Decision& d) const {
  decide(view, s, d, store_.has_value());
}

void Firewall::finishInspect(const RequestView& view, Scratch& s,
                             std::span<const shield::RateDecision> shared, Decision& d) const {
  d.awaiting_store = false;
  if (shared.size() != s.store_checks_.size()) shared = {};
  limitAndAct(view, s, d, shared, clientKey(view, s));
}

void Firewall::collectStoreChecks(const RequestView& view, Scratch& s) const {
  s.store_checks_.clear();
  s.store_rules_.clear();
  const auto& rules = rules_->rules();
  for (size_t i : s.eval_.rate_limit_matches) {
    if (rules[i].counting_filter != nullptr) continue;  // counted per node
    const RuleRuntime& rt = runtime_[i];
    const auto& chars = rt.characteristics;
    std::string_view client_key;
    if (chars.size() == 1 && chars[0].kind == Characteristic::Kind::kIp) {
      client_key = view.client_ip;
    } else {
      std::vector<std::optional<std::string_view>> parts;
      parts.reserve(chars.size());
      for (const auto& c : chars) parts.push_back(characteristicValue(c, view));
      s.key_ = shield::composeRateKey(parts);
      client_key = s.key_;
    }
    const shield::RateLimitConfig& lc = rt.limiter->config();
    shield::SharedWindowCheck check;
    check.key = shield::sharedWindowKey(rules[i].spec.name, client_key);
    check.limit = lc.requests_per_period;
    check.period_ms = lc.period.count() * 1000;
    check.mitigation_ms = lc.mitigation_timeout.count() * 1000;
    s.store_checks_.push_back(std::move(check));
    s.store_rules_.push_back(i);
  }
}

void Firewall::decide(const RequestView& view, Scratch& s, Decision& d, bool shared) const {
  s.pending_.clear();
  s.pending_owner_ = this;
  if (!enabled_) {
    stats_->add(ActionLabel::kPass);
    return;
  }
  fillRequest(view, s);
  // The client's entries in the per-client tables are the likeliest cache misses: start
  // loading them now, with the key prepared (and hashed) once for all of them.
  const shield::RateKey client = clientKey(view, s);
  if (needs_bot_score_) client_rate_->prefetch(client);
  for (shield::RateLimiter* limiter : ip_keyed_limiters_) limiter->prefetch(client);
  // Reset in place: the signal list keeps its capacity (no allocation per request).
  s.bot_.score = 0;
  s.bot_.verified_bot = false;
  s.bot_.verified_bot_name.clear();
  s.bot_.signals.clear();
  if (needs_bot_score_) {
    scoreBot(view, client, s);
    d.bot_score = s.bot_.score;
  }
  s.managed_ran_ = false;
  if (crs_ != nullptr) evaluateManaged(view, s);
  const bool timed = s.timing_tick_++ % kTimingSample == 0;
  rules_->evaluate(s.request_, s.ctx_, s.eval_, timed ? clock_ : nullptr);
  const auto& rules = rules_->rules();
  for (size_t i = 0; i < rules.size(); ++i) {
    waf::Verdict v = s.eval_.verdicts[i];
    if (v != waf::Verdict::kMatch && v != waf::Verdict::kNoMatch) continue;
    RuleStats& st = *runtime_[i].stats;
    st.evaluations.fetch_add(1, std::memory_order_relaxed);
    if (!s.eval_.rule_nanos.empty()) {
      st.nanos.fetch_add(static_cast<uint64_t>(s.eval_.rule_nanos[i]) * kTimingSample,
                         std::memory_order_relaxed);
    }
    if (v == waf::Verdict::kMatch) st.matches.fetch_add(1, std::memory_order_relaxed);
  }
  for (size_t i : s.eval_.log_matches) {
    stats_->add(ActionLabel::kLog);
    logDecision("log", i, view, s, d);
  }

  if (shared && !s.eval_.rate_limit_matches.empty()) {
    collectStoreChecks(view, s);
    if (!s.store_checks_.empty()) {
      d.awaiting_store = true;
      return;
    }
  }
  limitAndAct(view, s, d, {}, client);
}

void Firewall::limitAndAct(const RequestView& view, Scratch& s, Decision& d,
                           std::span<const shield::RateDecision> shared,
                           const shield::RateKey& client) const {
  const auto& rules = rules_->rules();
  // Rate limits, in rule order.
  bool headers_set = false;
  size_t next_shared = 0;  // the store's decision of the next store-checked rule
  for (size_t i : s.eval_.rate_limit_matches) {
    const RuleRuntime& rt = runtime_[i];
    const waf::RuleSet::Rule& rule = rules[i];
    shield::RateDecision rd;
    if (rule.counting_filter == nullptr) {
      if (!shared.empty() && next_shared < shared.size() && s.store_rules_[next_shared] == i) {
        rd = shared[next_shared++];
      } else {
        rd = rt.limiter->hit(rateKey(i, view, client, s));
      }
    } else {
      const shield::RateKey key = rateKey(i, view, client, s);
      rd = rt.limiter->check(key);
      if (!rd.limited) {
        if (rt.count_on_response) {
          s.pending_.push_back({i, key});
        } else if (rule.counting_filter->matches(s.ctx_)) {
          rt.limiter->count(key);
        }
      }
    }
    const shield::RateLimitHeaderText headers(rt.limiter->config(), rd);
    if (!rd.limited) {
      if (!headers_set) {
        d.headers.add("RateLimit-Policy", headers.policy());
        d.headers.add("RateLimit", headers.rateLimit());
        headers_set = true;
      }
      continue;
    }
    if (rt.limit_action == waf::ActionKind::kLog) {
      stats_->add(ActionLabel::kLog);
      logDecision("rate_limit(log)", i, view, s, d);
      continue;
    }
    if (rt.limit_action == waf::ActionKind::kChallenge) {
      if (hasValidClearance(view)) continue;
      return challenge(i, view, s, d);
    }
    const int bot = d.bot_score;
    d = Decision{};
    d.outcome = Outcome::kRateLimited;
    d.status = 429;
    d.rule = rule.spec.name;
    d.event_id = newEventId();
    d.bot_score = bot;
    d.headers.add("Retry-After", headers.retryAfter());
    d.headers.add("RateLimit-Policy", headers.policy());
    d.headers.add("RateLimit", headers.rateLimit());
    d.headers.add("Cache-Control", "no-store");
    d.content_type = "text/plain; charset=utf-8";
    d.body = "429 Too Many Requests: rate limited by rule \"" + rule.spec.name + "\"; retry after " +
             std::string(headers.retryAfter()) + "s (event " + d.event_id + ")\n";
    return answer(i, view, s, d);
  }

  if (!s.eval_.action || !s.eval_.terminating_rule) {
    if (s.managed_ran_) {
      enforceManaged(view, s, d, false);
      if (d.respond()) return;
    }
    stats_->add(ActionLabel::kPass);
    return;
  }
  const size_t t = *s.eval_.terminating_rule;
  const std::string& name = rules[t].spec.name;
  switch (*s.eval_.action) {
    case waf::ActionKind::kBlock: {
      const int bot = d.bot_score;
      d = Decision{};
      d.outcome = Outcome::kBlock;
      d.rule = name;
      d.event_id = newEventId();
      d.bot_score = bot;
      blockResponse(t, d);
      return answer(t, view, s, d);
    }
    case waf::ActionKind::kChallenge: {
      if (hasValidClearance(view)) {
        if (s.managed_ran_) {
          enforceManaged(view, s, d, false);
          if (d.respond()) return;
        }
        stats_->add(ActionLabel::kPass);
        d.rule = name;
        return;
      }
      return challenge(t, view, s, d);
    }
    case waf::ActionKind::kAllow:
      if (s.managed_ran_) enforceManaged(view, s, d, true);
      stats_->add(ActionLabel::kAllow);
      d.rule = name;
      return;
    case waf::ActionKind::kSkip:
      if (s.managed_ran_) enforceManaged(view, s, d, true);
      stats_->add(ActionLabel::kSkip);
      d.rule = name;
      return;
    default:
      if (s.managed_ran_) {
        enforceManaged(view, s, d, false);
        if (d.respond()) return;
      }
      stats_->add(ActionLabel::kPass);
      return;
  }
}

void Firewall::challenge(size_t rule, const RequestView& view, Scratch& s, Decision& d) const {
  const int bot = d.bot_score;
  d = Decision{};
  d.outcome = Outcome::kChallenge;
  d.rule = rules_->rules()[rule].spec.name;
  d.event_id = newEventId();
  d.bot_score = bot;
  challengeResponse(view, d);
  answer(rule, view, s, d);
}

void Firewall::answer(size_t rule, const RequestView& view, Scratch& s, const Decision& d) const {
  switch (d.outcome) {
    case Outcome::kBlock:
      stats_->add(ActionLabel::kBlock);
      logDecision("block", rule, view, s, d);
      break;
    case Outcome::kChallenge:
      stats_->add(ActionLabel::kChallenge);
      logDecision("challenge", rule, view, s, d);
      break;
    case Outcome::kRateLimited:
      stats_->add(ActionLabel::kRateLimited);
      logDecision("rate_limit", rule, view, s, d);
      break;
    case Outcome::kPass:
      return;  // not an answer
  }
  if (s.managed_ran_) logManaged(view, s, "custom_rule", false);
  stats_->blocked.fetch_add(1, std::memory_order_relaxed);
  runtime_[rule].stats->blocked.fetch_add(1, std::memory_order_relaxed);
  s.pending_.clear();  // the upstream will not answer: nothing to count on the response
}

void Firewall::onResponse(const RequestView& view, int status, Scratch& s) const {
  if (s.pending_.empty() || s.pending_owner_ != this) {
    s.pending_.clear();
    return;
  }
  fillRequest(view, s);
  s.request_.response_code = status;
  s.ctx_.reset(s.request_);
  for (const auto& p : s.pending_) {
    const auto& rule = rules_->rules()[p.rule];
    if (rule.counting_filter != nullptr && rule.counting_filter->matches(s.ctx_)) {
      runtime_[p.rule].limiter->count(p.key);
    }
  }
  s.pending_.clear();
}

void Firewall::logDecision(std::string_view what, size_t rule, const RequestView& view, Scratch& s,
                           const Decision& d) const {
  std::string line =
      "waf: " + std::string(what) + " rule=\"" + rules_->rules()[rule].spec.name + "\"";
  if (!d.event_id.empty()) line += " event=" + d.event_id;
  line += " request_id=" + std::string(view.request_id.empty() ? "-" : view.request_id);
  line += " client=" + std::string(view.client_ip);
  if (d.bot_score != 0) line += " bot_score=" + std::to_string(d.bot_score);
  line += " matched: " + rules_->describeMatch(rule, s.ctx_, 64);
  log::warn(line);
}

}  // namespace shipgate::firewall
