#include "admin_client.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>

#include <httplib.h>

#include "shipgate/admin/admin_server.h"
#include "shipgate/config/loader.h"
#include "shipgate/http/url.h"

namespace shipgate::cli {

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
  t.actor = o.actor;
  if (t.actor.empty()) {
    const char* env = std::getenv("SHIPGATE_ACTOR");
    if (env != nullptr && *env != '\0') t.actor = env;
  }
  if (t.actor.empty()) {
    if (const struct passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
      t.actor = pw->pw_name;
    }
  }
  bool printable = t.actor.size() <= 128;
  for (unsigned char c : t.actor) printable = printable && c >= 0x20 && c != 0x7f;
  if (!printable) {
    return Status::invalidArgument("--actor (or $SHIPGATE_ACTOR) must be at most 128 printable "
                                   "characters");
  }
  return t;
}

Result<Reply> call(const Target& t, const std::string& method, const std::string& path,
                   const nlohmann::json* body, std::chrono::seconds read_timeout) {
  httplib::Client cli(t.host, t.port);
  cli.set_tcp_nodelay(true);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(static_cast<time_t>(read_timeout.count()), 0);
  httplib::Headers headers = {{"Authorization", "Bearer " + t.token}};
  if (!t.actor.empty()) headers.emplace("X-Shipgate-Actor", t.actor);
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

int report(const Result<Reply>& r, const char* what) {
  if (!r) {
    std::cerr << "shipgate " << what << ": " << r.status().message() << "\n";
    return 2;
  }
  if (r->status >= 200 && r->status < 300) return 0;
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


int reportRelease(const Result<Reply>& r, const char* what) {
  if (!r) {
    std::cerr << "shipgate " << what << ": " << r.status().message() << "\n";
    return r.status().code() == Status::Code::kInvalidArgument ? 2 : 4;
  }
  return report(r, what);
}

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

int printAnswer(const char* what, const std::function<void()>& print, int malformed_rc) {
  try {
    print();
    return 0;
  } catch (const MalformedAnswer& e) {
    std::cerr << "shipgate " << what << ": malformed answer from the admin API: " << e.what << "\n";
    return malformed_rc;
  }
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

bool validDeploymentId(const std::string& id, const char* what) {
  bool ok = !id.empty() && id.size() <= 128 && id != "." && id != "..";
  for (unsigned char c : id) ok = ok && (std::isalnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok) {
    std::cerr << "shipgate " << what << ": a deployment id looks like d-12 (letters, digits, "
              << "'-', '_', '.'), got '" << id << "'\n";
  }
  return ok;
}

}  // namespace shipgate::cli
