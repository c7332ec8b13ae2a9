// LeaderReleases: the release controller of a cluster node, alive only while the node leads.
// It is the ReleaseController the node's admin API holds for its whole life; the real controller
// behind it is made by `make` when the node is elected (becomeLeader: its start() reconciles the
// unfinished deployments from the shared store exactly as a restarted single node does, then
// runs new ones and watches triggers and SLAs) and stopped and dropped when the node is deposed
// (stepDown: its worker threads stop; a deployment in flight stays recorded and the next leader
// reconciles it). While there is none, every call answers Unavailable "not the cluster leader"
// (a follower's admin API forwards these calls to the leader before they get here).
//
// Thread-safety: every method is thread-safe. becomeLeader/stepDown are called by the election
// thread, one at a time. A call in flight keeps the controller it started on alive (shared_ptr)
// until it returns.
#pragma once

#include <functional>
#include <memory>

#include "shipgate/common/mutex.h"
#include "shipgate/release/release_controller.h"

namespace shipgate::cluster {

class LeaderReleases final : public release::ReleaseController {
 public:
  explicit LeaderReleases(std::function<std::unique_ptr<release::ReleaseController>()> make);
  ~LeaderReleases() override;

  // Makes and starts a controller. The start's error (reconciliation) is returned; the controller
  // runs anyway, as a single node's does.
  Status becomeLeader();
  // Stops and drops the controller; no-op without one.
  void stepDown();
  bool leading() const;

  // ReleaseController: start()/stop() of the proxy do nothing (leadership drives the real one).
  Status start() override { return Status::success(); }
  void stop() override { stepDown(); }
  Result<std::string> deploy(const release::DeployRequest& request) override;
  Status createRelease(const release::CreateReleaseRequest& request) override;
  Status approve(const std::string& id, const std::string& actor) override;
  Status reject(const std::string& id, const std::string& actor,
                const std::string& reason) override;
  Result<std::string> rollback(const release::RollbackRequest& request) override;
  Result<nlohmann::json> deployment(const std::string& id) const override;
  Result<nlohmann::json> deployments(const std::string& app, int limit) const override;
  Result<nlohmann::json> releases(const std::string& app) const override;
  Result<nlohmann::json> events(const std::string& id, int64_t after_seq,
                                std::chrono::milliseconds wait) const override;

 private:
  std::shared_ptr<release::ReleaseController> current() const;

  std::function<std::unique_ptr<release::ReleaseController>()> make_;
  mutable Mutex mu_;
  std::shared_ptr<release::ReleaseController> current_ GUARDED_BY(mu_);
};

}  // namespace shipgate::cluster
