// AdminServer: the admin HTTP API on its own listener (loopback by default), served by
// cpp-httplib on its own threads, away from the data plane. Every call needs
// "Authorization: Bearer <token>" with the token read from the configured file.
//
//   GET  /api/v1/status                      apps, slots, endpoints, health, regions (JSON)
//   POST /api/v1/apps/{app}/switch           {"slot":"green"} or {"weights":{"blue":90,"green":10}}
//   POST /api/v1/apps/{app}/failover/approve {"region":"eu-west-1"}
//   POST /api/v1/reload                      re-read the config file
//   GET  /metrics                            Prometheus text format
//
// A body is a JSON object with only the fields the call names (reload takes none; an empty body
// is {}). Errors are JSON {"error": "...", "field": "weights.blue"} ("field" when one field of the
// body is at fault) with 400 (not JSON, not an object, unknown field, wrong type), 401 (token),
// 404 (unknown app/region/route), 409 (the change needs what the app lacks, e.g. endpoints in the
// slot), 422 (a value out of range, e.g. a weight outside 0..100, or a config that does not load).
// Nothing is narrowed or silently dropped.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"

namespace httplib {
class Server;
}
namespace shipgate::metrics {
class Registry;
}

namespace shipgate::admin {

class Controller;

class AdminServer {
 public:
  AdminServer(Controller& controller, metrics::Registry& metrics);
  ~AdminServer();

  // Reads the token file and binds; port 0 picks a free port (see port()).
  Status start(const config::AdminConfig& config);
  uint16_t port() const { return port_; }
  void stop();

 private:
  Controller& controller_;
  metrics::Registry& metrics_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::string token_;
  uint16_t port_ = 0;
};

// Reads a bearer token file: trimmed content, must be non-empty.
Result<std::string> readTokenFile(const std::string& path);

}  // namespace shipgate::admin
