// The release client commands: deploy, rollback (both follow the deployment's event stream until
// it finishes), approve, reject, deployments, deployment, releases, incidents. Exit statuses in
// commands.h.
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "admin_client.h"
#include "commands.h"
#include "deploy_view.h"
#include "shipgate/admin/sse.h"
#include "shipgate/admin/timestamp.h"
#include "shipgate/common/thread_name.h"

namespace shipgate::cli {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kFailed = 1, kUsage = 2, kRejected = 3, kUnreachable = 4;

bool terminal(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "rejected" ||
         state == "rolled_back";
}

int exitCodeFor(const std::string& state) {
  if (state == "succeeded") return 0;
  if (state == "rejected") return kRejected;
  return kFailed;
}

ViewMode resolveMode(ViewMode mode) {
  if (mode != ViewMode::kAuto) return mode;
  const char* term = std::getenv("TERM");
  const bool dumb = term == nullptr || std::string(term) == "dumb";
  return isatty(STDOUT_FILENO) && !dumb ? ViewMode::kTty : ViewMode::kLines;
}

enum class StreamEnd { kEnded, kLost, kRefused, kMalformed };

// Reads GET /api/v1/deployments/{id}/events after `after` until the stream ends, feeding every
// event to the view and moving `after` on.
StreamEnd readStream(const Target& t, const std::string& id, int64_t& after, DeployView& view,
                     std::string& error) {
  httplib::Client cli(t.host, t.port);
  cli.set_tcp_nodelay(true);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(60, 0);  // the server sends a keep-alive comment every 15 s
  httplib::Headers headers = {{"Authorization", "Bearer " + t.token},
                              {"Accept", "text/event-stream"}};
  if (after > 0) headers.emplace("Last-Event-ID", std::to_string(after));
  int status = 0;
  std::string error_body;
  bool malformed = false;
  admin::SseParser parser([&](const admin::SseEvent& e) {
    if (malformed) return;
    json event = json::parse(e.data, nullptr, false);
    if (e.event == "error") {
      error = event.is_object() && event.contains("error") && event["error"].is_string()
                  ? event["error"].get<std::string>()
                  : e.data;
      malformed = true;
      return;
    }
    if (!event.is_object() || !event.contains("seq") || !event["seq"].is_number_integer()) {
      error = "an event that is not {\"seq\", \"type\", ...}: " + e.data.substr(0, 120);
      malformed = true;
      return;
    }
    const int64_t seq = event["seq"].get<int64_t>();
    if (seq <= after) return;
    after = seq;
    view.onEvent(event);
  });
  auto res = cli.Get(
      "/api/v1/deployments/" + id + "/events", headers,
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, size_t len) {
        if (status != 200) {
          if (error_body.size() < 4096) error_body.append(data, len);
          return true;
        }
        return parser.feed(std::string_view(data, len)) && !malformed;
      });
  if (parser.failed()) {
    error = "the event stream is malformed: " + parser.error();
    return StreamEnd::kMalformed;
  }
  if (malformed) return StreamEnd::kMalformed;
  if (status == 503) {
    // A restarted server answers 503 until its release controller has started: retry.
    error = "the admin API answered 503 (starting)";
    return StreamEnd::kLost;
  }
  if (status != 0 && status != 200) {
    json body = json::parse(error_body, nullptr, false);
    error = "refused (" + std::to_string(status) + "): " +
            (body.is_object() && body.contains("error") && body["error"].is_string()
                 ? body["error"].get<std::string>()
                 : error_body.substr(0, 200));
    return StreamEnd::kRefused;
  }
  if (!res) {
    error = httplib::to_string(res.error());
    return StreamEnd::kLost;
  }
  return StreamEnd::kEnded;
}

// Follows deployment `id` until it finishes: the view shows its steps and events; a lost stream
// (the server restarting) is retried for `reconnect_seconds`. Returns the exit status.
int follow(const Target& t, const std::string& id, ViewMode mode, int reconnect_seconds,
           const char* what) {
  DeployView view(mode, std::cout);
  auto first = call(t, "GET", "/api/v1/deployments/" + id, nullptr);
  if (int rc = reportRelease(first, what); rc != 0) return rc;
  view.setDeployment(first->body);

  std::atomic<bool> done{false};
  int rc = 0;
  json final_state;
  std::string failure;
  std::thread reader([&] {
    setThreadName("sg-events");
    int64_t after = 0;
    bool lost = false;
    std::chrono::steady_clock::time_point lost_since{};
    for (;;) {
      std::string error;
      const StreamEnd end = readStream(t, id, after, view, error);
      if (end == StreamEnd::kRefused || end == StreamEnd::kMalformed) {
        failure = error;
        rc = end == StreamEnd::kRefused ? kFailed : kUnreachable;
        break;
      }
      // The stream ended (finished, or the server is stopping) or was lost: ask for the state.
      auto d = call(t, "GET", "/api/v1/deployments/" + id, nullptr);
      if (d && d->status == 503) {
        // Starting (the release controller reconciles first): as good as unreachable for now.
        d = Status::unavailable("the admin API is starting (503): " +
                                d->body.value("error", std::string()));
      }
      if (d && d->status == 200) {
        lost = false;
        const std::string state = d->body.value("state", std::string());
        if (terminal(state)) {
          final_state = d->body;
          rc = exitCodeFor(state);
          break;
        }
        if (end == StreamEnd::kLost) std::this_thread::sleep_for(300ms);
        continue;
      }
      if (d) {
        failure = "refused (" + std::to_string(d->status) + "): " +
                  d->body.value("error", d->body.dump());
        rc = d->status == 401 ? kUsage : kFailed;
        break;
      }
      const auto now = std::chrono::steady_clock::now();
      if (!lost) {
        lost = true;
        lost_since = now;
        view.note("lost the admin API (" + (error.empty() ? d.status().message() : error) +
                  "); retrying for " + std::to_string(reconnect_seconds) + "s");
      } else if (now - lost_since > std::chrono::seconds(reconnect_seconds)) {
        failure = "lost the admin API for " + std::to_string(reconnect_seconds) +
                  "s: " + d.status().message();
        rc = kUnreachable;
        break;
      }
      std::this_thread::sleep_for(500ms);
    }
    done = true;
  });
  while (!done.load()) {
    view.redraw();
    for (int i = 0; i < 4 && !done.load(); ++i) std::this_thread::sleep_for(50ms);
  }
  reader.join();
  if (!final_state.is_null()) {
    view.finish(final_state, rc);
  } else {
    view.redraw();
    std::cerr << "shipgate " << what << ": deployment " << id << ": " << failure << "\n";
  }
  return rc;
}

bool validVersion(const std::string& v) {
  static const std::regex kVersion("^[A-Za-z0-9._+-]{1,64}$");
  return std::regex_match(v, kVersion);
}

// --commit-time: RFC 3339 (git show -s --format=%cI) or Unix seconds (%ct).
std::optional<int64_t> commitTime(const std::string& text, std::string& error) {
  int64_t seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (!text.empty() && ec == std::errc() && p == text.data() + text.size()) {
    if (seconds < 0 || seconds > 253402300799) {
      error = "--commit-time: Unix seconds out of range (got " + text + ")";
      return std::nullopt;
    }
    return seconds * 1000;
  }
  auto ms = admin::parseRfc3339Millis(text);
  if (!ms) {
    error = "--commit-time: " + ms.status().message() + ", or Unix seconds";
    return std::nullopt;
  }
  return *ms;
}

// Resolves the target; prints the problem and returns nullopt (exit 2) when it cannot.
std::optional<Target> target(const ClientOptions& o, const char* what) {
  auto t = resolveTarget(o);
  if (!t) {
    std::cerr << "shipgate " << what << ": " << t.status().message() << "\n";
    return std::nullopt;
  }
  return *t;
}

// Starts a deployment (POST) and follows it unless no_wait.
int startAndFollow(const Target& t, const std::string& path, const json& body, ViewMode mode,
                   bool no_wait, int reconnect_seconds, const char* what) {
  auto r = call(t, "POST", path, &body);
  if (int rc = reportRelease(r, what); rc != 0) return rc;
  std::string id;
  if (int rc = printAnswer(what, [&] { id = text(r->body, "id"); }, kUnreachable); rc != 0) {
    return rc;
  }
  if (id.empty() || !validDeploymentId(id, what)) {
    std::cerr << "shipgate " << what << ": malformed answer from the admin API: no deployment id\n";
    return kUnreachable;
  }
  mode = resolveMode(mode);
  if (mode == ViewMode::kJson) {
    std::cout << json{{"type", "accepted"}, {"id", id}}.dump() << "\n";
  } else if (no_wait) {
    std::cout << id << "\n";
  } else {
    std::cout << "deployment " << id << " accepted\n";
  }
  std::cout.flush();
  if (no_wait) return 0;
  return follow(t, id, mode, reconnect_seconds, what);
}

}  // namespace

int runDeploy(const ClientOptions& o, const DeployOptions& d) {
  const char* what = "deploy";
  if (!validAppName(d.app, what)) return kUsage;
  if (!validVersion(d.version)) {
    std::cerr << "shipgate deploy: --version must be 1..64 of letters, digits, '.', '_', '+', "
                 "'-' (got '" << d.version << "')\n";
    return kUsage;
  }
  json body{{"app", d.app}, {"version", d.version}};
  if (!d.env.empty()) body["env"] = d.env;
  if (!d.artifact.empty()) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(d.artifact, ec);
    body["artifact"] = ec ? d.artifact : abs.lexically_normal().string();
  }
  if (!d.commit_sha.empty()) {
    static const std::regex kSha("^[0-9a-fA-F]{4,64}$");
    if (!std::regex_match(d.commit_sha, kSha)) {
      std::cerr << "shipgate deploy: --commit must be a commit SHA (4..64 hex digits), got '"
                << d.commit_sha << "'\n";
      return kUsage;
    }
    body["commit_sha"] = d.commit_sha;
  }
  if (!d.commit_time.empty()) {
    if (d.commit_sha.empty()) {
      std::cerr << "shipgate deploy: --commit-time needs --commit\n";
      return kUsage;
    }
    std::string error;
    auto ms = commitTime(d.commit_time, error);
    if (!ms) {
      std::cerr << "shipgate deploy: " << error << "\n";
      return kUsage;
    }
    body["commit_time"] = *ms;
  }
  if (!d.reason.empty()) body["reason"] = d.reason;
  if (d.override_gates) {
    if (d.reason.empty()) {
      std::cerr << "shipgate deploy: --override-gates needs --reason \"why\" (recorded with who "
                   "overrode the quality gates)\n";
      return kUsage;
    }
    body["override_gates"] = true;
  }
  auto t = target(o, what);
  if (!t) return kUsage;
  return startAndFollow(*t, "/api/v1/deployments", body, d.view, d.no_wait, d.reconnect_seconds,
                        what);
}

int runRollback(const ClientOptions& o, const RollbackOptions& r) {
  const char* what = "rollback";
  if (!validAppName(r.app, what)) return kUsage;
  if (r.reason.empty()) {
    std::cerr << "shipgate rollback: --reason must say why (it is recorded)\n";
    return kUsage;
  }
  if (!r.to.empty() && !validVersion(r.to)) {
    std::cerr << "shipgate rollback: --to must be a version (got '" << r.to << "')\n";
    return kUsage;
  }
  if (r.with_migrations && r.emergency) {
    std::cerr << "shipgate rollback: --with-migrations cannot go with --emergency (an emergency "
                 "rollback never touches the database)\n";
    return kUsage;
  }
  json body{{"reason", r.reason}, {"emergency", r.emergency}};
  if (r.with_migrations) body["with_migrations"] = true;
  if (!r.to.empty()) body["to"] = r.to;
  auto t = target(o, what);
  if (!t) return kUsage;
  return startAndFollow(*t, "/api/v1/apps/" + r.app + "/rollback", body, r.view, r.no_wait,
                        r.reconnect_seconds, what);
}

int runApprove(const ClientOptions& o, const std::string& id, bool as_json) {
  if (!validDeploymentId(id, "approve")) return kUsage;
  auto t = target(o, "approve");
  if (!t) return kUsage;
  auto r = call(*t, "POST", "/api/v1/deployments/" + id + "/approve", nullptr);
  if (int rc = reportRelease(r, "approve"); rc != 0) return rc;
  if (as_json) {
    std::cout << r->body.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  return printAnswer(
      "approve",
      [&] {
        std::cout << "deployment " << id << " approved by " << text(r->body, "approved_by")
                  << " (state " << text(r->body, "state") << ")\n";
      },
      kUnreachable);
}

int runReject(const ClientOptions& o, const std::string& id, const std::string& reason,
              bool as_json) {
  if (!validDeploymentId(id, "reject")) return kUsage;
  if (reason.empty()) {
    std::cerr << "shipgate reject: --reason must say why (it is recorded)\n";
    return kUsage;
  }
  auto t = target(o, "reject");
  if (!t) return kUsage;
  json body{{"reason", reason}};
  auto r = call(*t, "POST", "/api/v1/deployments/" + id + "/reject", &body);
  if (int rc = reportRelease(r, "reject"); rc != 0) return rc;
  if (as_json) {
    std::cout << r->body.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  return printAnswer(
      "reject",
      [&] {
        std::cout << "deployment " << id << " rejected (state " << text(r->body, "state")
                  << ")\n";
      },
      kUnreachable);
}

int runDeployments(const ClientOptions& o, const std::string& app, int limit, bool as_json) {
  if (!app.empty() && !validAppName(app, "deployments")) return kUsage;
  if (limit < 1 || limit > 1000) {
    std::cerr << "shipgate deployments: --limit must be 1..1000\n";
    return kUsage;
  }
  auto t = target(o, "deployments");
  if (!t) return kUsage;
  std::string path = "/api/v1/deployments?limit=" + std::to_string(limit);
  if (!app.empty()) path += "&app=" + app;
  auto r = call(*t, "GET", path, nullptr);
  if (int rc = reportRelease(r, "deployments"); rc != 0) return rc;
  if (as_json) {
    std::cout << r->body.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  return printAnswer(
      "deployments",
      [&] {
        const json& all = list(r->body, "deployments");
        if (all.empty()) {
          std::cout << "no deployments" << (app.empty() ? "" : " of " + app) << "\n";
          return;
        }
        std::printf("%-10s %-12s %-12s %-10s %-18s %-16s %-9s %-9s %s\n", "ID", "APP", "ENV",
                    "VERSION", "KIND", "STATE", "CREATED", "DURATION", "BY");
        for (const auto& d : all) {
          const long long created = number(d, "created_at"), finished = number(d, "finished_at");
          std::printf("%-10s %-12s %-12s %-10s %-18s %-16s %-9s %-9s %s\n", text(d, "id").c_str(),
                      text(d, "app").c_str(), text(d, "env").c_str(), text(d, "version").c_str(),
                      text(d, "kind").c_str(), text(d, "state").c_str(),
                      clockTime(created).c_str(),
                      finished > 0 ? formatDuration(finished - created).c_str() : "-",
                      text(d, "actor").c_str());
        }
      },
      kUnreachable);
}

int runDeployment(const ClientOptions& o, const std::string& id, bool as_json) {
  if (!validDeploymentId(id, "deployment")) return kUsage;
  auto t = target(o, "deployment");
  if (!t) return kUsage;
  auto r = call(*t, "GET", "/api/v1/deployments/" + id, nullptr);
  if (int rc = reportRelease(r, "deployment"); rc != 0) return rc;
  if (as_json) {
    std::cout << r->body.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  return printAnswer("deployment", [&] { printChecklist(r->body, std::cout); }, kUnreachable);
}

int runReleases(const ClientOptions& o, const std::string& app, bool as_json) {
  if (!validAppName(app, "releases")) return kUsage;
  auto t = target(o, "releases");
  if (!t) return kUsage;
  auto r = call(*t, "GET", "/api/v1/apps/" + app + "/releases", nullptr);
  if (int rc = reportRelease(r, "releases"); rc != 0) return rc;
  if (as_json) {
    std::cout << r->body.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  return printAnswer(
      "releases",
      [&] {
        const std::string live = text(r->body, "live_slot");
        std::cout << "app " << app << ": live slot " << (live.empty() ? "(none)" : live) << "\n";
        const json& slots = member(r->body, "slots");
        for (const char* slot : {"blue", "green"}) {
          if (!slots.is_object() || !slots.contains(slot)) continue;
          const json& s = slots[slot];
          const std::string version = text(s, "version");
          std::printf("  %-6s %-10s %s\n", slot, version.empty() ? "-" : version.c_str(),
                      text(s, "state").c_str());
        }
        const json& all = list(r->body, "releases");
        if (all.empty()) {
          std::cout << "no releases recorded\n";
          return;
        }
        std::printf("%-10s %-5s %-12s %-20s %-20s %-12s %s\n", "VERSION", "LIVE", "COMMIT",
                    "COMMITTED", "CREATED", "BY", "ARTIFACT");
        for (const auto& rel : all) {
          const long long commit_time = number(rel, "commit_time");
          const long long created = number(rel, "created_at");
          std::printf("%-10s %-5s %-12s %-20s %-20s %-12s %s\n", text(rel, "version").c_str(),
                      flag(rel, "live") ? "yes" : "",
                      text(rel, "commit_sha").substr(0, 12).c_str(),
                      commit_time > 0 ? admin::formatRfc3339Millis(commit_time).c_str() : "-",
                      created > 0 ? admin::formatRfc3339Millis(created - created % 1000).c_str()
                                  : "-",
                      text(rel, "created_by").c_str(), text(rel, "artifact").c_str());
        }
      },
      kUnreachable);
}

int runIncidents(const ClientOptions& o, const std::string& app, bool open_only, bool as_json) {
  if (!app.empty() && !validAppName(app, "incidents")) return kUsage;
  auto t = target(o, "incidents");
  if (!t) return kUsage;
  std::string path = "/api/v1/incidents?limit=100";
  if (!app.empty()) path += "&app=" + app;
  if (open_only) path += "&open=true";
  auto r = call(*t, "GET", path, nullptr);
  if (int rc = reportRelease(r, "incidents"); rc != 0) return rc;
  if (as_json) {
    std::cout << r->body.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  return printAnswer(
      "incidents",
      [&] {
        const json& all = list(r->body, "incidents");
        if (all.empty()) {
          std::cout << "no incidents\n";
          return;
        }
        std::printf("%-5s %-12s %-10s %-20s %-10s %s\n", "ID", "APP", "DEPLOY", "OPENED",
                    "RECOVERED", "CAUSE");
        for (const auto& i : all) {
          const json& ttr = member(i, "time_to_recover_ms");
          std::printf("%-5lld %-12s %-10s %-20s %-10s %s\n", number(i, "id"),
                      text(i, "app").c_str(), text(i, "deployment_id").c_str(),
                      admin::formatRfc3339Millis(number(i, "opened_at")).c_str(),
                      ttr.is_number() ? formatDuration(number(i, "time_to_recover_ms")).c_str()
                                      : "open",
                      text(i, "cause").c_str());
        }
      },
      kUnreachable);
}

}  // namespace shipgate::cli
