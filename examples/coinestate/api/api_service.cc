#include "api_service.h"

#include <httplib.h>

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace coinestate {
namespace {

using nlohmann::json;

struct Property {
  const char* id;
  const char* name;
  const char* city;
  double price_eth;
  int tokens;
};

constexpr Property kProperties[] = {
    {"prop-001", "Harbour View Lofts", "Lisbon", 412.5, 10000},
    {"prop-002", "Maple Street Duplex", "Austin", 188.0, 5000},
    {"prop-003", "Old Town Residence", "Prague", 256.75, 8000},
    {"prop-004", "Marina Bay Suite", "Singapore", 930.0, 20000},
    {"prop-005", "Canal House", "Amsterdam", 540.25, 12000},
};

json propertyJson(const Property& p) {
  return json{{"id", p.id},
              {"name", p.name},
              {"city", p.city},
              {"price_eth", p.price_eth},
              {"tokens", p.tokens}};
}

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

ApiService::ApiService(ApiOptions options)
    : options_(std::move(options)),
      knobs_(options_.knobs),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {}

Knobs ApiService::knobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return knobs_;
}

bool ApiService::delayAndMaybeFail(bool inject_errors) {
  int64_t latency_ms;
  bool fail = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latency_ms = knobs_.latency_ms;
    if (inject_errors && knobs_.error_rate > 0) {
      fail = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < knobs_.error_rate;
    }
  }
  if (latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms));
  return fail;
}

void ApiService::install(httplib::Server& server) {
  server.set_default_headers(
      {{"X-App-Version", options_.version}, {"X-App-Region", options_.region}});

  server.Get("/api/health", [this](const httplib::Request&, httplib::Response& res) {
    delayAndMaybeFail(false);
    if (!knobs().healthy) {
      sendJson(
          res, 503,
          {{"status", "unhealthy"}, {"version", options_.version}, {"region", options_.region}});
      return;
    }
    sendJson(res, 200,
             {{"status", "ok"}, {"version", options_.version}, {"region", options_.region}});
  });

  server.Get("/api/properties", [this](const httplib::Request&, httplib::Response& res) {
    if (delayAndMaybeFail(true)) {
      sendJson(res, 500, {{"error", "injected failure"}});
      return;
    }
    json list = json::array();
    for (const auto& p : kProperties) list.push_back(propertyJson(p));
    sendJson(res, 200,
             {{"version", options_.version}, {"region", options_.region}, {"properties", list}});
  });

  server.Get(R"(/api/properties/([A-Za-z0-9-]+))",
             [this](const httplib::Request& req, httplib::Response& res) {
               if (delayAndMaybeFail(true)) {
                 sendJson(res, 500, {{"error", "injected failure"}});
                 return;
               }
               for (const auto& p : kProperties) {
                 if (req.matches[1] == p.id) {
                   sendJson(res, 200, propertyJson(p));
                   return;
                 }
               }
               sendJson(res, 404, {{"error", "no such property"}});
             });

  auto echo = [this](const httplib::Request& req, httplib::Response& res) {
    if (delayAndMaybeFail(true)) {
      sendJson(res, 500, {{"error", "injected failure"}});
      return;
    }
    json headers = json::object();
    json headers_lower = json::object();
    for (const auto& [name, value] : req.headers) {
      // httplib adds these itself; they were not sent by the client.
      if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
          name == "LOCAL_PORT") {
        continue;
      }
      headers[name] = value;
      headers_lower[lower(name)] = value;
    }
    json query = json::object();
    for (const auto& [k, v] : req.params) query[k] = v;
    json out{{"method", req.method}, {"path", req.path},
             {"query", query},       {"remote_addr", req.remote_addr},
             {"headers", headers},   {"headers_lower", headers_lower}};
    if (req.method == "POST") out["body"] = req.body;
    sendJson(res, 200, out);
  };
  server.Get("/api/echo", echo);
  server.Post("/api/echo", echo);

  server.Get("/_knobs", [this](const httplib::Request&, httplib::Response& res) {
    Knobs k = knobs();
    sendJson(res, 200,
             {{"error_rate", k.error_rate}, {"latency_ms", k.latency_ms}, {"healthy", k.healthy}});
  });

  server.Post("/_knobs", [this](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) {
      sendJson(res, 400, {{"error", "body must be a JSON object"}});
      return;
    }
    Knobs next = knobs();
    if (body.contains("error_rate")) {
      const json& v = body["error_rate"];
      if (!v.is_number() || v.get<double>() < 0.0 || v.get<double>() > 1.0) {
        sendJson(res, 400, {{"error", "error_rate must be a number in [0, 1]"}});
        return;
      }
      next.error_rate = v.get<double>();
    }
    if (body.contains("latency_ms")) {
      const json& v = body["latency_ms"];
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 600'000) {
        sendJson(res, 400, {{"error", "latency_ms must be an integer in [0, 600000]"}});
        return;
      }
      next.latency_ms = v.get<int64_t>();
    }
    if (body.contains("healthy")) {
      const json& v = body["healthy"];
      if (!v.is_boolean()) {
        sendJson(res, 400, {{"error", "healthy must be true or false"}});
        return;
      }
      next.healthy = v.get<bool>();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      knobs_ = next;
    }
    sendJson(res, 200,
             {{"error_rate", next.error_rate},
              {"latency_ms", next.latency_ms},
              {"healthy", next.healthy}});
  });

  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(json{{"error", "status " + std::to_string(res.status)}}.dump(),
                      "application/json");
    }
  });
}

}  // namespace coinestate
