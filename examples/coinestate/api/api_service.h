// ApiService: the coinestate example API (the seed's "Backend Services" in miniature). It registers
// its routes on an httplib::Server and holds the runtime knobs that inject latency, errors and
// ill health so the gateway's health checks, failover and rollbacks can be demonstrated.
//
// Routes (every response carries X-App-Version and X-App-Region):
//   GET  /api/health          {"status":"ok","version","region"}; 503 {"status":"unhealthy"} when
//                             the healthy knob is false
//   GET  /api/properties      {"version","region","properties":[{id,name,city,price_eth,tokens}]}
//   GET  /api/properties/{id} one property, 404 when unknown
//   GET  /api/echo            {"method","path","query","remote_addr","headers":{..as received..},
//                             "headers_lower":{..names lower-cased..}}; POST also echoes "body"
//   GET  /_knobs              {"error_rate","latency_ms","healthy"}
//   POST /_knobs              partial update with the same fields; 400 on bad JSON or values
// latency_ms delays every /api/ response; error_rate makes that share of /api/ responses other than
// /api/health answer 500 {"error":"injected failure"}.
//
// Thread-safety: handlers run on httplib's worker threads; knobs are guarded by a mutex.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace httplib {
class Server;
}

namespace coinestate {

struct Knobs {
  double error_rate = 0.0;  // 0..1
  int64_t latency_ms = 0;   // >= 0
  bool healthy = true;
};

struct ApiOptions {
  std::string version = "v1";
  std::string region = "us-east-1";
  Knobs knobs;
  uint64_t seed = 0;  // error-injection randomness; 0 = from std::random_device
};

class ApiService {
 public:
  explicit ApiService(ApiOptions options);
  // Registers the routes and default headers on server. REQUIRES: this outlives server's use.
  void install(httplib::Server& server);

  Knobs knobs() const;

 private:
  // Applies latency and (when inject_errors) decides whether this request fails.
  bool delayAndMaybeFail(bool inject_errors);

  ApiOptions options_;
  mutable std::mutex mu_;
  Knobs knobs_;          // GUARDED_BY(mu_)
  std::mt19937_64 rng_;  // GUARDED_BY(mu_)
};

}  // namespace coinestate
