// Private to src/admin: the secrets routes of the admin API (`/api/v1/secrets...`), the same
// operations as `shipgate secrets` on the store `shipgate serve` opened. Routes and answers are
// listed in include/shipgate/admin/admin_server.h.
//
// Values: only GET of a path answers one (raw bytes, application/octet-stream, Cache-Control:
// no-store), streamed from guarded memory; PUT reads the body straight into guarded memory
// (at most secrets::kMaxValueBytes, else 413). No other answer, error or log line holds a value
// (the store's errors never do).
//
// Thread-safety: handlers run on httplib's worker threads; SecretsStore serialises its calls.
#pragma once

#include <httplib.h>

#include <functional>
#include <memory>

namespace shipgate::secrets {
class SecretsStore;
struct SecretsConfig;
}  // namespace shipgate::secrets

namespace shipgate::admin {

struct SecretsSources {
  secrets::SecretsStore* store = nullptr;  // null: every route answers 503
  // The access rules in force (for GET ...?environment=E); may be null.
  std::function<std::shared_ptr<const secrets::SecretsConfig>()> access;
};

class SecretsRoutes {
 public:
  // REQUIRES: the store outlives the server the routes are installed on.
  explicit SecretsRoutes(SecretsSources sources) : sources_(std::move(sources)) {}
  void install(httplib::Server& server);

 private:
  void get(const httplib::Request& req, httplib::Response& res);
  void put(const httplib::Request& req, httplib::Response& res,
           const httplib::ContentReader& reader);
  void remove(const httplib::Request& req, httplib::Response& res);
  void post(const httplib::Request& req, httplib::Response& res);

  SecretsSources sources_;
};

}  // namespace shipgate::admin
