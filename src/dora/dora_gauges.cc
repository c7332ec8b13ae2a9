#include "shipgate/dora/dora_gauges.h"

#include <cstdio>
#include <cstdlib>

#include "shipgate/common/log.h"
#include "shipgate/common/thread_name.h"
#include "shipgate/metrics/prometheus.h"

namespace shipgate::dora {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  metrics::appendEscapedLabelValue(out, v);
  return out;
}

// The shortest of %.15g / %.17g that reads back as the same double.
std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct Family {
  const char* name;
  const char* help;
  std::string lines;
};

}  // namespace

DoraGauges::DoraGauges(store::StateStore& store, metrics::Registry& registry, const Clock& clock,
                       DoraGaugeOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      text_(std::make_shared<Text>()) {
  std::shared_ptr<Text> text = text_;
  registry.addCollector([text](std::string& out) {
    MutexLock lock(text->mu);
    out += text->prometheus;
  });
}

DoraGauges::~DoraGauges() { stop(); }

void DoraGauges::start() {
  Status st = computeNow();
  if (!st.isOk()) log::warn("dora gauges: " + st.message());
  {
    MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    setThreadName("sg-dora");
    run();
  });
}

void DoraGauges::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notifyAll();
  if (thread_.joinable()) thread_.join();
}

void DoraGauges::refresh() {
  MutexLock lock(mu_);
  pending_ = true;
  cv_.notifyAll();
}

void DoraGauges::run() {
  for (;;) {
    {
      MutexLock lock(mu_);
      const auto deadline = std::chrono::steady_clock::now() + options_.interval;
      while (!stopping_ && !pending_ && std::chrono::steady_clock::now() < deadline) {
        cv_.waitFor(lock, deadline - std::chrono::steady_clock::now());
      }
      if (stopping_) return;
      pending_ = false;
    }
    Status st = computeNow();
    if (!st.isOk()) log::warn("dora gauges: " + st.message());
  }
}

Status DoraGauges::computeNow() {
  MutexLock compute(compute_mu_);
  auto envs = store_.listEnvironments();
  if (!envs.isOk()) return envs.status();
  const int64_t now = clock_.wallMillis();
  Family deployments{"shipgate_dora_deployments",
                     "DORA: succeeded deploys to the environment that finished in the window.", {}};
  Family changes{"shipgate_dora_changes",
                 "DORA: changes (succeeded and rolled back deploys) that finished in the window.",
                 {}};
  Family failed{"shipgate_dora_failed_changes",
                "DORA: changes that were rolled back or that an incident names.", {}};
  Family per_day{"shipgate_dora_deployment_frequency_per_day",
                 "DORA deployment frequency: succeeded deploys per day of the window.", {}};
  Family per_week{"shipgate_dora_deployment_frequency_per_week",
                  "DORA deployment frequency: succeeded deploys per week of the window.", {}};
  Family lead{"shipgate_dora_lead_time_median_seconds",
              "DORA lead time for changes: commit time to live, median (nearest rank).", {}};
  Family lead90{"shipgate_dora_lead_time_p90_seconds",
                "DORA lead time for changes: commit time to live, p90 (nearest rank).", {}};
  Family restore{"shipgate_dora_time_to_restore_median_seconds",
                 "DORA time to restore service: incident opened to resolved, median.", {}};
  Family restore_mean{"shipgate_dora_time_to_restore_mean_seconds",
                      "DORA time to restore service: incident opened to resolved, mean.", {}};
  Family ratio{"shipgate_dora_change_failure_ratio",
               "DORA change failure rate: failed changes over changes in the window.", {}};
  for (const auto& env : *envs) {
    for (const auto& w : options_.windows) {
      DoraOptions o;
      o.environment = env.name;
      o.window_ms = w.ms;
      o.now_ms = now;
      o.targets = options_.targets;
      auto r = computeDora(store_, o);
      if (!r.isOk()) return r.status();
      const std::string labels =
          "environment=\"" + escape(env.name) + "\",window=\"" + escape(w.label) + "\"";
      auto line = [&](Family& f, const std::string& extra, double v) {
        f.lines += std::string(f.name) + "{" + labels + extra + "} " + number(v) + "\n";
      };
      line(deployments, "", r->successful);
      line(changes, "", r->changes);
      line(failed, "", r->failed_changes);
      line(per_day, "", static_cast<double>(r->successful) * 86400e3 / static_cast<double>(w.ms));
      line(per_week, "", r->deployments_per_week);
      if (r->lead_time_median_ms) {
        line(lead, "", static_cast<double>(*r->lead_time_median_ms) / 1e3);
      }
      if (r->lead_time_p90_ms) {
        line(lead90, "", static_cast<double>(*r->lead_time_p90_ms) / 1e3);
      }
      if (r->restore_median_ms) {
        line(restore, "", static_cast<double>(*r->restore_median_ms) / 1e3);
      }
      if (r->restore_mean_ms) {
        line(restore_mean, "", static_cast<double>(*r->restore_mean_ms) / 1e3);
      }
      if (r->change_failure_rate) line(ratio, "", *r->change_failure_rate);
    }
  }
  std::string out;
  for (Family* f : {&deployments, &changes, &failed, &per_day, &per_week, &lead, &lead90, &restore,
                    &restore_mean, &ratio}) {
    out += std::string("# HELP ") + f->name + " " + f->help + "\n";
    out += std::string("# TYPE ") + f->name + " gauge\n";
    out += f->lines;
  }
  out += "# HELP shipgate_dora_last_computed_timestamp_seconds When the DORA gauges were last "
         "computed (Unix time).\n";
  out += "# TYPE shipgate_dora_last_computed_timestamp_seconds gauge\n";
  out += "shipgate_dora_last_computed_timestamp_seconds " +
         number(static_cast<double>(now) / 1e3) + "\n";
  MutexLock lock(text_->mu);
  text_->prometheus = std::move(out);
  return Status::success();
}

}  // namespace shipgate::dora
