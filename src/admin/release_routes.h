// Private to src/admin: the release routes of the admin API (deployments, approvals, rollbacks,
// releases, incidents, the deployment event stream), installed on AdminServer's httplib server.
// See include/shipgate/admin/admin_server.h for the routes and their answers.
// Thread-safety: handlers run on httplib's worker threads; ReleaseRoutes keeps only atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include <httplib.h>

namespace shipgate::release {
class ReleaseController;
}
namespace shipgate::store {
class StateStore;
}

namespace shipgate::admin {

class Routes;

struct StreamSettings {
  // How long one wait for new events lasts before the stream checks for shutdown again.
  std::chrono::milliseconds poll{500};
  // A comment is sent when nothing was written for this long (keeps proxies and clients alive).
  std::chrono::milliseconds keep_alive{15000};
  int max_streams = 16;  // concurrent event streams; more: 503
};

class ReleaseRoutes {
 public:
  // `releases` or `store` may be null: their routes then answer 503.
  // REQUIRES: both outlive the server the routes are installed on.
  ReleaseRoutes(release::ReleaseController* releases, store::StateStore* store,
                StreamSettings settings = {});

  void install(Routes& routes);
  // Ends every open event stream (their clients reconnect with Last-Event-ID); call before
  // stopping the server so that its workers are free to finish.
  void stopStreams() { stopping_.store(true); }
  // The release controller has started: its routes answer from now on (503 before).
  void setReady() { ready_.store(true); }

 private:
  void events(const httplib::Request& req, httplib::Response& res);
  // POST /api/v1/apps/{app}/releases (release_create_route.cc).
  void createRelease(const httplib::Request& req, httplib::Response& res,
                     const std::string& actor);

  release::ReleaseController* const releases_;
  store::StateStore* const store_;
  const StreamSettings settings_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ready_{false};
  std::atomic<int> streams_{0};
};

// The actor of a request: its X-Shipgate-Actor header, else "admin-api". An unusable header
// (empty, longer than 128 bytes, control characters) is refused: empty result.
std::string actorOf(const httplib::Request& req, bool* ok);

}  // namespace shipgate::admin
