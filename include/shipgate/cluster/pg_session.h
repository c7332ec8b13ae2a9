// PgSession: one libpq connection of the cluster machinery (the leader election's session, the
// node registry's, the state follower's LISTEN). Each part owns its own session, so a slow query of
// one never delays another, and a broken socket is noticed by the part that uses it.
//
// The connection is opened from a postgres:// URL (or a libpq keyword/value string) with a
// connect timeout of 3 s, TCP keepalives (idle 5 s, interval 1 s, count 3) and tcp_user_timeout
// 5 s, so a peer that vanished without closing its socket is noticed in seconds, not hours.
// Every query runs with statement_timeout 5 s.
//
// Thread-safety: none; one thread uses a session at a time (the owner serialises).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/common/status.h"

typedef struct pg_conn PGconn;

namespace shipgate::cluster {

// A query's rows as text (NULL is std::nullopt).
using PgRow = std::vector<std::optional<std::string>>;

class PgSession {
 public:
  // `url`: postgres://user@host:port/db, postgresql://..., or "host=... dbname=...".
  explicit PgSession(std::string url);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Connects when not connected (or when the connection broke). Unavailable with libpq's message
  // (the password, if any, is never part of it).
  Status ensureConnected();
  bool connected() const;
  void close();

  // Runs `sql` with text parameters $1..$n; the rows of its result. Unavailable when the session
  // is gone (it is closed, so the next ensureConnected() opens a new one); Internal for an SQL
  // error (the server's message).
  Result<std::vector<PgRow>> query(const std::string& sql,
                                   const std::vector<std::string>& params = {});
  Status exec(const std::string& sql, const std::vector<std::string>& params = {});

  // For LISTEN: the socket to poll (-1 when not connected), then consume() and the notification
  // payloads received since the last call. Unavailable when the connection broke.
  int socket() const;
  Result<std::vector<std::string>> consumeNotifications();

  PGconn* raw() { return conn_; }
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  PGconn* conn_ = nullptr;
};

// The URL with any password replaced by "***", for logs and messages.
std::string redactUrl(const std::string& url);

// Milliseconds since the Unix epoch (the heartbeat clock of cluster_nodes).
int64_t wallMs();

}  // namespace shipgate::cluster
