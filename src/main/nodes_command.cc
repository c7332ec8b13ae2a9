// `shipgate nodes`: the nodes of a cluster (state on PostgreSQL), read from its cluster_nodes
// table: id, address, shipgate version, role (LEADER, follower, or down when the heartbeat is
// older than cluster::kDownAfterMs), the heartbeat's age and the state version each serves.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster_node.h"
#include "commands.h"
#include "shipgate/cluster/node_registry.h"
#include "shipgate/cluster/pg_session.h"
#include "shipgate/config/loader.h"
#include "shipgate/release/release_config.h"

namespace shipgate::cli {
namespace {

std::string age(int64_t ms) {
  std::ostringstream o;
  if (ms < 0) ms = 0;
  if (ms < 60'000) {
    o << std::fixed << std::setprecision(1) << static_cast<double>(ms) / 1000.0 << "s ago";
  } else if (ms < 3'600'000) {
    o << ms / 60'000 << "m ago";
  } else {
    o << ms / 3'600'000 << "h ago";
  }
  return o.str();
}

}  // namespace

int runNodes(const std::string& config_path, bool json_out) {
  if (!printDiagnostics(config_path, /*quiet_warnings=*/true)) return 2;
  config::LoadResult loaded = config::loadFile(config_path, configSections());
  if (!loaded.ok()) return 2;
  const std::string url = clusterUrl(release::releaseConfigOf(*loaded.config));
  if (url.empty()) {
    std::cerr << "shipgate nodes: " << config_path
              << " keeps its state in SQLite (state.dir), so it runs one node; a cluster keeps "
                 "it in PostgreSQL: state: {url: postgres://user@host:5432/db}\n";
    return 2;
  }
  auto nodes = cluster::NodeRegistry::readNodes(url);
  if (!nodes) {
    std::cerr << "shipgate nodes: " << nodes.status().message() << "\n";
    return 4;
  }
  const int64_t now = cluster::wallMs();
  std::string leader;
  for (const auto& n : *nodes) {
    if (n.leader && now - n.heartbeat_at <= cluster::kDownAfterMs) leader = n.id;
  }
  if (json_out) {
    nlohmann::json out = {{"nodes", nlohmann::json::array()}, {"leader", nullptr}};
    if (!leader.empty()) out["leader"] = leader;
    for (const auto& n : *nodes) {
      const bool down = now - n.heartbeat_at > cluster::kDownAfterMs;
      out["nodes"].push_back({{"id", n.id},
                              {"address", n.address},
                              {"admin_address", n.admin_address},
                              {"version", n.version},
                              {"leader", n.id == leader},
                              {"down", down},
                              {"started_at", n.started_at},
                              {"heartbeat_at", n.heartbeat_at},
                              {"heartbeat_age_ms", now - n.heartbeat_at},
                              {"state_version", n.state_version}});
    }
    std::cout << out.dump(2) << "\n";
    return leader.empty() ? 1 : 0;
  }
  if (nodes->empty()) {
    std::cout << "no nodes have joined yet (no cluster_nodes rows in " << cluster::redactUrl(url)
              << ")\n";
    return 1;
  }
  size_t w_id = 4, w_addr = 7, w_ver = 7;
  for (const auto& n : *nodes) {
    w_id = std::max(w_id, n.id.size());
    w_addr = std::max(w_addr, n.address.size());
    w_ver = std::max(w_ver, n.version.size());
  }
  std::cout << std::left << std::setw(static_cast<int>(w_id) + 2) << "NODE"
            << std::setw(static_cast<int>(w_addr) + 2) << "ADDRESS"
            << std::setw(static_cast<int>(w_ver) + 2) << "VERSION" << std::setw(10) << "ROLE"
            << std::setw(14) << "HEARTBEAT"
            << "STATE VERSION\n";
  size_t up = 0;
  for (const auto& n : *nodes) {
    const bool down = now - n.heartbeat_at > cluster::kDownAfterMs;
    up += down ? 0 : 1;
    const std::string role = down ? "down" : n.id == leader ? "LEADER" : "follower";
    std::cout << std::left << std::setw(static_cast<int>(w_id) + 2) << n.id
              << std::setw(static_cast<int>(w_addr) + 2) << n.address
              << std::setw(static_cast<int>(w_ver) + 2) << n.version << std::setw(10) << role
              << std::setw(14) << age(now - n.heartbeat_at) << n.state_version << "\n";
  }
  std::cout << nodes->size() << " node" << (nodes->size() == 1 ? "" : "s") << ", " << up
            << " up, leader: " << (leader.empty() ? "none (an election is under way)" : leader)
            << "\n";
  return leader.empty() ? 1 : 0;
}

}  // namespace shipgate::cli
