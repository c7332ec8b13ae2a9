#include "shipgate/health/report.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <thread>

#include "shipgate/common/thread_name.h"
#include "shipgate/health/checker.h"
#include "shipgate/health/health_config.h"
#include "shipgate/health/parse.h"

namespace shipgate::health {
namespace {

struct Job {
  HealthCheckConfig check;
  config::HostPort address;
  std::string error;  // set: no check to run, the row fails with this detail
};

std::string formatLatency(std::chrono::microseconds us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fms", static_cast<double>(us.count()) / 1000.0);
  return buf;
}

}  // namespace

std::vector<CheckRow> runAllChecks(const config::Config& config,
                                   const std::vector<HealthTarget>& app_targets, int parallelism) {
  std::vector<CheckRow> rows;
  std::vector<Job> jobs;
  for (const auto& t : app_targets) {
    // "app/slot/host:port" -> "app app/slot".
    size_t slash = t.key.find('/');
    slash = slash == std::string::npos ? slash : t.key.find('/', slash + 1);
    rows.push_back({"app " + t.key.substr(0, slash), t.address.toString(),
                    healthKindName(t.check.kind), false, std::chrono::microseconds(0), ""});
    jobs.push_back({t.check, t.address, ""});
  }
  const std::vector<ComponentCheck>& checks = healthConfigOf(config).checks;
  for (const auto& c : checks) {
    rows.push_back({c.name, c.target.empty() ? c.address.toString() : c.target,
                    healthKindName(c.check.kind), false, std::chrono::microseconds(0), ""});
    jobs.push_back({c.check, c.address, ""});
  }
  for (const auto& hc : config.health_checks) {
    // health's section already turns each entry into a component check of this name.
    const std::string as_component = "health_checks." + hc.name;
    if (std::any_of(checks.begin(), checks.end(),
                    [&](const ComponentCheck& c) { return c.name == as_component; })) {
      continue;
    }
    CheckRow row{"health_checks." + hc.name + (hc.region.empty() ? "" : " (" + hc.region + ")"),
                 hc.endpoint,
                 "http",
                 false,
                 std::chrono::microseconds(0),
                 ""};
    Job job;
    auto url = parseUrl(hc.endpoint);
    if (url.isOk()) {
      job.check.kind = HealthKind::kHttp;
      job.check.path = url->path;
      job.check.tls = url->tls();
      job.check.host_header = url->address.host;
      job.address = url->address;
    } else {
      job.error = "bad endpoint URL: " + url.status().message();
    }
    rows.push_back(std::move(row));
    jobs.push_back(std::move(job));
  }

  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      if (!jobs[i].error.empty()) {
        rows[i].ok = false;
        rows[i].detail = jobs[i].error;
        continue;
      }
      CheckResult r = runCheck(jobs[i].check, jobs[i].address);
      rows[i].ok = r.ok;
      rows[i].latency = r.latency;
      rows[i].detail = r.detail;
    }
  };
  const size_t n = std::min<size_t>(jobs.size(), static_cast<size_t>(std::max(1, parallelism)));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) {
    threads.emplace_back([&worker] {
      setThreadName("sg-probe");
      worker();
    });
  }
  for (auto& t : threads) t.join();
  return rows;
}

std::string renderTable(const std::vector<CheckRow>& rows) {
  const std::vector<std::string> header = {"COMPONENT", "TARGET", "RESULT", "LATENCY", "DETAIL"};
  std::vector<std::vector<std::string>> cells;
  cells.push_back(header);
  for (const auto& r : rows) {
    cells.push_back(
        {r.component, r.target, r.ok ? "ok" : "FAIL", formatLatency(r.latency), r.detail});
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& line : cells) {
    for (size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (size_t c = 0; c < line.size(); ++c) {
      text += line[c];
      if (c + 1 < line.size()) text += std::string(width[c] - line[c].size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

nlohmann::json renderJson(const std::vector<CheckRow>& rows) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& r : rows) {
    checks.push_back({{"component", r.component},
                      {"target", r.target},
                      {"kind", r.kind},
                      {"ok", r.ok},
                      {"latency_ms", static_cast<double>(r.latency.count()) / 1000.0},
                      {"detail", r.detail}});
  }
  return {{"ok", allOk(rows)}, {"checks", checks}};
}

bool allOk(const std::vector<CheckRow>& rows) {
  return std::all_of(rows.begin(), rows.end(), [](const CheckRow& r) { return r.ok; });
}

}  // namespace shipgate::health
