// Private to src/main: how `shipgate deploy` and `shipgate rollback` show a deployment while it
// runs, from its state (GET /api/v1/deployments/{id}) and its events (the SSE stream):
//   kTty    the step list redrawn in place (ANSI): one line per step with its state, duration
//           (running steps count up) and result, the trigger values as they are measured, and
//           the approval hint while it waits;
//   kLines  one line per event, for logs and pipes;
//   kJson   each event as one JSON object per line ({"seq", "at", "type", "data"}), then
//           {"type": "result", "exit_code": N, "deployment": {...}}.
// Also the filled-in checklist of `shipgate deployment ID` (printChecklist).
// Thread-safety: every DeployView method is thread-safe (the stream reader feeds events while
// the main thread redraws).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "shipgate/common/mutex.h"

namespace shipgate::cli {

class DeployView {
 public:
  // REQUIRES: mode is not kAuto.
  DeployView(ViewMode mode, std::ostream& out);

  // The deployment's full state (the steps it plans, their states so far).
  void setDeployment(const nlohmann::json& deployment);
  // One event as the stream carries it: {"seq", "at", "type", "data"}.
  void onEvent(const nlohmann::json& event);
  // A line of the client's own (reconnecting, lost the stream): kTty shows it under the steps,
  // kLines prints it, kJson prints {"type": "client", "text"}.
  void note(const std::string& text);
  // kTty: repaints the block (durations of running steps move on). Others: nothing.
  void redraw();
  // The final state: repaints/prints the outcome line. `exit_code` is what the command returns.
  void finish(const nlohmann::json& deployment, int exit_code);

 private:
  struct Step {
    std::string name, state, result;
    int64_t started_at = 0, ended_at = 0, duration_ms = -1;
    nlohmann::json evidence;
  };
  void applyDeploymentLocked(const nlohmann::json& d) REQUIRES(mu_);
  Step& stepLocked(int index, const std::string& name) REQUIRES(mu_);
  std::vector<std::string> blockLocked(int64_t now_ms) const REQUIRES(mu_);
  void paintLocked() REQUIRES(mu_);
  void lineLocked(int64_t at, const std::string& text) REQUIRES(mu_);

  const ViewMode mode_;
  std::ostream& out_;
  mutable Mutex mu_;
  std::string id_ GUARDED_BY(mu_), app_ GUARDED_BY(mu_), version_ GUARDED_BY(mu_),
      env_ GUARDED_BY(mu_), kind_ GUARDED_BY(mu_), to_slot_ GUARDED_BY(mu_),
      state_ GUARDED_BY(mu_);
  int64_t created_at_ GUARDED_BY(mu_) = 0;
  std::vector<Step> steps_ GUARDED_BY(mu_);
  nlohmann::json triggers_ GUARDED_BY(mu_);  // the last trigger_values data
  std::string hint_ GUARDED_BY(mu_);         // approval hint while waiting
  std::string note_ GUARDED_BY(mu_);
  std::string outcome_ GUARDED_BY(mu_);
  int painted_lines_ GUARDED_BY(mu_) = 0;
};

// `shipgate deployment ID`: the header, then every step with its timing, result (the decision)
// and evidence. Throws MalformedAnswer (admin_client.h) on a deployment of the wrong shape.
void printChecklist(const nlohmann::json& deployment, std::ostream& out);

// "1.2s", "850ms", "3m04s", "1h02m".
std::string formatDuration(int64_t ms);
// Local "HH:MM:SS" of a time in ms since the epoch.
std::string clockTime(int64_t ms);
// One trigger value as "error_rate 0.4 (limit 5) ok" / "... BREACHING".
std::string triggerText(const nlohmann::json& value);
// Wall time now, ms since the epoch.
int64_t nowMillis();

}  // namespace shipgate::cli
