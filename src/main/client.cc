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
    if (!url.isOk()) {
      // The parser names the part that is wrong ("port \"99999\" is not 1..65535", ...).
      return Status::invalidArgument("--admin: " + url.status().message() + " (got '" +
                                     o.admin_url + "'; expected http://127.0.0.1:9901)");
    }
    if (url->tls() || !url->explicit_port || url->path_and_query != "/") {
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
  if (reply.body.is_discarded() || !reply.body.is_object()) {
    std::string head = r->body.substr(0, 200);
    for (char& c : head) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
    }
    return Status::internal("the admin API at " + t.host + ":" + std::to_string(t.port) +
                            " answered " + std::to_string(r->status) +
                            " with a body that is not a JSON object: '" + head + "'");
  }
  return reply;
}

// Exit status of a call: 0 on 200; 2 when the call failed or its answer was malformed (message
// on stderr) or the token was refused; 1 when the API refused the change.
int report(const Result<Reply>& r, const char* what) {
  if (!r) {
    std::cerr << "shipgate " << what << ": " << r.status().message() << "\n";
    return 2;
  }
  if (r->status == 200) return 0;
  const nlohmann::json* error = r->body.contains("error") ? &r->body["error"] : nullptr;
  std::string message = error && error->is_string() ? error->get<std::string>()
                                                     : r->body.dump(-1, ' ', false,
                                                                    nlohmann::json::error_handler_t::replace);
  if (r->status == 401) {
    std::cerr << "shipgate " << what << ": the admin API refused the token (401): " << message
              << "\n";
    return 2;
  }
  std::cerr << "shipgate " << what << ": refused (" << r->status << "): " << message << "\n";
  return 1;
}

// Reads a field of an answer, checking its type. Throws MalformedAnswer (caught in this file by
// printAnswer) when the answer does not have the shape the API documents.
struct MalformedAnswer {
  std::string what;
};

const nlohmann::json& member(const nlohmann::json& o, const char* key) {
  static const nlohmann::json kNull;
  if (!o.is_object()) throw MalformedAnswer{std::string("expected an object around \"") + key + "\""};
  auto it = o.find(key);
  return it == o.end() ? kNull : *it;
}

std::string text(const nlohmann::json& o, const char* key) {
  const nlohmann::json& v = member(o, key);
  if (v.is_null()) return "";
  if (!v.is_string()) throw MalformedAnswer{std::string("\"") + key + "\" is not a string"};
  return v.get<std::string>();
}

long long number(const nlohmann::json& o, const char* key) {
  const nlohmann::json& v = member(o, key);
  if (v.is_null()) return 0;
  if (!v.is_number_integer()) throw MalformedAnswer{std::string("\"") + key + "\" is not an integer"};
  return v.is_number_unsigned() ? static_cast<long long>(std::min<uint64_t>(
                                      v.get<uint64_t>(), std::numeric_limits<long long>::max()))
                                : v.get<long long>();
}

bool flag(const nlohmann::json& o, const char* key) {
  const nlohmann::json& v = member(o, key);
  if (v.is_null()) return false;
  if (!v.is_boolean()) throw MalformedAnswer{std::string("\"") + key + "\" is not a boolean"};
  return v.get<bool>();
}

const nlohmann::json& list(const nlohmann::json& o, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const nlohmann::json& v = member(o, key);
  if (v.is_null()) return kEmpty;
  if (!v.is_array()) throw MalformedAnswer{std::string("\"") + key + "\" is not a list"};
  return v;
}

// Runs `print` on a 200 answer; a malformed answer is reported on stderr with exit status 2.
template <typename Print>
int printAnswer(const char* what, Print print) {
  try {
    print();
    return 0;
  } catch (const MalformedAnswer& e) {
    std::cerr << "shipgate " << what << ": malformed answer from the admin API: " << e.what << "\n";
    return 2;
  }
}

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

// An app name goes into the URL path: it must be one path segment without bytes that need escaping.
bool validAppName(const std::string& app, const char* what) {
  bool ok = !app.empty() && app != "." && app != "..";
  for (unsigned char c : app) ok = ok && (std::isalnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok) {
    std::cerr << "shipgate " << what << ": --app must be an app name (letters, digits, '-', '_', "
              << "'.'), got '" << app << "'\n";
  }
  return ok;
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
