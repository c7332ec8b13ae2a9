#include "shipgate/cluster/leader_forwarder.h"

// GCC 12 false positive (GCC PR 105616): <regex>'s NFA states warn under -fsanitize=address.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "shipgate/cluster/node_registry.h"
#include "shipgate/common/log.h"

namespace shipgate::cluster {
namespace {

admin::ForwardResponse jsonError(int status, const std::string& message) {
  return {status, "application/json", nlohmann::json{{"error", message}}.dump(), nullptr};
}

}  // namespace

LeaderForwarder::LeaderForwarder(NodeRegistry& registry, std::string self_id,
                                 std::function<bool()> is_leader)
    : registry_(registry), self_id_(std::move(self_id)), is_leader_(std::move(is_leader)) {}

bool LeaderForwarder::isSharedCall(const std::string& method, const std::string& path) {
  static const std::regex post_calls(
      R"(/api/v1/(deployments(/[^/]+/(approve|reject))?|apps/[^/]+/(rollback|switch|failover/approve|releases)))");
  static const std::regex get_calls(
      R"(/api/v1/(deployments(/[^/]+(/events)?)?|apps/[^/]+/releases|incidents))");
  if (method == "POST") return std::regex_match(path, post_calls);
  if (method == "GET") return std::regex_match(path, get_calls);
  return false;
}

std::optional<admin::ForwardResponse> LeaderForwarder::forward(const admin::ForwardRequest& req) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (!isSharedCall(req.method, path)) return std::nullopt;
  if (is_leader_()) return std::nullopt;
  if (!req.forwarded_by.empty()) {
    return jsonError(503, "node " + self_id_ +
                              " is not the cluster leader and the call was "
                              "already forwarded by " +
                              req.forwarded_by +
                              " (the nodes disagree on the leader during an election); retry");
  }
  auto leader = registry_.leader();
  if (!leader) {
    return jsonError(
        503, "no cluster leader: the node registry cannot be read: " + leader.status().message());
  }
  if (!leader->has_value() || (*leader)->id == self_id_ || (*leader)->admin_address.empty()) {
    return jsonError(503,
                     "no cluster leader right now (an election is under way); retry in a "
                     "few seconds");
  }
  const NodeInfo& to = **leader;
  const size_t colon = to.admin_address.rfind(':');
  if (colon == std::string::npos) {
    return jsonError(
        502, "the leader " + to.id + " has no usable admin address '" + to.admin_address + "'");
  }
  std::string host = to.admin_address.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(to.admin_address.substr(colon + 1));
  } catch (...) {
  }
  httplib::Client client(host, port);
  client.set_connection_timeout(3, 0);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(120, 0);
  client.set_write_timeout(30, 0);
  httplib::Headers headers = {{"Authorization", req.authorization},
                              {"X-Shipgate-Forwarded-By", self_id_}};
  if (!req.actor.empty()) headers.emplace("X-Shipgate-Actor", req.actor);
  const bool events =
      req.method == "GET" && path.size() > 7 && path.compare(path.size() - 7, 7, "/events") == 0;
  if (events) {
    // An event stream is relayed as it comes. The deployment is looked up first, so an unknown
    // id (or a refused token) gets the leader's plain answer instead of a stream.
    httplib::Result check = client.Get(path.substr(0, path.size() - 7), headers);
    if (!check) {
      return jsonError(502, "the cluster leader " + to.id + " at " + to.admin_address +
                                " did not answer: " + httplib::to_string(check.error()));
    }
    if (check->status != 200) {
      return admin::ForwardResponse{check->status, check->get_header_value("Content-Type"),
                                    check->body, nullptr};
    }
    admin::ForwardResponse out;
    out.status = 200;
    out.content_type = "text/event-stream";
    const std::string target = req.target;
    out.stream = [host, port, target,
                  headers](const std::function<bool(const std::string&)>& write) {
      httplib::Client relay(host, port);
      relay.set_connection_timeout(3, 0);
      relay.set_tcp_nodelay(true);
      relay.set_read_timeout(60, 0);  // the leader sends a keep-alive comment every 15 s
      (void)relay.Get(target, headers,
                      [&](const char* data, size_t n) { return write(std::string(data, n)); });
    };
    return out;
  }
  httplib::Result r =
      req.method == "POST"
          ? client.Post(req.target, headers, req.body,
                        req.content_type.empty() ? "application/json" : req.content_type)
          : client.Get(req.target, headers);
  if (!r) {
    return jsonError(502, "the cluster leader " + to.id + " at " + to.admin_address +
                              " did not answer: " + httplib::to_string(r.error()));
  }
  admin::ForwardResponse out;
  out.status = r->status;
  out.content_type = r->get_header_value("Content-Type");
  out.body = r->body;
  log::debug("cluster: forwarded " + req.method + " " + path + " to the leader " + to.id);
  return out;
}

}  // namespace shipgate::cluster
