// The managed rules in the firewall (see firewall.h): the CRS evaluated once per request before
// the custom rules (cf.waf.* come from its verdict), its block enforced after them, one log line
// per request a managed rule matched, and the shipgate_waf_managed_* series.
#include <string>

#include "firewall_stats.h"
#include "shipgate/common/log.h"
#include "shipgate/firewall/firewall.h"

namespace shipgate::firewall {
namespace {

constexpr std::string_view kManagedDecisions = "shipgate_waf_managed_decisions_total";
constexpr std::string_view kManagedMatches = "shipgate_waf_managed_matches_total";
constexpr std::string_view kManagedRules = "shipgate_waf_managed_rules";

// The CRS's attack category of a rule id, by its file's number (REQUEST-942-... = sqli).
std::string_view categoryOf(int64_t id) {
  switch (id / 1000) {
    case 911: return "method";
    case 913: return "scanner";
    case 920:
    case 921: return "protocol";
    case 930: return "lfi";
    case 931: return "rfi";
    case 932: return "rce";
    case 933: return "php";
    case 934: return "generic";
    case 941: return "xss";
    case 942: return "sqli";
    case 943: return "session_fixation";
    case 944: return "java";
    case 949:
    case 959:
    case 980: return "anomaly";
    default: return "other";
  }
}

constexpr std::string_view kCategories[] = {"method", "scanner", "protocol", "lfi",
                                            "rfi", "rce", "php", "generic", "xss", "sqli",
                                            "session_fixation", "java", "anomaly", "other"};

size_t categoryIndex(std::string_view c) {
  for (size_t i = 0; i < std::size(kCategories); ++i) {
    if (kCategories[i] == c) return i;
  }
  return std::size(kCategories) - 1;
}

// Log-safe text: printable ASCII, '"' and '\' escaped, cut to `max` bytes ("..." when cut).
void appendSafe(std::string& out, std::string_view s, size_t max) {
  size_t n = 0;
  for (char c : s) {
    if (n++ >= max) {
      out += "...";
      return;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

// shipgate_waf_managed_decisions_total{action}, shipgate_waf_managed_matches_total{category},
// shipgate_waf_managed_rules{paranoia_level} (a gauge: the rules loaded).
struct ManagedStats {
  std::atomic<uint64_t>* block = nullptr;
  std::atomic<uint64_t>* log = nullptr;
  std::atomic<uint64_t>* pass = nullptr;
  std::atomic<uint64_t>* matches[std::size(kCategories)] = {};

  static std::shared_ptr<ManagedStats> create(metrics::Registry& r, const managed::Engine& e) {
    r.describe(kManagedDecisions,
               "Requests the managed rules (OWASP CRS) matched, by what the gateway did: block, "
               "log (the CRS would block; action log), pass (under the threshold, or exempted by "
               "a custom allow/skip rule).");
    r.describe(kManagedMatches, "Managed rule matches by attack category.");
    r.describe(kManagedRules, "Managed rules loaded, by paranoia level configured.",
               metrics::Kind::kGauge);
    auto s = std::make_shared<ManagedStats>();
    s->block = &r.counter(kManagedDecisions, {{"action", "block"}}).cell();
    s->log = &r.counter(kManagedDecisions, {{"action", "log"}}).cell();
    s->pass = &r.counter(kManagedDecisions, {{"action", "pass"}}).cell();
    for (size_t i = 0; i < std::size(kCategories); ++i) {
      s->matches[i] = &r.counter(kManagedMatches, {{"category", std::string(kCategories[i])}}).cell();
    }
    r.counter(kManagedRules, {{"paranoia_level", std::to_string(e.settings().paranoia_level)}})
        .cell()
        .store(e.ruleCount(), std::memory_order_relaxed);
    return s;
  }
};

std::shared_ptr<ManagedStats> createManagedStats(metrics::Registry& r, const managed::Engine& e) {
  return ManagedStats::create(r, e);
}

namespace {

// The engine's scratch of the calling thread: every engine buffer of one evaluation (transform
// cache, collections, Hyperscan scratch). Engine::evaluate uses it only for the length of the
// call, so one per thread serves every request the thread evaluates, whichever
// firewall::Scratch the request holds: the gateway keeps one firewall::Scratch per request in
// flight (per busy keep-alive connection), and rotating through 64 engine scratches left each
// request a cold one (bench/managed/gateway_mix_bench: 110 us per request against 71 us with
// one). The scratch is sized for one engine; the thread remembers that engine weakly, so a
// reload that drops it (the CRS turned off, or its settings changed) frees it even though
// worker threads live on. The comparison is by control block (owner_before), which a weak_ptr
// keeps allocated: an engine made at a freed one's address is still a different owner. The
// scratch itself (Hyperscan scratch and buffers, no pointer into the engine) is remade on the
// thread's next request with another engine, and freed when the thread exits.
class ThreadEngineScratch {
 public:
  managed::Engine::Scratch& forEngine(const std::shared_ptr<const managed::Engine>& engine) {
    if (scratch_ == nullptr || owner_.owner_before(engine) || engine.owner_before(owner_)) {
      scratch_ = engine->newScratch();
      owner_ = engine;
    }
    return *scratch_;
  }

 private:
  std::weak_ptr<const managed::Engine> owner_;
  std::unique_ptr<managed::Engine::Scratch> scratch_;
};

managed::Engine::Scratch& threadEngineScratch(const std::shared_ptr<const managed::Engine>& e) {
  thread_local ThreadEngineScratch scratch;
  return scratch.forEngine(e);
}

}  // namespace

void Firewall::evaluateManaged(const RequestView& view, Scratch& s) const {
  managed::HttpRequestView r;
  r.method = view.method;
  r.uri = view.target;
  r.protocol = view.http_major >= 2 ? "HTTP/2.0" : view.http_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  r.headers = view.headers;
  r.body = view.body.substr(0, std::min(view.body.size(), crs_body_bytes_));
  const int64_t declared = view.body_size > 0 ? view.body_size : 0;
  r.body_complete = r.body.size() == view.body.size() &&
                    static_cast<int64_t>(r.body.size()) >= declared;
  r.client_ip = view.client_ip;
  r.client_port = view.client_port;
  r.server_port = view.server_port;
  r.unique_id = view.request_id;
  managed::Verdict& v = s.managed_verdict_;
  v.clear();
  crs_->evaluate(r, threadEngineScratch(crs_), v);
  s.managed_ran_ = true;
  waf::Request& q = s.request_;
  q.waf_score = v.waf_score;
  q.waf_score_sqli = v.waf_sqli;
  q.waf_score_xss = v.waf_xss;
  q.waf_score_rce = v.waf_rce;
  q.managed_matched_rules = v.matched_ids;
  if (managed_stats_ != nullptr) {
    for (int64_t id : v.matched_ids) {
      managed_stats_->matches[categoryIndex(categoryOf(id))]->fetch_add(
          1, std::memory_order_relaxed);
    }
  }
}

void Firewall::enforceManaged(const RequestView& view, Scratch& s, Decision& d,
                              bool exempt) const {
  const managed::Verdict& v = s.managed_verdict_;
  if (v.matched.empty() && !v.intercepted) return;
  if (v.intercepted && !exempt && crs_block_) {
    const int bot = d.bot_score;
    d = Decision{};
    d.outcome = Outcome::kBlock;
    d.bot_score = bot;
    d.rule = "managed:crs";
    d.event_id = view.request_id.empty() ? newEventId() : std::string(view.request_id);
    managedBlockResponse(view, v, d);
    managed_stats_->block->fetch_add(1, std::memory_order_relaxed);
    stats_->add(ActionLabel::kBlock);
    stats_->blocked.fetch_add(1, std::memory_order_relaxed);
    s.pending_.clear();
    logManaged(view, s, "block", true);
    return;
  }
  if (v.intercepted && !exempt) {
    managed_stats_->log->fetch_add(1, std::memory_order_relaxed);
    logManaged(view, s, "log", false);
    return;
  }
  managed_stats_->pass->fetch_add(1, std::memory_order_relaxed);
  logManaged(view, s, exempt ? "exempt" : "pass", false);
}

void Firewall::logManaged(const RequestView& view, const Scratch& s, std::string_view action,
                          bool warn) const {
  const managed::Verdict& v = s.managed_verdict_;
  if (v.matched.empty() && !v.intercepted) return;
  // An info line nobody will see is not formatted: a benign request that only trips a warning
  // rule (920350, a numeric Host, on every request to an address) is the common case.
  if (!warn && log::level() > log::Level::kInfo) return;
  std::string line = "waf managed: request_id=";
  line.append(view.request_id.empty() ? "-" : view.request_id);
  line += " action=";
  line += action;
  line += " anomaly=" + std::to_string(v.anomaly_score);
  line += " score=" + std::to_string(v.waf_score) + " sqli=" + std::to_string(v.sqli) +
          " xss=" + std::to_string(v.xss) + " rce=" + std::to_string(v.rce);
  line += " client=";
  line.append(view.client_ip);
  line += " rules=";
  bool first = true;
  for (int64_t id : v.matched_ids) {
    if (!first) line.push_back(',');
    first = false;
    line += std::to_string(id);
  }
  if (v.intercepted) {
    bool listed = false;
    for (int64_t id : v.matched_ids) listed = listed || id == v.intercepting_rule;
    if (!listed && v.intercepting_rule != 0) {
      if (!first) line.push_back(',');
      line += std::to_string(v.intercepting_rule);
    }
  }
  line += " matched:";
  size_t shown = 0;
  for (const auto& m : v.matched) {
    if (shown++ == 8) {
      line += " ...";
      break;
    }
    line += " " + std::to_string(m.id) + " " + m.matched_var + "=\"";
    appendSafe(line, m.data, 64);
    line += "\";";
  }
  if (warn) {
    log::warn(line);
  } else {
    log::info(line);
  }
}

}  // namespace shipgate::firewall
