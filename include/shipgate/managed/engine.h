// Engine: the OWASP Core Rule Set (or any rule files in the SecRule subset seclang.h reads),
// compiled once per config snapshot into one immutable object, evaluated per request.
//
//   managed::CrsSettings s;  s.paranoia_level = 1;  s.inbound_threshold = 5;
//   std::vector<std::string> report;
//   auto engine = managed::Engine::load(s, &report);      // Result<shared_ptr<const Engine>>
//   // per worker thread:
//   auto scratch = (*engine)->newScratch();
//   managed::Verdict v;
//   (*engine)->evaluate(request_view, *scratch, v);
//   if (v.intercepted) ...                                   // the CRS's 949110 said deny
//
// Load order: the setup file (crs-setup.conf), then shipgate's own settings as one SecAction
// (tx.paranoia_level, tx.executing_paranoia_level, tx.inbound_anomaly_score_threshold, as
// crs-setup.conf's 900000/900110 would set them), then REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf
// when present, then rules_dir/*.conf in name order, then RESPONSE-999-... when present; the
// configured exclusions apply after everything is read, as SecRuleRemoveById /
// SecRuleUpdateTargetById placed after the CRS would. The rule files are used unchanged.
//
// Evaluation: phases 1 and 2 in order (the response phases are read but not evaluated: the
// gateway's error masking covers the response side; the report says so once), SecMarker /
// skipAfter / skip, chains, transformations, operators, setvar with macro expansion, capture,
// ctl (ruleRemoveById, ruleRemoveByTag, ruleRemoveTargetById, ruleRemoveTargetByTag, ruleEngine,
// and the request-body ones), anomaly scoring and the CRS's own blocking rule (949110).
// Disruptive actions: `block` takes SecDefaultAction's (pass, in the CRS's anomaly mode); `deny`
// and `drop` intercept (status from `status:`, else 403); `allow` stops the evaluation.
//
// An Engine is immutable and shared between threads (shared_ptr<const Engine>); each thread
// evaluates with its own Scratch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/managed/request_data.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::managed {

// One rule exclusion from shipgate's config (waf.managed_rules.crs.exclusions[]): by id range
// or by tag; without targets the rules are removed (SecRuleRemoveById / ByTag), with targets the
// targets are removed from them (SecRuleUpdateTargetById / ByTag with "!TARGET").
struct Exclusion {
  std::vector<IdRange> ids;     // "942100" or "942100-942199"
  std::string tag;              // "attack-sqli", "paranoia-level/2" (exact tag match)
  std::vector<Target> targets;  // ARGS:password, REQUEST_COOKIES:/^sess/ (no '!': implied)
  std::string where;            // "waf.managed_rules.crs.exclusions[2]" for messages
};

struct CrsSettings {
  std::string rules_dir = "/usr/share/modsecurity-crs/rules";
  std::string setup_file = "/etc/modsecurity/crs/crs-setup.conf";
  // Files read before rules_dir and after it when they exist (Debian's placement of the
  // exclusion templates): REQUEST-900-... and RESPONSE-999-... in the setup file's directory.
  bool include_exclusion_templates = true;
  int paranoia_level = 1;     // 1..4
  int inbound_threshold = 5;  // tx.inbound_anomaly_score_threshold
  std::vector<Exclusion> exclusions;
  // false: every @rx runs its PCRE and every @pm its own phrase scan on every value (no
  // per-chain prefilter, no combined @pm scan, no rule passed over from its step); for the
  // differential test that none of them ever loses a match.
  bool prefilter = true;
  // true: the match of a few FP-prone rules (942360, 932150, 932115, 932100) counts only when
  // a context check confirms it (src/managed/engine_confirm.h); false: the CRS's verdicts as
  // ModSecurity gives them.
  bool confirm_matches = true;
  // Extra rule text read after the CRS (tests, and `shipgate waf crs --rules`).
  std::vector<std::pair<std::string, std::string>> extra_files;  // (name, text)
};

// One rule that matched and logs (the CRS's attack and protocol rules; not its nolog
// bookkeeping rules).
struct MatchedRule {
  int64_t id = 0;
  std::string msg;          // expanded
  std::string data;         // logdata expanded, at most 200 bytes
  std::string severity;     // "CRITICAL"...
  std::string matched_var;  // MATCHED_VAR_NAME ("ARGS:id")
};

struct Verdict {
  std::vector<MatchedRule> matched;  // in firing order
  std::vector<int64_t> matched_ids;  // the same ids (cf.waf.managed.matched_rules)
  // The CRS's inbound scores after phase 2 (tx.anomaly_score and the per-category counters
  // tx.sql_injection_score, tx.xss_score, tx.rce_score, tx.lfi_score, tx.rfi_score,
  // tx.php_injection_score, tx.http_violation_score, tx.session_fixation_score).
  int64_t anomaly_score = 0;
  int64_t sqli = 0, xss = 0, rce = 0, lfi = 0, rfi = 0, php = 0, protocol = 0, session = 0;
  // Cloudflare-style attack scores, 1..99 (lower = more likely an attack): 99 when nothing
  // matched; see attackScore().
  int waf_score = 99, waf_sqli = 99, waf_xss = 99, waf_rce = 99;
  bool intercepted = false;  // a deny/drop action fired (949110 in the CRS)
  int status = 0;            // its status (403)
  int64_t intercepting_rule = 0;
  void clear();
};

// The 1..99 score for an anomaly score (CRS points: critical 5, error 4, warning 3, notice 2):
// max(1, 99 - 16 * points). One critical match (5) gives 19, Cloudflare's "attack" band (1-20);
// one error (4) 35 and one warning (3) 51 ("likely attack"); one notice (2) 67; 7 points or more 1.
int attackScore(int64_t anomaly_points);

class Engine {
 public:
  // Per worker thread: every per-request buffer (made by newScratch(), reused across requests).
  class Scratch {
   public:
    Scratch();
    ~Scratch();
    struct State;  // src/managed/engine_impl.h
    State& state() { return *state_; }

   private:
    std::unique_ptr<State> state_;
  };
  struct Impl;  // the compiled rule set (opaque; src/managed/engine_impl.h)
  // Reads and compiles the rule set. Errors (unreadable file, syntax error, unknown vocabulary,
  // a bad exclusion) fail the load with "file:line: what". `report`, when given, receives one
  // line per thing read but not evaluated ("REQUEST-910-IP-REPUTATION.conf:102: operator @rbl is
  // not evaluated: rule 910140 never matches"), and a summary line ("CRS 3.3.4: 621 rules, ...").
  static Result<std::shared_ptr<const Engine>> load(const CrsSettings& settings,
                                                    std::vector<std::string>* report = nullptr);
  ~Engine();

  std::unique_ptr<Scratch> newScratch() const;
  void evaluate(const HttpRequestView& request, Scratch& scratch, Verdict& out) const;

  const CrsSettings& settings() const { return settings_; }
  size_t ruleCount() const;  // rules that run at the configured paranoia level or below... all
                             // loaded rules (chains count once)
  std::string_view version() const;  // SecComponentSignature ("OWASP_CRS/3.3.4")

 private:
  Engine() = default;
  CrsSettings settings_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shipgate::managed
