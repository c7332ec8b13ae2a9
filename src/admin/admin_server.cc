#include "shipgate/admin/admin_server.h"

#include <openssl/crypto.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "shipgate/admin/controller.h"
#include "http_util.h"
#include "release_routes.h"
#include "flags_routes.h"
#include "secrets_routes.h"
#include "shipgate/common/log.h"
#include "shipgate/common/thread_name.h"
#include "shipgate/metrics/registry.h"

namespace shipgate::admin {

using nlohmann::json;

Result<std::string> readTokenFile(const std::string& path) {
  if (path.empty()) return Status::invalidArgument("admin.token_file is not set");
  std::ifstream in(path);
  if (!in) return Status::notFound("cannot read admin token file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  size_t start = 0;
  while (start < token.size() && isspace(static_cast<unsigned char>(token[start]))) ++start;
  token.erase(0, start);
  if (token.empty()) return Status::invalidArgument("admin token file " + path + " is empty");
  if (token.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::invalidArgument("admin token file " + path + " must hold one token");
  }
  return token;
}

namespace {

// One weight: an integer 0..100. Anything else writes 400 (not an integer) or 422 (out of
// range) naming the field, and returns nullopt; nothing is narrowed.
std::optional<int> parseWeight(const json& v, const std::string& field, httplib::Response& res) {
  if (!v.is_number_integer()) {
    sendError(res, 400, "\"" + field + "\" must be an integer 0..100, not " +
                            (v.is_number() ? v.dump() : std::string(v.type_name())),
              field);
    return std::nullopt;
  }
  // nlohmann stores non-negative integers as unsigned: a signed one here is negative.
  if (!v.is_number_unsigned() || v.get<uint64_t>() > 100) {
    sendError(res, 422, "\"" + field + "\" must be 0..100 (got " + v.dump() + ")", field);
    return std::nullopt;
  }
  return static_cast<int>(v.get<uint64_t>());
}

// Runs the switch call's body: {"slot": "blue"|"green"} or {"weights": {"blue": N, "green": M}}.
void handleSwitch(Controller& controller, const std::string& app, const httplib::Request& req,
                  httplib::Response& res) {
  auto body = parseBody(req, res, {"slot", "weights"});
  if (!body) return;
  bool actor_ok = false;
  const std::string actor = actorOf(req, &actor_ok);
  if (!actor_ok) {
    return sendError(res, 400,
                     "header X-Shipgate-Actor must be 1..128 printable characters (who is asking)");
  }
  const bool has_slot = body->contains("slot"), has_weights = body->contains("weights");
  if (has_slot == has_weights) {
    return sendError(res, 400,
                     has_slot ? "give \"slot\" or \"weights\", not both"
                              : "body needs \"slot\" or \"weights\"",
                     has_slot ? "weights" : "");
  }
  Status st;
  std::string field;
  if (has_slot) {
    const json& slot = (*body)["slot"];
    if (!slot.is_string() || (slot != "blue" && slot != "green")) {
      return sendError(res, 400, "\"slot\" must be \"blue\" or \"green\" (got " + slot.dump() + ")",
                       "slot");
    }
    field = "slot";
    st = controller.switchSlot(app, slot == "blue" ? traffic::Slot::kBlue : traffic::Slot::kGreen,
                               actor);
  } else {
    const json& w = (*body)["weights"];
    if (!w.is_object()) {
      return sendError(res, 400, std::string("\"weights\" must be an object, not ") + w.type_name(),
                       "weights");
    }
    int weights[2] = {0, 0};
    for (auto it = w.begin(); it != w.end(); ++it) {
      if (it.key() != "blue" && it.key() != "green") {
        return sendError(res, 400,
                         "unknown slot \"" + it.key() + "\" in \"weights\" (slots: \"blue\", \"green\")",
                         "weights." + it.key());
      }
      auto weight = parseWeight(it.value(), "weights." + it.key(), res);
      if (!weight) return;
      weights[it.key() == "blue" ? 0 : 1] = *weight;
    }
    field = "weights";
    st = controller.setWeights(app, weights[0], weights[1], actor);
  }
  if (!st.isOk()) {
    int status = httpStatusFor(st);
    return sendError(res, status, st.message(), status == 404 ? "" : field);
  }
  sendJson(res, 200, controller.status());
}

}  // namespace

AdminServer::AdminServer(Controller& controller, metrics::Registry& metrics,
                         release::ReleaseController* releases, store::StateStore* store)
    : controller_(controller),
      metrics_(metrics),
      release_routes_(std::make_unique<ReleaseRoutes>(releases, store)),
      secrets_routes_(std::make_unique<SecretsRoutes>(SecretsSources{})),
      flags_routes_(std::make_unique<FlagsRoutes>(nullptr, nullptr)) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::setSecrets(
    secrets::SecretsStore* store,
    std::function<std::shared_ptr<const secrets::SecretsConfig>()> access) {
  secrets_routes_ = std::make_unique<SecretsRoutes>(SecretsSources{store, std::move(access)});
}

void AdminServer::setFlags(flags::FlagStore* store, std::function<void()> changed) {
  flags_routes_ = std::make_unique<FlagsRoutes>(store, std::move(changed));
}

Status AdminServer::start(const config::AdminConfig& config) {
  auto token = readTokenFile(config.token_file);
  if (!token) return token.status();
  token_ = *token;
  http_ = std::make_unique<httplib::Server>();
  auto& s = *http_;
  // An answer goes out as a head write and a body write: without TCP_NODELAY the body waits
  // for the client's delayed ACK (about 40 ms on Linux) on every call.
  s.set_tcp_nodelay(true);
  // Event streams hold a worker each while they last: room for all of them plus ordinary calls.
  // (httplib owns the queue it is handed and deletes it.)
  s.new_task_queue = [] { return new httplib::ThreadPool(StreamSettings{}.max_streams + 8); };
  // Every body is bounded (a secret's value is at most 64 KiB; JSON bodies are small; a release's
  // reports, uploaded with it, at most 16 MiB each): a longer one is answered 413 before any
  // handler runs. Bodies are read only after the token was checked (pre-routing).
  s.set_payload_max_length(64 << 20);

  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const std::string auth = req.get_header_value("Authorization");
    const std::string expected = "Bearer " + token_;
    if (auth.size() != expected.size() ||
        CRYPTO_memcmp(auth.data(), expected.data(), auth.size()) != 0) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"shipgate\"");
      sendError(res, 401, "missing or wrong bearer token");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Every route's handler first offers the request to the cluster forwarder (when one is set).
  Routes routes(s, [this](httplib::Server::Handler local) -> httplib::Server::Handler {
    return [this, local = std::move(local)](const httplib::Request& req, httplib::Response& res) {
      if (forwarder_) {
        ForwardRequest fwd{req.method, req.target, req.get_header_value("Authorization"),
                           req.get_header_value("X-Shipgate-Actor"),
                           req.get_header_value("X-Shipgate-Forwarded-By"),
                           req.get_header_value("Content-Type"), req.body};
        if (auto answer = forwarder_(fwd)) {
          res.status = answer->status;
          if (answer->stream) {
            auto stream = answer->stream;
            res.set_chunked_content_provider(
                answer->content_type, [stream](size_t, httplib::DataSink& sink) {
                  stream([&sink](const std::string& chunk) {
                    return sink.is_writable() && sink.write(chunk.data(), chunk.size());
                  });
                  sink.done();
                  return true;
                });
            return;
          }
          res.set_content(answer->body, answer->content_type.empty()
                                            ? "application/json"
                                            : answer->content_type.c_str());
          return;
        }
      }
      local(req, res);
    };
  });

  routes.Get("/api/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, controller_.status());
  });

  routes.Post(R"(/api/v1/apps/([^/]+)/switch)", [this](const httplib::Request& req,
                                                  httplib::Response& res) {
    handleSwitch(controller_, req.matches[1], req, res);
  });

  routes.Post(R"(/api/v1/apps/([^/]+)/failover/approve)", [this](const httplib::Request& req,
                                                             httplib::Response& res) {
    auto body = parseBody(req, res, {"region"});
    if (!body) return;
    if (!body->contains("region")) return sendError(res, 400, "body needs \"region\"", "region");
    const json& region = (*body)["region"];
    if (!region.is_string() || region.get_ref<const std::string&>().empty()) {
      return sendError(res, 400, "\"region\" must be a region name (got " + region.dump() + ")",
                       "region");
    }
    bool actor_ok = false;
    const std::string actor = actorOf(req, &actor_ok);
    if (!actor_ok) return sendError(res, 400, "header X-Shipgate-Actor must be 1..128 printable characters");
    Status st = controller_.approveFailover(req.matches[1], region.get<std::string>(), actor);
    if (!st.isOk()) return sendError(res, httpStatusFor(st), st.message());
    sendJson(res, 200, json{{"approved", true}});
  });

  routes.Post("/api/v1/reload", [this](const httplib::Request& req, httplib::Response& res) {
    if (!parseBody(req, res, {})) return;
    bool actor_ok = false;
    const std::string actor = actorOf(req, &actor_ok);
    if (!actor_ok) return sendError(res, 400, "header X-Shipgate-Actor must be 1..128 printable characters");
    Status st = controller_.reload(actor);
    if (!st.isOk()) return sendError(res, 422, st.message());
    sendJson(res, 200, json{{"reloaded", true}});
  });

  release_routes_->install(routes);
  secrets_routes_->install(s);
  flags_routes_->install(s);

  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.renderPrometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });

  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      sendError(res, res.status, res.status == 404 ? "no such endpoint" : "request failed");
    }
  });

  const std::string host = config.address.host.empty() ? "127.0.0.1" : config.address.host;
  if (config.address.port == 0) {
    int p = s.bind_to_any_port(host);
    if (p <= 0) return Status::ioError("admin API cannot bind " + host + ":0");
    port_ = static_cast<uint16_t>(p);
  } else {
    if (!s.bind_to_port(host, config.address.port)) {
      return Status::ioError("admin API cannot bind " + config.address.toString());
    }
    port_ = config.address.port;
  }
  thread_ = std::thread([this] {
    setThreadName("sg-admin");  // the server's pool threads, started here, inherit it
    http_->listen_after_bind();
  });
  log::info("admin API listening on " + host + ":" + std::to_string(port_));
  return Status::success();
}

void AdminServer::releasesReady() { release_routes_->setReady(); }

void AdminServer::stop() {
  release_routes_->stopStreams();
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
  http_.reset();
}

}  // namespace shipgate::admin
