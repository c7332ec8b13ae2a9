// Client subcommands: status, switch, reload, failover approve. They talk to the admin API.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <limits>
#include <regex>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "admin_client.h"

namespace shipgate::cli {
namespace {

std::string weightsText(const nlohmann::json& app) {
  const nlohmann::json& w = member(app, "weights");
  if (w.is_null()) return "";
  return " weights blue=" + std::to_string(number(w, "blue")) +
         " green=" + std::to_string(number(w, "green"));
}

void printStatus(const nlohmann::json& s) {
  for (const auto& app : list(s, "apps")) {
    std::printf("app %s: active slot %s%s%s\n", text(app, "name").c_str(),
                text(app, "active_slot").c_str(), weightsText(app).c_str(),
                flag(app, "switched_at_runtime") ? " (switched at runtime)" : "");
    for (const auto& r : list(app, "regions")) {
      std::printf("  region %-14s priority %lld  %s%s\n", text(r, "name").c_str(),
                  number(r, "priority"), text(r, "failover_policy").c_str(),
                  flag(r, "waiting_for_approval") ? "  WAITING FOR APPROVAL" : "");
    }
    std::printf("  %-6s %-22s %-12s %-8s %-9s %s\n", "SLOT", "ENDPOINT", "REGION", "HEALTH",
                "IN-FLIGHT", "REQUESTS");
    const nlohmann::json& slots = member(app, "slots");
    for (const char* slot : {"blue", "green"}) {
      for (const auto& ep : slots.is_null() ? list(nlohmann::json::object(), slot)
                                            : list(slots, slot)) {
        std::string health = flag(ep, "healthy") ? "up" : (flag(ep, "ejected") ? "ejected" : "down");
        std::printf("  %-6s %-22s %-12s %-8s %-9lld %lld\n", slot, text(ep, "address").c_str(),
                    text(ep, "region").c_str(), health.c_str(), number(ep, "in_flight"),
                    number(ep, "requests"));
      }
    }
  }
  for (const auto& e : list(s, "events")) std::printf("event: %s\n", text(e, "message").c_str());
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
    std::cout << r->body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  return printAnswer("status", [&] { printStatus(r->body); });
}

int runSwitch(const ClientOptions& o, const std::string& app, const std::string& slot,
              const std::string& weights) {
  if (!validAppName(app, "switch")) return 2;
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
    for (int i : {2, 4}) {
      int w = std::stoi(m[i]);  // at most 3 digits
      if (w > 100) {
        std::cerr << "shipgate switch: --weights: " << m[i - 1] << " must be 0..100 (got " << w
                  << ")\n";
        return 2;
      }
      body["weights"][m[i - 1].str()] = w;
    }
  }
  auto t = resolveTarget(o);
  if (!t) {
    std::cerr << "shipgate switch: " << t.status().message() << "\n";
    return 2;
  }
  auto r = call(*t, "POST", "/api/v1/apps/" + app + "/switch", &body);
  if (int rc = report(r, "switch"); rc != 0) return rc;
  return printAnswer("switch", [&] {
    for (const auto& a : list(r->body, "apps")) {
      if (text(a, "name") == app) {
        std::cout << "app " << app << ": active slot " << text(a, "active_slot") << weightsText(a)
                  << "\n";
      }
    }
  });
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
  if (!validAppName(app, "failover approve")) return 2;
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
