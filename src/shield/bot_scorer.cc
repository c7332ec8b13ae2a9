// BotScorer: heuristic bot score from request features. See bot_scorer.h for the signal table.
#include "shipgate/shield/bot_scorer.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>

#include "bot_signals.h"
#include "cidr.h"
#include "shipgate/common/hash.h"
#include "shipgate/common/strings.h"

namespace shipgate::shield {
namespace {

std::atomic<uint64_t> g_next_scorer_id{1};

// What the scorer learns from a user agent alone: its class and which of the first 64 verified
// bots' substrings it contains (bit i: verified bot i).
struct UaFacts {
  UaInfo info;
  uint64_t verified_mask = 0;
};

// UaFacts per (scorer, user agent), kept per thread in a small direct-mapped cache: a gateway
// sees the same few user agents over and over. `compute` runs on a miss; UAs over 512 bytes
// are not cached.
template <class Compute>
UaFacts cachedUaFacts(uint64_t scorer_id, std::string_view ua, Compute&& compute) {
  constexpr size_t kSlots = 256;
  constexpr size_t kMaxCached = 512;
  struct Slot {
    std::string ua;
    uint64_t scorer_id = 0;  // 0: empty
    UaFacts facts;
  };
  if (ua.size() > kMaxCached) return compute();
  thread_local std::array<Slot, kSlots> cache;
  Slot& slot = cache[hashBytes(ua) % kSlots];
  if (slot.scorer_id == scorer_id && slot.ua == ua) return slot.facts;
  slot.facts = compute();
  slot.ua.assign(ua);
  slot.scorer_id = scorer_id;
  return slot.facts;
}

// "curl/" -> "curl": the matched token without its trailing separator.
std::string familyName(std::string_view token) {
  while (!token.empty() && (token.back() == '/' || token.back() == ';')) token.remove_suffix(1);
  return std::string(token);
}

// A header name (or prefix) of 4 to 16 lower-case bytes, compared ignoring ASCII case with two
// fixed-size loads (its first and its last 8 bytes, or 4 below 8, overlapping when shorter than
// 16): a letter position compares with 0x20 ORed in ('A'-'Z' -> 'a'-'z', nothing else maps onto
// a letter), any other position exactly.
class LowerName {
 public:
  explicit constexpr LowerName(std::string_view lower)
      : size_(lower.size()), width_(lower.size() >= 8 ? 8 : 4) {
    for (size_t i = 0; i < width_; ++i) {
      put(lower[i], i, head_, head_mask_);
      put(lower[size_ - width_ + i], i, tail_, tail_mask_);
    }
  }
  bool equals(std::string_view name) const { return name.size() == size_ && prefixOf(name); }
  // REQUIRES: name.size() >= size().
  bool prefixOf(std::string_view name) const {
    const char* p = name.data();
    uint64_t head = 0, tail = 0;
    if (width_ == 8) {
      std::memcpy(&head, p, 8);
      std::memcpy(&tail, p + size_ - 8, 8);
    } else {
      uint32_t h, t;
      std::memcpy(&h, p, 4);
      std::memcpy(&t, p + size_ - 4, 4);
      head = h;
      tail = t;
    }
    return ((head | head_mask_) == head_) & ((tail | tail_mask_) == tail_);
  }
  size_t size() const { return size_; }

 private:
  static constexpr void put(char ch, size_t i, uint64_t& word, uint64_t& mask) {
    const auto c = static_cast<uint64_t>(static_cast<unsigned char>(ch));
    word |= c << (8 * i);  // little-endian: byte i of the load
    if (c >= 'a' && c <= 'z') mask |= uint64_t{0x20} << (8 * i);
  }
  size_t size_;
  size_t width_;
  uint64_t head_ = 0, head_mask_ = 0, tail_ = 0, tail_mask_ = 0;
};
static_assert(std::endian::native == std::endian::little);

constexpr LowerName kAccept("accept"), kUserAgent("user-agent"), kConnection("connection"),
    kAcceptLanguage("accept-language"), kAcceptEncoding("accept-encoding"),
    kSecFetch("sec-fetch-"), kSecChUa("sec-ch-ua");

}  // namespace

struct BotScorer::VerifiedBot {
  std::string name;
  std::string ua_substring;
  std::vector<Cidr> cidrs;
};

std::vector<VerifiedBotConfig> defaultVerifiedBots() {
  return {
      {"googlebot", "Googlebot", {"66.249.64.0/19", "2001:4860:4801::/48"}},
      {"bingbot", "bingbot", {"157.55.39.0/24", "207.46.13.0/24", "40.77.167.0/24"}},
  };
}

void BotFeatures::addHeader(std::string_view name, std::string_view value) {
  if (header_count++ == 0) first_header = name;
  // Dispatch on the length first: most headers match none of these and cost one switch.
  switch (name.size()) {
    case 6:
      if (kAccept.equals(name)) return void(accept = value);
      break;
    case 10:
      if (kUserAgent.equals(name)) return void(user_agent = value);
      if (kConnection.equals(name)) return void(connection = value);
      break;
    case 15:
      if (kAcceptLanguage.equals(name)) return void(accept_language = value);
      if (kAcceptEncoding.equals(name)) return void(accept_encoding = value);
      break;  // Sec-CH-UA-Model is 15 bytes too
    default:
      break;
  }
  if (name.size() < kSecChUa.size() || (name[0] | 0x20) != 's') return;
  if (name.size() >= kSecFetch.size() && kSecFetch.prefixOf(name)) {
    has_sec_fetch = true;
  } else if (kSecChUa.prefixOf(name)) {
    has_sec_ch_ua = true;
  }
}

std::string BotScore::describe() const {
  std::string out = "score=" + std::to_string(score);
  if (verified_bot) out += " verified_bot=" + verified_bot_name;
  out += " signals=";
  for (size_t i = 0; i < signals.size(); ++i) {
    if (i) out += ',';
    out += signals[i].name;
    out += '(';
    out += (signals[i].weight > 0 ? "+" : "") + std::to_string(signals[i].weight);
    if (!signals[i].detail.empty()) out += ":" + signals[i].detail;
    out += ')';
  }
  return out;
}

BotScorer::BotScorer(BotScorerConfig config)
    : config_(std::move(config)), id_(g_next_scorer_id.fetch_add(1, std::memory_order_relaxed)) {}
BotScorer::~BotScorer() = default;

Result<std::unique_ptr<BotScorer>> BotScorer::create(BotScorerConfig config) {
  if (config.base_score < 1 || config.base_score > 99) {
    return Status::invalidArgument("bot score: base_score must be in 1..99");
  }
  if (config.high_rate_per_minute <= 0 ||
      config.very_high_rate_per_minute < config.high_rate_per_minute) {
    return Status::invalidArgument(
        "bot score: need 0 < high_rate_per_minute <= very_high_rate_per_minute");
  }
  std::vector<VerifiedBot> bots;
  for (const auto& b : config.verified_bots) {
    if (b.user_agent_substring.empty()) {
      return Status::invalidArgument("verified bot \"" + b.name + "\": empty user_agent");
    }
    if (b.cidrs.empty()) {
      return Status::invalidArgument("verified bot \"" + b.name + "\": no source CIDRs");
    }
    VerifiedBot vb{b.name, b.user_agent_substring, {}};
    for (const auto& c : b.cidrs) {
      auto parsed = Cidr::parse(c);
      if (!parsed) {
        return Status::invalidArgument("verified bot \"" + b.name +
                                       "\": " + parsed.status().message());
      }
      vb.cidrs.push_back(*parsed);
    }
    bots.push_back(std::move(vb));
  }
  auto scorer = std::unique_ptr<BotScorer>(new BotScorer(std::move(config)));
  scorer->verified_ = std::move(bots);
  return scorer;
}

BotScore BotScorer::score(const BotFeatures& f) const {
  BotScore out;
  score(f, out);
  return out;
}

void BotScorer::score(const BotFeatures& f, BotScore& out) const {
  const BotWeights& w = config_.weights;
  out.score = 0;
  out.verified_bot = false;
  out.verified_bot_name.clear();
  out.signals.clear();
  auto fire = [&out](std::string_view name, int weight, std::string detail = {}) {
    out.signals.push_back(BotSignal{name, weight, std::move(detail)});
  };

  std::string_view ua = f.user_agent.value_or(std::string_view());
  const UaFacts facts = cachedUaFacts(id_, ua, [&] {
    UaFacts computed{classifyUserAgent(ua), 0};
    for (size_t i = 0; i < verified_.size() && i < 64; ++i) {
      if (ua.find(verified_[i].ua_substring) != std::string_view::npos) {
        computed.verified_mask |= uint64_t{1} << i;
      }
    }
    return computed;
  });
  const UaInfo& info = facts.info;
  switch (info.cls) {
    case UaClass::kEmpty:
      fire("ua_empty", w.ua_empty, f.user_agent ? "empty" : "absent");
      break;
    case UaClass::kAttackTool:
      fire("ua_attack_tool", w.ua_attack_tool, familyName(info.family));
      break;
    case UaClass::kHeadless:
      fire("ua_headless", w.ua_headless, familyName(info.family));
      break;
    case UaClass::kAutomationTool:
      fire("ua_automation_tool", w.ua_automation_tool, familyName(info.family));
      break;
    case UaClass::kCrawler:
      fire("ua_crawler", w.ua_crawler, familyName(info.family));
      break;
    default:
      break;
  }

  if (info.cls == UaClass::kBrowser) {
    size_t before = out.signals.size();
    bool chromium = info.browser == BrowserKind::kChrome || info.browser == BrowserKind::kEdge;
    if (chromium && info.major >= 90 && f.tls && !f.has_sec_ch_ua) {
      fire("chrome_without_client_hints", w.chrome_without_client_hints,
           std::string(info.family) + "/" + std::to_string(info.major));
    }
    if (!f.accept_language) {
      fire("browser_missing_accept_language", w.browser_missing_accept_language);
    }
    if (!f.accept_encoding) {
      fire("browser_missing_accept_encoding", w.browser_missing_accept_encoding);
    }
    if (!f.accept) fire("browser_missing_accept", w.browser_missing_accept);
    bool modern = (chromium && info.major >= 80) ||
                  (info.browser == BrowserKind::kFirefox && info.major >= 90) ||
                  (info.browser == BrowserKind::kSafari &&
                   (info.major > 16 || (info.major == 16 && info.minor >= 4)));
    if (modern && f.tls && !f.has_sec_fetch) {
      fire("browser_missing_sec_fetch", w.browser_missing_sec_fetch);
    }
    if (f.http_major == 1 && f.header_count > 0 && !equalsIgnoreCase(f.first_header, "host")) {
      fire("header_order_unusual", w.header_order_unusual,
           "first header: " + std::string(f.first_header.substr(0, 40)));
    }
    if (f.http_major == 1 && f.connection && containsLowerNeedle(*f.connection, "close")) {
      fire("browser_connection_close", w.browser_connection_close);
    }
    if (out.signals.size() == before)
      fire("browser_consistent", w.browser_consistent, std::string(info.family));
  }

  if (f.requests_per_minute && std::isfinite(*f.requests_per_minute)) {
    double rpm = *f.requests_per_minute;
    // The detail is formatted only when a rate signal fires (most requests fire none).
    auto detail = [rpm] {
      return std::to_string(static_cast<int64_t>(std::min(rpm, 1e15))) + "/min";
    };
    if (rpm > static_cast<double>(config_.very_high_rate_per_minute)) {
      fire("rate_very_high", w.rate_very_high, detail());
    } else if (rpm > static_cast<double>(config_.high_rate_per_minute)) {
      fire("rate_high", w.rate_high, detail());
    }
  }

  if (f.valid_challenge_cookie) fire("challenge_passed", w.challenge_passed);

  // Verified bots: UA substring and source CIDR must both match; a UA match alone is a spoof.
  const VerifiedBot* claimed = nullptr;
  std::optional<std::optional<IpBytes>> parsed;  // parsed on the first UA match only
  for (size_t i = 0; i < verified_.size(); ++i) {
    const VerifiedBot& b = verified_[i];
    const bool listed = i < 64 ? ((facts.verified_mask >> i) & 1) != 0
                               : ua.find(b.ua_substring) != std::string_view::npos;
    if (!listed) continue;
    if (!claimed) claimed = &b;
    if (!parsed) parsed = parseIp(f.client_ip);
    const auto& ip = *parsed;
    bool in_range = ip && std::any_of(b.cidrs.begin(), b.cidrs.end(),
                                      [&](const Cidr& c) { return c.contains(*ip); });
    if (in_range) {
      out.verified_bot = true;
      out.verified_bot_name = b.name;
      break;
    }
  }
  if (claimed && !out.verified_bot) {
    fire("verified_bot_spoofed", w.verified_bot_spoofed,
         claimed->name + " from " + std::string(f.client_ip.substr(0, 45)));
  }

  int total = config_.base_score;
  for (const auto& s : out.signals) total += s.weight;
  out.score = std::clamp(total, 1, 99);
}

}  // namespace shipgate::shield
