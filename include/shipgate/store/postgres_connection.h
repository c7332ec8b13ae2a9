// PgConnection: one libpq connection (PGconn) and its results (PGresult), owned RAII, for the
// PostgreSQL state store and the PostgreSQL secrets backend.
//
// Every statement is sent with PQexecParams: SQL text with $1, $2, ... placeholders and the values
// apart, so no value is ever spliced into SQL. Values go as text, or as raw bytes (binary format)
// for bytea columns; results come back in text format (bytea decoded by PgResult::bytes).
//
// Errors are Statuses that name where ("PostgreSQL user@host:port/db", never the password):
//   unique violation (23505)                         -> AlreadyExists
//   foreign key (23503), raise_exception (P0001)     -> FailedPrecondition
//   other integrity and data errors (23xxx, 22xxx)   -> InvalidArgument
//   connection failures (08xxx, a broken socket), admin shutdown (57P0x), serialization
//   failure and deadlock (40xxx), lock not available (55P03), too many connections (53300)
//                                                    -> Unavailable
//   disk full (53100), I/O error (58030)             -> IoError
//   anything else                                    -> Internal
//
// Thread-safety: none. A PgConnection is used by one thread at a time (the stores guard theirs
// with a mutex).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::store::pg {

// True for "postgres://..." and "postgresql://..." (the schemes libpq accepts).
bool isPostgresUrl(std::string_view url);

// InvalidArgument unless `url` is a postgres(ql):// URL libpq can parse. The message names the
// URL without its password.
Status validateUrl(const std::string& url);

// "user@host:port/dbname" for a URL (libpq's defaults filled in where the URL leaves them out),
// never the password; the URL with any password cut out when libpq cannot parse it.
std::string describeUrl(const std::string& url);

// One statement parameter: NULL, text, or raw bytes (sent in binary format, for bytea).
struct PgParam {
  std::optional<std::string> value;
  bool binary = false;

  static PgParam null() { return PgParam{}; }
  static PgParam bytes(std::string b) { return PgParam{std::move(b), true}; }
};
inline PgParam pgText(std::string s) { return PgParam{std::move(s), false}; }
inline PgParam pgInt(int64_t n) { return PgParam{std::to_string(n), false}; }
inline PgParam pgBool(bool b) { return PgParam{b ? "1" : "0", false}; }

// A statement's result (a PGresult, cleared on destruction). Moves only.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  ~PgResult();
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  // Rows an INSERT / UPDATE / DELETE touched.
  int64_t affected() const;
  bool isNull(int row, int col) const;
  std::string text(int row, int col) const;
  int64_t int64(int row, int col) const;
  // A bytea column (text format, hex-escaped) decoded to its bytes.
  std::string bytes(int row, int col) const;

 private:
  PGresult* r_ = nullptr;
};

struct PgNotification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;
};

class PgConnection {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Connects to `url` (postgres:// or postgresql://). InvalidArgument: not such a URL, or one
  // libpq cannot parse. Unavailable: the server cannot be reached or refuses the login (the
  // message names user@host:port/db and libpq's reason, never the password). Defaults the URL
  // may override: connect_timeout=10 (seconds), application_name=shipgate, and
  // options='-c lock_timeout=5000': a statement that waits more than 5 s for a lock another
  // connection holds fails (55P03, Unavailable), as SQLite's busy timeout does.
  static Result<std::unique_ptr<PgConnection>> connect(const std::string& url);

  PgConnection(Key, PGconn* conn, std::string where);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // "PostgreSQL user@host:port/db": the prefix of every error message.
  const std::string& where() const { return where_; }

  // Runs one statement. `sql` may hold several statements only when params is empty.
  Result<PgResult> exec(std::string_view sql, const std::vector<PgParam>& params = {});
  // exec() for a statement whose rows do not matter.
  Status run(std::string_view sql, const std::vector<PgParam>& params = {});

  // The connection is known to be broken (the server went away, the socket closed).
  bool broken() const;
  // Reconnects with the same parameters. Unavailable when the server still cannot be reached.
  Status reset();

  // Waits up to `timeout` for a notification on a channel this connection LISTENs to.
  // std::nullopt on timeout. Unavailable when the connection broke.
  Result<std::optional<PgNotification>> waitForNotification(std::chrono::milliseconds timeout);

  // The backend's process id (pg_backend_pid()), for tests and logs.
  int backendPid() const;
  PGconn* raw() { return conn_; }

 private:
  Status connectionError(const std::string& what) const;

  PGconn* conn_;
  const std::string where_;
};

}  // namespace shipgate::store::pg

// SG_PG_ASSIGN(lhs, expr): evaluates expr (a Result<T>); returns its Status when it failed, else
// moves the value into lhs (a declaration such as `auto r` or an existing variable).
#define SG_PG_CONCAT_INNER(a, b) a##b
#define SG_PG_CONCAT(a, b) SG_PG_CONCAT_INNER(a, b)
#define SG_PG_ASSIGN(lhs, ...) \
  SG_PG_ASSIGN_IMPL(SG_PG_CONCAT(sg_pg_result_, __LINE__), lhs, __VA_ARGS__)
#define SG_PG_ASSIGN_IMPL(tmp, lhs, ...) \
  auto tmp = (__VA_ARGS__);              \
  if (!tmp.isOk()) return tmp.status();  \
  lhs = std::move(tmp).value()
