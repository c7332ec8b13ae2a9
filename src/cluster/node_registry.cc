#include "shipgate/cluster/node_registry.h"

#include "shipgate/cluster/pg_session.h"
#include "shipgate/common/log.h"
#include "shipgate/common/thread_name.h"

namespace shipgate::cluster {
namespace {

// Serialises CREATE TABLE among nodes starting at once ("sgnodes!"; not the leader lock).
constexpr char kDdlLockKey[] = "8315736661667705633";

constexpr char kColumns[] =
    "id, address, admin_address, version, started_at, heartbeat_at, state_version, leader";

int64_t toInt(const std::optional<std::string>& v) {
  if (!v) return 0;
  try {
    return std::stoll(*v);
  } catch (...) {
    return 0;
  }
}

}  // namespace

NodeRegistry::NodeRegistry(RegistryOptions options)
    : options_(std::move(options)), session_(std::make_unique<PgSession>(options_.url)) {}

NodeRegistry::~NodeRegistry() { stop(); }

Status NodeRegistry::ensureTable(PgSession& s) {
  SG_RETURN_IF_ERROR(s.exec("BEGIN"));
  Status st = s.exec("SELECT pg_advisory_xact_lock($1::bigint)", {kDdlLockKey});
  if (st.isOk()) {
    st = s.exec(
        "CREATE TABLE IF NOT EXISTS cluster_nodes (id text PRIMARY KEY, address text NOT NULL "
        "DEFAULT '', admin_address text NOT NULL DEFAULT '', version text NOT NULL DEFAULT '', "
        "started_at bigint NOT NULL DEFAULT 0, heartbeat_at bigint NOT NULL DEFAULT 0, "
        "state_version bigint NOT NULL DEFAULT 0, leader bool NOT NULL DEFAULT false)");
  }
  if (!st.isOk()) {
    (void)s.exec("ROLLBACK");
    return st;
  }
  return s.exec("COMMIT");
}

Status NodeRegistry::start() {
  SG_RETURN_IF_ERROR(heartbeat());
  {
    MutexLock lock(stop_mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    setThreadName("sg-nodes");
    run();
  });
  return Status::success();
}

void NodeRegistry::stop() {
  {
    MutexLock lock(stop_mu_);
    stopping_ = true;
    cv_.notifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

void NodeRegistry::run() {
  std::string last_error;
  for (;;) {
    {
      MutexLock lock(stop_mu_);
      const auto deadline = std::chrono::steady_clock::now() + options_.interval;
      while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
        cv_.waitFor(lock, deadline - std::chrono::steady_clock::now());
      }
      if (stopping_) return;
    }
    Status st = heartbeat();
    if (!st.isOk() && st.message() != last_error) {
      log::warn("cluster: heartbeat not written: " + st.message());
    }
    last_error = st.isOk() ? "" : st.message();
  }
}

Status NodeRegistry::heartbeat() {
  MutexLock lock(mu_);
  if (!table_ready_ || !session_->connected()) {
    SG_RETURN_IF_ERROR(session_->ensureConnected());
    SG_RETURN_IF_ERROR(ensureTable(*session_));
    table_ready_ = true;
  }
  const NodeInfo& me = options_.self;
  const int64_t version = options_.state_version ? options_.state_version() : 0;
  const bool leader = options_.is_leader ? options_.is_leader() : false;
  // The leader column is only ever cleared here (a node that is not leader says so); it is set by
  // markLeader, which also clears the others.
  return session_->exec(
      "INSERT INTO cluster_nodes (id, address, admin_address, version, started_at, heartbeat_at, "
      "state_version, leader) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE "
      "SET address = EXCLUDED.address, admin_address = EXCLUDED.admin_address, version = "
      "EXCLUDED.version, started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, "
      "state_version = EXCLUDED.state_version, leader = cluster_nodes.leader AND EXCLUDED.leader",
      {me.id, me.address, me.admin_address, me.version, std::to_string(me.started_at),
       std::to_string(wallMs()), std::to_string(version), leader ? "true" : "false"});
}

Status NodeRegistry::markLeader() {
  SG_RETURN_IF_ERROR(heartbeat());
  MutexLock lock(mu_);
  return session_->exec("UPDATE cluster_nodes SET leader = (id = $1)", {options_.self.id});
}

Result<std::vector<NodeInfo>> NodeRegistry::readAll(PgSession& s) {
  auto rows = s.query(std::string("SELECT ") + kColumns + " FROM cluster_nodes ORDER BY id");
  if (!rows) return rows.status();
  std::vector<NodeInfo> out;
  for (const auto& r : *rows) {
    NodeInfo n;
    n.id = r[0].value_or("");
    n.address = r[1].value_or("");
    n.admin_address = r[2].value_or("");
    n.version = r[3].value_or("");
    n.started_at = toInt(r[4]);
    n.heartbeat_at = toInt(r[5]);
    n.state_version = toInt(r[6]);
    n.leader = r[7].value_or("f") == "t";
    out.push_back(std::move(n));
  }
  return out;
}

Result<std::vector<NodeInfo>> NodeRegistry::nodes() {
  MutexLock lock(mu_);
  return readAll(*session_);
}

Result<std::optional<NodeInfo>> NodeRegistry::leader() {
  auto all = nodes();
  if (!all) return all.status();
  const int64_t now = wallMs();
  for (const auto& n : *all) {
    if (n.leader && now - n.heartbeat_at <= kDownAfterMs) return std::optional<NodeInfo>(n);
  }
  return std::optional<NodeInfo>();
}

Result<std::vector<NodeInfo>> NodeRegistry::readNodes(const std::string& url) {
  PgSession s(url);
  SG_RETURN_IF_ERROR(s.ensureConnected());
  auto exists = s.query("SELECT to_regclass('cluster_nodes') IS NOT NULL");
  if (!exists) return exists.status();
  if (exists->empty() || (*exists)[0][0].value_or("f") != "t") return std::vector<NodeInfo>();
  return readAll(s);
}

}  // namespace shipgate::cluster
