// store_latency: what recording a deployment costs on each state-store backend, SQLite (the
// one-machine default) and PostgreSQL (shared by several nodes), through the StateStore interface
// the release controller uses.
//
// One "deploy record" is the writes the controller makes for one deployment with a standard
// checklist: createRelease, createDeployment with 8 planned steps, each step saved running then
// succeeded (16 saveStep), 3 updateDeployment (running, switching, succeeded), 2 setSlotState and
// 1 putRuntimeState (the switch) = 24 writes, each durable when its call returns. The backends
// alternate deploy by deploy (interleaved), so a slow moment of the machine hits both.
//
// Prints, per backend, the median and p99 of a whole deploy record and of a single write, then
//   deploy_record_sqlite_ms=X deploy_record_pg_ms=Y write_sqlite_ms=A write_pg_ms=B
// Exits 1 when a store cannot be opened or a write fails (a figure that could not be measured).
//
// Usage: store_latency --sqlite-dir DIR --pg-url postgres://... [--deploys 200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "shipgate/store/open_state_store.h"

namespace {

using shipgate::Status;
using namespace shipgate::store;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Backend {
  const char* name;
  std::unique_ptr<StateStore> store;
  std::vector<double> deploy_ms;
  std::vector<double> write_ms;
};

// Times one write; returns false (after printing why) when it failed.
template <typename F>
bool timed(Backend& b, const char* what, F&& write) {
  const auto t0 = Clock::now();
  Status st = write();
  b.write_ms.push_back(msSince(t0));
  if (!st.isOk()) {
    std::fprintf(stderr, "store_latency: %s: %s failed: %s\n", b.name, what,
                 st.message().c_str());
    return false;
  }
  return true;
}

bool deployRecord(Backend& b, int n) {
  const std::string version = "v" + std::to_string(n);
  const int64_t now = 1700000000000 + n;
  const auto t0 = Clock::now();
  ReleaseRecord rel{"api", version, "/releases/" + version, "0123abcd", now, "bench", now};
  if (!timed(b, "createRelease", [&] { return b.store->createRelease(rel); })) return false;
  DeploymentRecord d;
  d.app = "api";
  d.environment = "production";
  d.version = version;
  d.actor = "bench";
  d.created_at = d.updated_at = now;
  const char* names[] = {"preflight", "start", "health", "smoke", "approval", "switch", "bake",
                         "cleanup"};
  for (int i = 0; i < 8; ++i) {
    StepRecord s;
    s.index = i;
    s.name = names[i];
    d.steps.push_back(s);
  }
  std::string id;
  if (!timed(b, "createDeployment", [&]() -> Status {
        auto r = b.store->createDeployment(d);
        if (!r.isOk()) return r.status();
        id = r.value();
        return Status::success();
      })) {
    return false;
  }
  d.id = id;
  auto update = [&](DeploymentState state) {
    d.state = state;
    d.updated_at = now;
    if (isTerminal(state)) d.finished_at = now;
    return timed(b, "updateDeployment", [&] { return b.store->updateDeployment(d); });
  };
  if (!update(DeploymentState::kRunning)) return false;
  for (int i = 0; i < 8; ++i) {
    StepRecord s = d.steps[static_cast<size_t>(i)];
    s.deployment_id = id;
    s.state = StepState::kRunning;
    s.started_at = now;
    if (!timed(b, "saveStep", [&] { return b.store->saveStep(s); })) return false;
    s.state = StepState::kSucceeded;
    s.ended_at = now;
    s.result = "ok";
    if (!timed(b, "saveStep", [&] { return b.store->saveStep(s); })) return false;
    if (i == 5) {
      if (!update(DeploymentState::kSwitching)) return false;
      SlotRecord live{"api", n % 2 ? "green" : "blue", version, SlotState::kLive, now};
      SlotRecord warm{"api", n % 2 ? "blue" : "green", "v" + std::to_string(n - 1),
                      SlotState::kWarm, now};
      if (!timed(b, "setSlotState", [&] { return b.store->setSlotState(live); })) return false;
      if (!timed(b, "setSlotState", [&] { return b.store->setSlotState(warm); })) return false;
      const std::string overlay = std::string("{\"active\":\"") + live.slot + "\"}";
      if (!timed(b, "putRuntimeState",
                 [&] { return b.store->putRuntimeState("routing/api", overlay, now); })) {
        return false;
      }
    }
  }
  if (!update(DeploymentState::kSucceeded)) return false;
  b.deploy_ms.push_back(msSince(t0));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sqlite_dir, pg_url;
  int deploys = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--sqlite-dir") {
      sqlite_dir = argv[i + 1];
    } else if (flag == "--pg-url") {
      pg_url = argv[i + 1];
    } else if (flag == "--deploys") {
      deploys = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "store_latency: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (sqlite_dir.empty() || pg_url.empty() || deploys < 1) {
    std::fprintf(stderr,
                 "usage: store_latency --sqlite-dir DIR --pg-url postgres://... [--deploys N]\n");
    return 2;
  }
  Backend backends[2] = {{"sqlite", nullptr, {}, {}}, {"postgres", nullptr, {}, {}}};
  const std::string urls[2] = {"", pg_url};
  for (int k = 0; k < 2; ++k) {
    auto opened = openStateStore(sqlite_dir, urls[k]);
    if (!opened.isOk()) {
      std::fprintf(stderr, "store_latency: cannot open the %s store: %s\n", backends[k].name,
                   opened.status().message().c_str());
      return 1;
    }
    backends[k].store = std::move(opened).value();
    EnvironmentRecord env{"production", false, 0, true, 0, 1};
    AppRecord app{"api", "production", "process", 1};
    Status st = backends[k].store->upsertEnvironment(env);
    if (st.isOk()) st = backends[k].store->upsertApp(app);
    if (!st.isOk()) {
      std::fprintf(stderr, "store_latency: %s: setup failed: %s\n", backends[k].name,
                   st.message().c_str());
      return 1;
    }
  }
  for (int n = 1; n <= deploys; ++n) {
    // Interleaved, and which backend goes first alternates.
    for (int j = 0; j < 2; ++j) {
      if (!deployRecord(backends[(n + j) % 2], n)) return 1;
    }
  }
  for (auto& b : backends) {
    std::printf("# %s: deploy record median %.3f ms p99 %.3f ms; single write median %.3f ms p99 "
                "%.3f ms (%zu deploys, %zu writes)\n",
                b.name, percentile(b.deploy_ms, 0.5), percentile(b.deploy_ms, 0.99),
                percentile(b.write_ms, 0.5), percentile(b.write_ms, 0.99), b.deploy_ms.size(),
                b.write_ms.size());
  }
  std::printf("deploy_record_sqlite_ms=%.3f deploy_record_pg_ms=%.3f write_sqlite_ms=%.3f "
              "write_pg_ms=%.3f\n",
              percentile(backends[0].deploy_ms, 0.5), percentile(backends[1].deploy_ms, 0.5),
              percentile(backends[0].write_ms, 0.5), percentile(backends[1].write_ms, 0.5));
  return 0;
}
