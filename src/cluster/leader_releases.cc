#include "shipgate/cluster/leader_releases.h"

namespace shipgate::cluster {
namespace {

Status notLeader() {
  return Status::unavailable(
      "this node is not the cluster leader (its release controller runs "
      "only while it leads); send the call to the leader");
}

}  // namespace

LeaderReleases::LeaderReleases(std::function<std::unique_ptr<release::ReleaseController>()> make)
    : make_(std::move(make)) {}

LeaderReleases::~LeaderReleases() { stepDown(); }

Status LeaderReleases::becomeLeader() {
  stepDown();
  std::shared_ptr<release::ReleaseController> c = make_();
  Status st = c->start();
  MutexLock lock(mu_);
  current_ = std::move(c);
  return st;
}

void LeaderReleases::stepDown() {
  std::shared_ptr<release::ReleaseController> c;
  {
    MutexLock lock(mu_);
    c.swap(current_);
  }
  if (c) c->stop();
}

bool LeaderReleases::leading() const { return current() != nullptr; }

std::shared_ptr<release::ReleaseController> LeaderReleases::current() const {
  MutexLock lock(mu_);
  return current_;
}

Result<std::string> LeaderReleases::deploy(const release::DeployRequest& request) {
  auto c = current();
  if (!c) return notLeader();
  return c->deploy(request);
}

Status LeaderReleases::createRelease(const release::CreateReleaseRequest& request) {
  auto c = current();
  if (!c) return notLeader();
  return c->createRelease(request);
}

Status LeaderReleases::approve(const std::string& id, const std::string& actor) {
  auto c = current();
  if (!c) return notLeader();
  return c->approve(id, actor);
}

Status LeaderReleases::reject(const std::string& id, const std::string& actor,
                              const std::string& reason) {
  auto c = current();
  if (!c) return notLeader();
  return c->reject(id, actor, reason);
}

Result<std::string> LeaderReleases::rollback(const release::RollbackRequest& request) {
  auto c = current();
  if (!c) return notLeader();
  return c->rollback(request);
}

Result<nlohmann::json> LeaderReleases::deployment(const std::string& id) const {
  auto c = current();
  if (!c) return notLeader();
  return c->deployment(id);
}

Result<nlohmann::json> LeaderReleases::deployments(const std::string& app, int limit) const {
  auto c = current();
  if (!c) return notLeader();
  return c->deployments(app, limit);
}

Result<nlohmann::json> LeaderReleases::releases(const std::string& app) const {
  auto c = current();
  if (!c) return notLeader();
  return c->releases(app);
}

Result<nlohmann::json> LeaderReleases::events(const std::string& id, int64_t after_seq,
                                              std::chrono::milliseconds wait) const {
  auto c = current();
  if (!c) return notLeader();
  return c->events(id, after_seq, wait);
}

}  // namespace shipgate::cluster
