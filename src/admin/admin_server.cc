#include "shipgate/admin/admin_server.h"

#include <openssl/crypto.h>

#include <fstream>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "shipgate/admin/controller.h"
#include "shipgate/common/log.h"
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

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

void sendError(httplib::Response& res, int status, const std::string& message) {
  sendJson(res, status, json{{"error", message}});
}

int httpStatusFor(const Status& st) {
  switch (st.code()) {
    case Status::Code::kNotFound: return 404;
    case Status::Code::kInvalidArgument: return 422;
    case Status::Code::kFailedPrecondition: return 409;
    default: return 500;
  }
}

// Parses a JSON object body; on failure writes a 400 and returns nullopt.
std::optional<json> parseBody(const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    sendError(res, 400, "request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

}  // namespace

AdminServer::AdminServer(Controller& controller, metrics::Registry& metrics)
    : controller_(controller), metrics_(metrics) {}

AdminServer::~AdminServer() { stop(); }

Status AdminServer::start(const config::AdminConfig& config) {
  auto token = readTokenFile(config.token_file);
  if (!token) return token.status();
  token_ = *token;
  http_ = std::make_unique<httplib::Server>();
  auto& s = *http_;

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

  s.Get("/api/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, controller_.status());
  });

  s.Post(R"(/api/v1/apps/([^/]+)/switch)", [this](const httplib::Request& req,
                                                  httplib::Response& res) {
    const std::string app = req.matches[1];
    auto body = parseBody(req, res);
    if (!body) return;
    Status st;
    if (body->contains("slot")) {
      const json& slot = (*body)["slot"];
      if (!slot.is_string() || (slot != "blue" && slot != "green")) {
        return sendError(res, 400, "\"slot\" must be \"blue\" or \"green\"");
      }
      st = controller_.switchSlot(app, slot == "blue" ? config::Slot::kBlue : config::Slot::kGreen);
    } else if (body->contains("weights")) {
      const json& w = (*body)["weights"];
      if (!w.is_object()) return sendError(res, 400, "\"weights\" must be an object");
      for (auto it = w.begin(); it != w.end(); ++it) {
        if ((it.key() != "blue" && it.key() != "green") || !it.value().is_number_integer()) {
          return sendError(res, 400,
                           "\"weights\" takes integer \"blue\" and \"green\" (got \"" + it.key() +
                               "\")");
        }
      }
      st = controller_.setWeights(app, w.value("blue", 0), w.value("green", 0));
    } else {
      return sendError(res, 400, "body needs \"slot\" or \"weights\"");
    }
    if (!st.isOk()) return sendError(res, httpStatusFor(st), st.message());
    sendJson(res, 200, controller_.status());
  });

  s.Post(R"(/api/v1/apps/([^/]+)/failover/approve)", [this](const httplib::Request& req,
                                                             httplib::Response& res) {
    auto body = parseBody(req, res);
    if (!body) return;
    if (!body->contains("region") || !(*body)["region"].is_string()) {
      return sendError(res, 400, "body needs \"region\" (a string)");
    }
    Status st = controller_.approveFailover(req.matches[1], (*body)["region"]);
    if (!st.isOk()) return sendError(res, httpStatusFor(st), st.message());
    sendJson(res, 200, json{{"approved", true}});
  });

  s.Post("/api/v1/reload", [this](const httplib::Request&, httplib::Response& res) {
    Status st = controller_.reload();
    if (!st.isOk()) return sendError(res, 422, st.message());
    sendJson(res, 200, json{{"reloaded", true}});
  });

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
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  log::info("admin API listening on " + host + ":" + std::to_string(port_));
  return Status::ok();
}

void AdminServer::stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
  http_.reset();
}

}  // namespace shipgate::admin
