// `shipgate waf test` and `shipgate waf fmt`: try the WAF on one request without a running
// server (the custom rules and, with waf.managed_rules, the OWASP CRS: its matched rules, anomaly
// scores, cf.waf.* scores and decision), and print rules in canonical form. Exit codes: waf test 0 = the request would pass,
// 1 = blocked / challenged / rate limited, 2 = usage or config error; waf fmt 0 / 2.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "commands.h"
#include "shipgate/common/clock.h"
#include "shipgate/common/log.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/firewall/rule_specs.h"
#include "shipgate/waf/parser.h"
#include "shipgate/waf/request.h"

namespace shipgate::cli {
namespace {

// Loads the config; prints errors (not warnings) and returns null on failure.
std::shared_ptr<const config::Config> loadConfig(const std::string& path, const char* command) {
  config::LoadResult loaded = config::loadFile(path, configSections());
  bool failed = loaded.hasErrors() || loaded.config == nullptr;
  if (failed) {
    for (const auto& d : loaded.diagnostics) {
      if (d.severity == config::Diagnostic::Severity::kError) std::cerr << d.toString() << "\n";
    }
    std::cerr << command << ": " << path << ": invalid config\n";
    return nullptr;
  }
  return std::move(loaded.config);
}

std::string_view verdictName(waf::Verdict v) {
  switch (v) {
    case waf::Verdict::kNotEvaluated:
      return "not evaluated";
    case waf::Verdict::kSkipped:
      return "skipped";
    case waf::Verdict::kDisabled:
      return "disabled";
    case waf::Verdict::kNoMatch:
      return "no match";
    case waf::Verdict::kMatch:
      return "match";
  }
  return "?";
}

// " line N:" for a parse error: the request line is line 1; a message quoting a header line
// ("bad header line: X") points at the first line holding X. "" when unknown.
std::string lineOfProblem(std::string_view text, const std::string& message) {
  if (message.find("request line") != std::string::npos) return " line 1:";
  size_t colon = message.rfind(": ");
  if (colon == std::string::npos) return "";
  std::string needle = message.substr(colon + 2);
  if (needle.empty()) return "";
  size_t at = text.find(needle);
  if (at == std::string_view::npos) return "";
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return " line " + std::to_string(line) + ":";
}

// Builds the request from --request FILE or --url/-H/-X/--body. Prints the problem on failure.
std::unique_ptr<waf::OwnedRequest> buildRequest(const WafTestOptions& o, bool& tls) {
  if (!o.request_file.empty()) {
    std::ifstream in(o.request_file, std::ios::binary);
    if (!in) {
      std::cerr << "shipgate waf test: cannot read request file \"" << o.request_file << "\"\n";
      return nullptr;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = waf::parseRawHttpRequest(text);
    if (!parsed.isOk()) {
      std::cerr << "shipgate waf test: " << o.request_file << ":"
                << lineOfProblem(text, parsed.status().message())
                << " not a raw HTTP request: " << parsed.status().message() << "\n";
      return nullptr;
    }
    return std::move(parsed.value());
  }
  std::string target = o.url;
  std::string host;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.rfind(scheme, 0) != 0) continue;
    tls = scheme == "https://";
    std::string rest = target.substr(scheme.size());
    size_t slash = rest.find_first_of("/?");
    host = rest.substr(0, slash);
    target = slash == std::string::npos ? "/" : rest.substr(slash);
    if (target.front() == '?') target = "/" + target;
  }
  if (target.empty() || (target.front() != '/' && target != "*")) {
    std::cerr << "shipgate waf test: --url \"" << o.url
              << "\": expected a path (/a?b=1) or an http(s):// URL\n";
    return nullptr;
  }
  // The request is written out as HTTP/1.1 and read back by the gateway's parser, so that the
  // path is normalised (or refused) exactly as the gateway would.
  std::string text = o.method + " " + target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& h : o.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "shipgate waf test: -H \"" << h << "\": expected \"Name: value\"\n";
      return nullptr;
    }
    std::string name = h.substr(0, colon);
    has_host = has_host || name == "Host" || name == "host";
    text += h + "\r\n";
  }
  if (!has_host && !host.empty()) text += "Host: " + host + "\r\n";
  if (!o.body.empty()) text += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
  text += "\r\n" + o.body;
  auto parsed = waf::parseRawHttpRequest(text);
  if (!parsed.isOk()) {
    std::cerr << "shipgate waf test: --url \"" << o.url << "\": " << parsed.status().message()
              << "\n";
    return nullptr;
  }
  return std::move(parsed.value());
}

}  // namespace

int runWafTest(const WafTestOptions& o) {
  if (o.request_file.empty() == o.url.empty()) {
    std::cerr << "shipgate waf test: give exactly one of --request FILE or --url URL\n";
    return 2;
  }
  if (o.repeat < 1) {
    std::cerr << "shipgate waf test: --repeat must be at least 1\n";
    return 2;
  }
  auto cfg = loadConfig(o.config_path, "shipgate waf test");
  if (!cfg) return 2;
  bool tls = o.tls;
  auto owned = buildRequest(o, tls);
  if (!owned) return 2;
  // The repeats arrive at one frozen instant, so --repeat N never straddles a rate window and
  // the verdict is the same on every run.
  SimulatedClock clock(RealClock::instance().wallMillis());
  auto built = firewall::Firewall::build(*cfg, clock, nullptr);
  if (!built.isOk()) {
    std::cerr << "shipgate waf test: " << built.status().message() << "\n";
    return 2;
  }
  const firewall::Firewall& fw = **built;
  const waf::Request& r = owned->request();
  firewall::RequestView view;
  view.method = r.method;
  view.target = r.target;
  view.path = r.path;
  view.headers = r.headers;
  view.client_ip = o.client_ip;
  view.tls = tls;
  view.body = r.body;
  view.body_size = r.body_size;
  view.request_id = "waf-test";
  firewall::Scratch scratch;
  firewall::Decision d;
  for (int i = 0; i < o.repeat; ++i) {
    d = fw.inspect(view, scratch);
    if (!d.respond()) fw.onResponse(view, 200, scratch);
  }
  std::cout << "request: " << r.method << " " << r.target << " from " << o.client_ip
            << (tls ? " (tls)" : "") << "\n";
  std::cout << "path: " << r.path << "\n";
  if (!fw.enabled()) {
    std::cout << "waf: disabled (waf.enabled: false, or neither security_rules nor "
                 "waf.managed_rules)\n";
  }
  if (scratch.botScore().score != 0) {
    std::cout << "bot: " << scratch.botScore().describe()
              << (scratch.botScore().verified_bot ? " verified_bot" : "") << "\n";
  }
  const auto& rules = fw.ruleSet().rules();
  const auto& eval = scratch.evaluation();
  for (size_t i = 0; i < rules.size() && fw.enabled(); ++i) {
    waf::Verdict v = i < eval.verdicts.size() ? eval.verdicts[i] : waf::Verdict::kNotEvaluated;
    std::cout << "rule " << (i + 1) << " \"" << rules[i].spec.name << "\" ["
              << waf::actionName(rules[i].spec.action) << "]: " << verdictName(v);
    if (v == waf::Verdict::kMatch || v == waf::Verdict::kNoMatch) {
      std::cout << "  " << fw.ruleSet().describeMatch(i, scratch.context(), 80);
    }
    std::cout << "\n";
  }
  if (const managed::Engine* crs = fw.managedRules(); crs != nullptr && fw.enabled()) {
    const managed::Verdict& mv = scratch.managedVerdict();
    const config::WafCrsConfig& c = *cfg->waf.crs;
    std::cout << "managed: " << crs->version() << " paranoia_level=" << c.paranoia_level
              << " inbound_threshold=" << c.inbound_threshold << " action="
              << (c.action == config::CrsAction::kBlock ? "block" : "log") << "\n";
    for (const auto& m : mv.matched) {
      std::string data = m.data.size() > 80 ? m.data.substr(0, 80) + "..." : m.data;
      std::cout << "  rule " << m.id << " [" << m.severity << "] " << m.msg;
      if (!m.matched_var.empty()) std::cout << "  " << m.matched_var;
      if (!data.empty()) std::cout << " \"" << data << "\"";
      std::cout << "\n";
    }
    std::cout << "  anomaly=" << mv.anomaly_score << " sqli=" << mv.sqli << " xss=" << mv.xss
              << " rce=" << mv.rce << " lfi=" << mv.lfi << " rfi=" << mv.rfi << " php=" << mv.php
              << " protocol=" << mv.protocol << "\n";
    std::cout << "  cf.waf.score=" << mv.waf_score << " cf.waf.score.sqli=" << mv.waf_sqli
              << " cf.waf.score.xss=" << mv.waf_xss << " cf.waf.score.rce=" << mv.waf_rce
              << "\n";
    std::cout << "  decision: "
              << (!mv.intercepted ? "pass"
                  : c.action == config::CrsAction::kBlock
                      ? "block (rule " + std::to_string(mv.intercepting_rule) + ")"
                      : "log (would block: rule " + std::to_string(mv.intercepting_rule) + ")")
              << "\n";
  }
  std::cout << "final: " << firewall::outcomeName(d.outcome);
  if (d.respond()) std::cout << " " << d.status;
  if (!d.rule.empty()) std::cout << " rule=\"" << d.rule << "\"";
  if (!d.event_id.empty()) std::cout << " event=" << d.event_id;
  std::cout << "\n";
  for (const auto& [name, value] : d.headers) {
    if (name == "Content-Security-Policy") continue;
    std::cout << "  " << name << ": " << value << "\n";
  }
  return d.respond() ? 1 : 0;
}

int runWafFmt(const std::string& config_path, const std::string& expression) {
  if (config_path.empty() == expression.empty()) {
    std::cerr << "shipgate waf fmt: give one expression or --config FILE\n";
    return 2;
  }
  if (!expression.empty()) {
    auto out = waf::formatExpression(expression);
    if (!out.isOk()) {
      std::cerr << out.status().message() << "\n";
      return 2;
    }
    std::cout << *out << "\n";
    return 0;
  }
  auto cfg = loadConfig(config_path, "shipgate waf fmt");
  if (!cfg) return 2;
  waf::ListRegistry lists = firewall::buildNamedLists(cfg->waf);
  waf::ParserSettings settings = firewall::compileOptions(cfg->waf, &lists).settings;
  int rc = 0;
  for (const auto& rule : cfg->security_rules) {
    auto out = waf::formatExpression(rule.expression, settings);
    if (!out.isOk()) {
      std::cerr << rule.expression_where.toString() << ": " << rule.name << ": "
                << out.status().message() << "\n";
      rc = 2;
      continue;
    }
    std::cout << rule.name << ": " << *out << "\n";
  }
  return rc;
}

}  // namespace shipgate::cli
