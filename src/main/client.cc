// Client subcommands: status, switch, reload, failover approve. They talk to the admin API.
#include <cstdio>
#include <iostream>
#include <regex>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "shipgate/admin/admin_server.h"
#include "shipgate/config/loader.h"
#include "shipgate/http/url.h"

namespace shipgate::cli {
namespace {

struct Target {
  std::string host;
  int port = 0;
  std::string token;
};

// Resolves the admin URL and token from flags, else from the config file.
Result<Target> resolveTarget(const ClientOptions& o) {
  Target t;
  std::string token_file = o.token_file;
  if (!o.admin_url.empty()) {
    auto url = http::parseUrl(o.admin_url.find("://") == std::string::npos
                                  ? "http://" + o.admin_url
                                  : o.admin_url);
    if (!url.isOk() || url->tls() || !url->explicit_port || url->path_and_query != "/") {
      return Status::invalidArgument("--admin must look like http://127.0.0.1:9901 (got '" +
                                     o.admin_url + "')");
    }
    t.host = url->ipv6 ? "[" + url->host + "]" : url->host;
    t.port = url->port;
  }
  if (t.host.empty() || token_file.empty()) {
    config::LoadResult loaded = config::loadFile(o.config_path);
    if (!loaded.ok()) {
      std::string msg = "cannot find the admin API: config " + o.config_path + " did not load";
      for (const auto& d : loaded.diagnostics) {
        if (d.severity == config::Diagnostic::Severity::kError) msg += "\n  " + d.toString();
      }
      return Status::invalidArgument(msg + "\n(give --admin URL and --token-file instead)");
    }
    const auto& admin = loaded.config->admin;
    if (t.host.empty()) {
      if (!admin.enabled) return Status::invalidArgument("admin API is disabled in " + o.config_path);
      t.host = admin.address.host;
      t.port = admin.address.port;
    }
    if (token_file.empty()) token_file = admin.token_file;
  }
  auto token = admin::readTokenFile(token_file);
  if (!token) return token.status();
  t.token = *token;
  return t;
}

struct Reply {
  int status = 0;
  nlohmann::json body;
};

Result<Reply> call(const Target& t, const std::string& method, const std::string& path,
                   const nlohmann::json* body) {
  httplib::Client cli(t.host, t.port);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(30, 0);
  httplib::Headers headers = {{"Authorization", "Bearer " + t.token}};
  httplib::Result r = method == "GET"
                          ? cli.Get(path.c_str(), headers)
                          : cli.Post(path.c_str(), headers, body ? body->dump() : "{}",
                                     "application/json");
  if (!r) {
    return Status::unavailable("cannot reach the admin API at " + t.host + ":" +
                               std::to_string(t.port) + ": " + httplib::to_string(r.error()));
  }
  Reply reply;
  reply.status = r->status;
  reply.body = nlohmann::json::parse(r->body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nlohmann::json{{"error", r->body}};
  return reply;
}

int report(const Result<Reply>& r, const char* what) {
  if (!r) {
    std::cerr << "shipgate " << what << ": " << r.status().message() << "\n";
    return 2;
  }
  if (r->status != 200) {
    std::cerr << "shipgate " << what << ": refused (" << r->status
              << "): " << r->body.value("error", r->body.dump()) << "\n";
    return 1;
  }
  return 0;
}

void printStatus(const nlohmann::json& s) {
  for (const auto& app : s.value("apps", nlohmann::json::array())) {
    std::string weights;
    if (app["weights"].is_object()) {
      weights = " weights blue=" + std::to_string(app["weights"].value("blue", 0)) +
                " green=" + std::to_string(app["weights"].value("green", 0));
    }
    std::printf("app %s: active slot %s%s%s\n", app.value("name", "").c_str(),
                app.value("active_slot", "").c_str(), weights.c_str(),
                app.value("switched_at_runtime", false) ? " (switched at runtime)" : "");
    for (const auto& r : app.value("regions", nlohmann::json::array())) {
      std::printf("  region %-14s priority %d  %s%s\n", r.value("name", "").c_str(),
                  r.value("priority", 0), r.value("failover_policy", "").c_str(),
                  r.value("waiting_for_approval", false) ? "  WAITING FOR APPROVAL" : "");
    }
    std::printf("  %-6s %-22s %-12s %-8s %-9s %s\n", "SLOT", "ENDPOINT", "REGION", "HEALTH",
                "IN-FLIGHT", "REQUESTS");
    for (const char* slot : {"blue", "green"}) {
      for (const auto& ep : app["slots"].value(slot, nlohmann::json::array())) {
        std::string health = ep.value("healthy", false) ? "up" : (ep.value("ejected", false)
                                                                      ? "ejected"
                                                                      : "down");
        std::printf("  %-6s %-22s %-12s %-8s %-9d %llu\n", slot, ep.value("address", "").c_str(),
                    ep.value("region", "").c_str(), health.c_str(), ep.value("in_flight", 0),
                    static_cast<unsigned long long>(ep.value("requests", 0ULL)));
      }
    }
  }
  for (const auto& e : s.value("events", nlohmann::json::array())) {
    std::printf("event: %s\n", e.value("message", "").c_str());
  }
}

}  // namespace

int runStatus(const ClientOptions& o, bool json) {
  auto t = resolveTarget(o);
  if (!t) {
    std::cerr << "shipgate status: " << t.status().message() << "\n";
    return 2;
  }
  auto r = call(*t, "GET", "/api/v1/status", nullptr);
  if (int rc = report(r, "status"); rc != 0) return rc;
  if (json) {
    std::cout << r->body.dump(2) << "\n";
  } else {
    printStatus(r->body);
  }
  return 0;
}

int runSwitch(const ClientOptions& o, const std::string& app, const std::string& slot,
              const std::string& weights) {
  nlohmann::json body;
  if (!slot.empty()) {
    body["slot"] = slot;
  } else {
    static const std::regex kWeights(R"(^\s*(blue|green)=(\d{1,3})\s*,\s*(blue|green)=(\d{1,3})\s*$)");
    std::smatch m;
    if (!std::regex_match(weights, m, kWeights) || m[1] == m[3]) {
      std::cerr << "shipgate switch: --weights must look like blue=90,green=10 (got '" << weights
                << "')\n";
      return 2;
    }
    body["weights"][m[1].str()] = std::stoi(m[2]);
    body["weights"][m[3].str()] = std::stoi(m[4]);
  }
  auto t = resolveTarget(o);
  if (!t) {
    std::cerr << "shipgate switch: " << t.status().message() << "\n";
    return 2;
  }
  auto r = call(*t, "POST", "/api/v1/apps/" + app + "/switch", &body);
  if (int rc = report(r, "switch"); rc != 0) return rc;
  for (const auto& a : r->body.value("apps", nlohmann::json::array())) {
    if (a.value("name", "") == app) {
      std::cout << "app " << app << ": active slot " << a.value("active_slot", "")
                << (a["weights"].is_object() ? " weights " + a["weights"].dump() : "") << "\n";
    }
  }
  return 0;
}

int runReload(const ClientOptions& o) {
  auto t = resolveTarget(o);
  if (!t) {
    std::cerr << "shipgate reload: " << t.status().message() << "\n";
    return 2;
  }
  auto r = call(*t, "POST", "/api/v1/reload", nullptr);
  if (int rc = report(r, "reload"); rc != 0) return rc;
  std::cout << "reloaded\n";
  return 0;
}

int runFailoverApprove(const ClientOptions& o, const std::string& app, const std::string& region) {
  auto t = resolveTarget(o);
  if (!t) {
    std::cerr << "shipgate failover approve: " << t.status().message() << "\n";
    return 2;
  }
  nlohmann::json body{{"region", region}};
  auto r = call(*t, "POST", "/api/v1/apps/" + app + "/failover/approve", &body);
  if (int rc = report(r, "failover approve"); rc != 0) return rc;
  std::cout << "app " << app << ": failover to " << region << " approved\n";
  return 0;
}

}  // namespace shipgate::cli
