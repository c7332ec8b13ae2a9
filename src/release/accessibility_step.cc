// The deploy's accessibility step (contract in accessibility_step.h).
#include "accessibility_step.h"

#include <httplib.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "shipgate/common/thread_name.h"
#include "shipgate/gates/axe_scan.h"
#include "shipgate/gates/wording.h"

namespace shipgate::release {

using json = nlohmann::json;

namespace {

constexpr const char* kDefaultWording = "WCAG 2.1 AA compliance";

// A static release's directory served on 127.0.0.1:<free port> while it is alive.
class StaticPreview {
 public:
  bool start(const std::string& root, std::string& error) {
    if (!server_.set_mount_point("/", root)) {
      error = "cannot serve " + root + ": not a directory";
      return false;
    }
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) {
      error = "cannot bind a loopback port to serve " + root;
      return false;
    }
    thread_ = std::thread([this] {
      setThreadName("sg-a11y-site");
      server_.listen_after_bind();
    });
    // The socket listens already (bind); wait for the accept loop, bounded.
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  ~StaticPreview() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

std::string hostForUrl(const std::string& host) {
  if (host.empty() || host == "*" || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

json violationsJson(const gates::AccessibilitySummary& sum,
                    const std::vector<std::string>& failing) {
  json out = json::array();
  for (const gates::AxeViolation& v : sum.violations) {
    if (out.size() >= gates::kMaxListed) break;
    json wcag = json::array();
    bool fails = false;
    for (const std::string& t : v.tags) {
      if (t.rfind("wcag", 0) == 0) wcag.push_back(t);
      if (std::find(failing.begin(), failing.end(), t) != failing.end()) fails = true;
    }
    out.push_back({{"rule", v.id},
                   {"impact", v.impact.empty() ? json(nullptr) : json(v.impact)},
                   {"wcag", wcag},
                   {"nodes", v.nodes},
                   {"url", v.url},
                   {"fails", fails}});
  }
  return out;
}

}  // namespace

std::string accessibilityWording(const std::string& quality_gates_wording) {
  gates::GateWording w;
  gates::WordingError e;
  if (!quality_gates_wording.empty() && gates::parseGateWording(quality_gates_wording, w, e) &&
      w.kind == gates::GateKind::kAccessibility) {
    return quality_gates_wording;
  }
  return kDefaultWording;
}

AccessibilityOutcome runAccessibilityStep(const AccessibilityScan& scan, const std::string& wording,
                                          const std::vector<config::HostPort>& endpoints,
                                          const std::string& static_root) {
  AccessibilityOutcome out;
  std::unique_ptr<StaticPreview> preview;
  std::string base;
  if (!static_root.empty()) {
    preview = std::make_unique<StaticPreview>();
    std::string error;
    if (!preview->start(static_root, error)) {
      out.verdict = AccessibilityOutcome::Verdict::kFailed;
      out.result = error;
      out.evidence = {{"static_root", static_root}};
      return out;
    }
    base = "http://127.0.0.1:" + std::to_string(preview->port());
  } else if (!endpoints.empty()) {
    base = "http://" + hostForUrl(endpoints.front().host) + ":" +
           std::to_string(endpoints.front().port);
  } else {
    out.verdict = AccessibilityOutcome::Verdict::kFailed;
    out.result = "the idle slot has no address to load the pages from";
    return out;
  }
  gates::AxeScanOptions opts;
  for (const std::string& p : scan.url_paths) opts.urls.push_back(base + p);
  opts.runner = scan.runner;
  opts.timeout = scan.timeout;
  opts.page_timeout = std::min(scan.timeout, std::chrono::milliseconds(30'000));
  opts.wording = wording;
  out.evidence = {
      {"wording", wording},
      {"base_url", base},
      {"pages", opts.urls},
      {"source", static_root.empty() ? "idle slot replica" : "static release directory"}};
  if (!static_root.empty()) out.evidence["static_root"] = static_root;
  auto scanned = gates::scanAccessibility(opts);
  if (!scanned) {
    out.verdict = AccessibilityOutcome::Verdict::kFailed;
    out.result = scanned.status().message();
    out.evidence["error"] = scanned.status().message();
    return out;
  }
  gates::GateWording w;
  gates::WordingError e;
  std::vector<std::string> failing;
  if (gates::parseGateWording(wording, w, e))
    failing = gates::wcagFailingTags(w.wcag_minor, w.wcag_level);
  const gates::GateVerdict& v = scanned->verdict;
  out.evidence["verdict"] = v.pass ? "pass" : "fail";
  out.evidence["measured"] = v.measured_text;
  out.evidence["threshold"] = v.threshold_text;
  out.evidence["reason"] = v.reason;
  out.evidence["violations"] = violationsJson(scanned->summary, failing);
  out.evidence["violations_total"] = scanned->summary.violations.size();
  out.verdict =
      v.pass ? AccessibilityOutcome::Verdict::kPassed : AccessibilityOutcome::Verdict::kFailed;
  out.result = v.pass ? "ok: " + v.measured_text : v.reason;
  return out;
}

}  // namespace shipgate::release
