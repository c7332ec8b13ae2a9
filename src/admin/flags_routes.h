// Private to src/admin: the feature flag routes of the admin API, the same operations as
// `shipgate flags` on the FlagStore `shipgate serve` opened (same bearer token, same
// {"error", "field"} answers as every route):
//
//   GET /api/v1/flags/{env}                        newest version of every flag
//   GET /api/v1/flags/{env}/{key}[?version=N]      one version {environment, key, version,
//                                                  definition, created_at, created_by, reason}
//   GET /api/v1/flags/{env}/{key}/history          every version, oldest first
//   PUT /api/v1/flags/{env}[?reason=R]             body: a flagd document ({"flags": ...})
//   PUT /api/v1/flags/{env}/{key}[?reason=R&cas=N] body: one flag's definition
//       200 {written: [...], unchanged: [keys]}; 422 invalid JSON or definitions (each error
//       with its flag and JSON pointer), 409 CAS mismatch, 413 over 1 MiB (the server's limit)
//
// Writes carry X-Shipgate-Actor into the version and the flags audit log, and call `changed`
// so this node's OFREP answers switch at once (others see it on their next poll).
// Thread-safety: handlers run on httplib's workers; FlagStore serialises its calls.
#pragma once

#include <httplib.h>

#include <functional>

namespace shipgate::flags {
class FlagStore;
}

namespace shipgate::admin {

class FlagsRoutes {
 public:
  // `store` null: every route answers 503. REQUIRES: the store outlives the server.
  FlagsRoutes(flags::FlagStore* store, std::function<void()> changed)
      : store_(store), changed_(std::move(changed)) {}
  void install(httplib::Server& server);

 private:
  void get(const httplib::Request& req, httplib::Response& res);
  void put(const httplib::Request& req, httplib::Response& res);

  flags::FlagStore* store_;
  std::function<void()> changed_;
};

}  // namespace shipgate::admin
