// The configuration model: plain, immutable-after-load data that config/loader.h fills from YAML.
// It holds what is config-wide (server, listeners, admin, logging and limits), the seed's blocks
// the loader reads verbatim, and the section registry: the typed settings each area's
// SectionValidator (section.h) read and validated from its own section (health: checks;
// traffic: apps and sites; firewall: compiled rules). Nothing here does I/O. Durations are
// milliseconds. A Config is shared read-only between threads once loaded (shared_ptr<const>).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shipgate::config {

using Millis = std::chrono::milliseconds;

// Where a value came from, for error messages: "file:line:column".
struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
  std::string toString() const;
};

// host:port. host may be an IPv4/IPv6 literal or a name; "*" / "0.0.0.0" / "::" bind everywhere.
struct HostPort {
  std::string host;
  uint16_t port = 0;  // 0 = pick a free port (tests)
  std::string toString() const;
};

struct Limits {
  size_t max_header_bytes = 16 * 1024;        // request line + headers; over it: 431
  size_t max_body_bytes = 10 * 1024 * 1024;   // request body; over it: 413
  Millis header_timeout{10'000};              // whole header must arrive in this time: 408
  Millis body_timeout{60'000};                // max gap between body reads: 408
  Millis idle_timeout{60'000};                // keep-alive idle: close silently
  Millis drain_timeout{30'000};               // graceful shutdown: in-flight requests get this long
  // Per process. At the cap a new connection first takes the place of the oldest idle keep-alive
  // connection, then of the oldest that has not completed a request (silent first, then partial
  // headers); only when there is none is it closed right away.
  size_t max_connections = 10'000;
  Millis first_byte_timeout{5'000};           // a new connection that sends nothing: closed
  size_t max_connections_per_ip = 0;          // per client address, per process; 0 = no limit
  Location where;  // of max_connections, else of the limits block (diagnostics about the cap)
  Millis send_timeout{60'000};                // max gap between two successful writes to a client
                                              // with output pending: the client is closed
  size_t response_buffer_bytes = 64 * 1024;   // response bytes queued per client connection before
                                              // the proxy stops reading its upstream
};

enum class LogLevel { kDebug, kInfo, kWarn, kError };
const char* logLevelName(LogLevel level);  // "debug", "info", "warn", "error"

struct LogConfig {
  bool access_log = false;           // JSON lines, buffered
  std::string access_log_path;       // empty + access_log: stdout
  std::string error_log_path;        // empty: stderr
  LogLevel level = LogLevel::kInfo;
};

struct ServerConfig {
  int workers = 0;                   // 0 = number of cores
  std::string user;                  // drop to this user after binding when started as root
  bool allow_root = false;           // serve as root anyway
  Limits limits;
  LogConfig log;
};

struct TlsCertificate {
  std::string cert_file;  // PEM chain; SNI names come from its SAN/CN
  std::string key_file;
};

struct ListenerConfig {
  std::string name;
  HostPort address;
  std::vector<TlsCertificate> tls;   // empty = plain HTTP; first certificate is the default
  bool isTls() const { return !tls.empty(); }
  Location where;
};

struct AdminConfig {
  bool enabled = true;               // the loader sets false when the config has no admin block
  HostPort address{"127.0.0.1", 9901};
  std::string token_file;            // bearer token (file content, trimmed); required when enabled
  Location where;
};

// How a region takes traffic when the regions before it fail: the seed's health_checks block
// names one per region, and an app's regions (traffic/traffic_config.h) take it as their default.
enum class FailoverPolicy { kAutomatic, kManualApproval };

// ---- The seed's blocks, loaded verbatim. ----

// What a security rule does when it matches (Cloudflare's actions).
enum class RuleAction { kBlock, kChallenge, kLog, kSkip, kAllow, kRateLimit };
const char* ruleActionName(RuleAction action);  // "block", ..., "rate_limit"
// What a rate limit does to a client over its rate.
enum class RateLimitAction { kBlock, kChallenge, kLog };
const char* rateLimitActionName(RateLimitAction action);  // "block", "challenge", "log"

// A block response (waf.block defaults, or a rule's own block:). The body is a template:
// {rule} and {event_id} are replaced (HTML-escaped in text/html bodies).
struct WafBlockResponse {
  int status = 403;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;                  // empty = the built-in page
};

// Cloudflare's structured rate limit (security_rules[].ratelimit). The shorthand
// rate_limit: "100req/min" stays text in SecurityRule::rate_limit; the firewall's section
// validator turns it into this (characteristics [ip.src], mitigation_timeout 0, action block).
struct WafRateLimit {
  // ip.src, http.host, http.request.uri.path, http.request.headers["name"],
  // http.request.cookies["name"], http.request.uri.args["name"].
  std::vector<std::string> characteristics{"ip.src"};
  int64_t period_seconds = 60;
  int64_t requests_per_period = 0;
  int64_t mitigation_timeout_seconds = 0;
  std::string counting_expression;   // empty = count what the rule matches
  Location counting_expression_where;
  RateLimitAction action = RateLimitAction::kBlock;  // block answers 429
};

struct SecurityRule {                // security_rules[]
  std::string name;
  std::string expression;            // Cloudflare Rules language
  RuleAction action = RuleAction::kBlock;
  std::string rate_limit;            // "100req/min" shorthand, when action == rate_limit
  Location rate_limit_where;         // the shorthand scalar
  Location where;
  Location expression_where;         // the expression scalar (its opening quote when quoted)
  // Extensions beyond the seed's four keys.
  std::optional<std::vector<std::string>> normalize;  // nullopt = waf.normalize
  bool enabled = true;
  std::string description;
  std::optional<WafBlockResponse> block;  // action block: overrides waf.block
  std::vector<std::string> skip_rules;    // action skip: named rules; empty = skip the rest
  std::optional<WafRateLimit> ratelimit;  // action rate_limit: from ratelimit:
};

struct WafVerifiedBot {
  std::string name;
  std::string user_agent;            // case-sensitive substring
  std::vector<std::string> cidrs;
};

// waf.managed_rules.crs.exclusions[]: removes rules (by id or id range, or by tag) or, with
// targets, removes those targets from them (the CRS's SecRuleRemoveById / SecRuleUpdateTargetById
// semantics). Exactly one of id / ids / tag. Kept as text; the firewall's section validator
// parses the ranges and targets (managed::parseIdRanges / parseTargets).
struct WafCrsExclusion {
  std::string ids;                   // "942100" (from id:) or "942100-942199,920300" (ids:)
  std::string tag;                   // "attack-sqli"
  std::vector<std::string> targets;  // "ARGS:password", "REQUEST_COOKIES:/^sess/"
  Location where;
  Location ids_where;                // the id/ids scalar
  std::vector<Location> targets_where;
};

// waf.managed_rules.crs: the OWASP Core Rule Set, run by shipgate's managed-rules engine.
enum class CrsAction { kBlock, kLog };
struct WafCrsConfig {
  int paranoia_level = 1;            // 1..4
  int inbound_threshold = 5;         // >= 1
  CrsAction action = CrsAction::kBlock;
  std::string rules_dir = "/usr/share/modsecurity-crs/rules";
  std::string setup_file = "/etc/modsecurity/crs/crs-setup.conf";
  // The request body the managed rules see (ModSecurity's SecRequestBodyNoFilesLimit).
  size_t body_bytes = 131072;
  std::vector<WafCrsExclusion> exclusions;
  // A context check of shipgate's own confirms the matches of a few FP-prone rules (942360,
  // 932150, 932115, 932100; src/managed/engine_confirm.h); false: the CRS's own verdicts.
  bool confirm_matches = true;
  Location where;
};

struct WafConfig {
  // Default: on when security_rules has rules. `waf: {enabled: false}` turns it off.
  std::optional<bool> enabled;
  // The rule set's default normalisers (a rule's normalize: overrides; [] = none).
  std::vector<std::string> normalize{"url_decode", "lower", "compress_whitespace",
                                     "strip_comments"};
  size_t body_bytes = 8192;          // first N bytes of the body the rules see
  // Engine limits (waf::ParserSettings).
  size_t max_expression_length = 4096;
  int max_nesting_depth = 64;
  size_t max_regex_length = 1024;
  size_t max_set_size = 4096;
  std::map<std::string, std::vector<std::string>> lists;  // `in $name`
  WafBlockResponse block;
  std::string challenge_secret;      // empty = random per process
  int challenge_difficulty_bits = 16;
  int64_t challenge_ttl_s = 3600;
  std::optional<std::vector<WafVerifiedBot>> verified_bots;  // nullopt = built-in defaults
  // Per-client request rates above which the bot score's rate_high / rate_very_high fire.
  int64_t bot_high_rate_per_minute = 120;
  int64_t bot_very_high_rate_per_minute = 600;
  size_t rate_limit_max_keys = 100'000;  // per rate-limit rule
  // waf.rate_limit.store: "" = per-node counters; "redis://[:password@]host:port[/db]" or
  // "unix:/path/to/redis.sock[?db=N]" = counters shared through Redis (the firewall's section
  // validates the URL: shield::parseRedisUrl). rate_limit_store_timeout: how long a request
  // waits for Redis before the per-node counters decide it.
  std::string rate_limit_store;
  Location rate_limit_store_where;
  Millis rate_limit_store_timeout{50};
  // waf.managed_rules.crs; nullopt = no managed rules (cf.waf.* fields are then a config error).
  std::optional<WafCrsConfig> crs;
  // waf.mask_upstream_errors: an upstream 5xx answer carrying database or stack-trace text is
  // replaced by a generic error page with the request id (logged in full on the gateway).
  bool mask_upstream_errors = false;
  Location where;
};

struct RegionHealthCheck {           // health_checks.<name>
  std::string name;                  // primary, secondary, ...
  std::string region;
  std::string endpoint;              // URL
  FailoverPolicy failover = FailoverPolicy::kAutomatic;
  Location where;
};

struct Diagnostic {
  enum class Severity { kWarning, kError };
  Severity severity = Severity::kWarning;
  Location where;
  std::string message;
  std::string toString() const;      // "file:line:col: warning: message"
};

// Typed settings an area derived from its section of a Config (see section.h); each area derives
// its own type from this one. Immutable once stored.
class SectionSettings {
 public:
  virtual ~SectionSettings() = default;
};

struct Config {
  std::string source_file;
  ServerConfig server;
  std::vector<ListenerConfig> listeners;
  AdminConfig admin;
  std::vector<SecurityRule> security_rules;
  WafConfig waf;
  std::vector<RegionHealthCheck> health_checks;
  std::map<std::string, std::string> quality_gates;       // read by gates/gates_config.h
  std::map<std::string, std::string> container_security;  // policy/container_policy.h, runtime/run_as.h, gates_config.h
  std::vector<Diagnostic> warnings;  // non-fatal findings from the loader
  // The settings each SectionValidator given to the loader returned, by its key() (section.h):
  // "health" (checks:), "traffic" (apps:, sites:), "firewall". Copies of a Config share them.
  std::map<std::string, std::shared_ptr<const SectionSettings>, std::less<>> sections;

  // The settings stored under `key` as T; null when absent or of another type.
  template <typename T>
  std::shared_ptr<const T> section(std::string_view key) const {
    auto it = sections.find(key);
    return it == sections.end() ? nullptr : std::dynamic_pointer_cast<const T>(it->second);
  }

  // The settings stored under `key` as T, or T's defaults when absent (an area's `...ConfigOf`).
  template <typename T>
  const T& sectionOrDefault(std::string_view key) const {
    static const T kDefaults;
    auto settings = section<T>(key);
    return settings != nullptr ? *settings : kDefaults;
  }

  // Tests only: the settings under `key` as a T this Config alone holds, to edit in place (a
  // copy of what was there, or of T's defaults, when they are shared or absent).
  template <typename T>
  T& mutableSectionForTest(std::string_view key) {
    auto it = sections.find(key);
    if (it != sections.end() && it->second.use_count() == 1) {
      auto* settings = dynamic_cast<const T*>(it->second.get());
      if (settings != nullptr) return const_cast<T&>(*settings);
    }
    auto copy = std::make_shared<T>(sectionOrDefault<T>(key));
    sections[std::string(key)] = copy;
    return *copy;
  }
};

}  // namespace shipgate::config
