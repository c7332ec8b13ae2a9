#include "shipgate/store/postgres_connection.h"

#include <poll.h>

#include <cstdlib>
#include <cstring>

namespace shipgate::store::pg {
namespace {

// libpq's messages end with a newline; ours do not.
std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The URL with the password (between "user:" and "@" in the authority) cut out.
std::string withoutPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t start = scheme + 3;
  size_t end = url.find_first_of("/?", start);
  if (end == std::string::npos) end = url.size();
  const size_t at = url.rfind('@', end);
  if (at == std::string::npos || at < start) return url;
  const size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

struct ConninfoOptions {
  PQconninfoOption* opts = nullptr;
  ~ConninfoOptions() {
    if (opts) PQconninfoFree(opts);
  }
  const char* get(const char* keyword) const {
    for (PQconninfoOption* o = opts; o && o->keyword; ++o) {
      if (std::strcmp(o->keyword, keyword) == 0) return o->val;
    }
    return nullptr;
  }
};

std::string orDefault(const char* value, const std::string& fallback) {
  return value && *value ? std::string(value) : fallback;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status statusFor(const std::string& where, const char* sqlstate_c, const std::string& message,
                 bool connection_bad) {
  const std::string state = sqlstate_c ? sqlstate_c : "";
  const std::string text = where + ": " + message;
  if (connection_bad || state.empty() || startsWith(state, "08") || startsWith(state, "57P") ||
      startsWith(state, "40") || state == "55P03" || state == "53300") {
    if (state.empty() && !connection_bad) return Status::internal(text);
    return Status::unavailable(text);
  }
  if (state == "23505") return Status::alreadyExists(text);
  if (state == "23503" || state == "P0001") return Status::failedPrecondition(text);
  if (startsWith(state, "23") || startsWith(state, "22")) return Status::invalidArgument(text);
  if (state == "53100" || state == "58030") return Status::ioError(text);
  return Status::internal(text + " (SQLSTATE " + state + ")");
}

}  // namespace

bool isPostgresUrl(std::string_view url) {
  return startsWith(url, "postgres://") || startsWith(url, "postgresql://");
}

Status validateUrl(const std::string& url) {
  if (!isPostgresUrl(url)) {
    return Status::invalidArgument("state.url " + withoutPassword(url) +
                                   ": not a PostgreSQL URL (postgres://user@host:port/dbname)");
  }
  char* error = nullptr;
  ConninfoOptions parsed{PQconninfoParse(url.c_str(), &error)};
  if (parsed.opts == nullptr) {
    const std::string reason = error ? trimmed(error) : "out of memory";
    if (error) PQfreemem(error);
    return Status::invalidArgument("state.url " + withoutPassword(url) + ": " + reason);
  }
  return Status::success();
}

std::string describeUrl(const std::string& url) {
  char* error = nullptr;
  ConninfoOptions parsed{PQconninfoParse(url.c_str(), &error)};
  if (error) PQfreemem(error);
  if (parsed.opts == nullptr) return withoutPassword(url);
  const char* env_user = std::getenv("PGUSER");
  const char* env_login = std::getenv("USER");
  const std::string user =
      orDefault(parsed.get("user"), orDefault(env_user, orDefault(env_login, "")));
  const std::string host =
      orDefault(parsed.get("host"), orDefault(parsed.get("hostaddr"), "localhost"));
  const std::string port = orDefault(parsed.get("port"), "5432");
  const std::string db = orDefault(parsed.get("dbname"), user);
  return (user.empty() ? "" : user + "@") + host + ":" + port + "/" + db;
}

// ---- PgResult ----

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() {
  if (r_) PQclear(r_);
}

int PgResult::rows() const { return r_ ? PQntuples(r_) : 0; }

int64_t PgResult::affected() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_);
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

bool PgResult::isNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

std::string PgResult::text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

int64_t PgResult::int64(int row, int col) const {
  if (isNull(row, col)) return 0;
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}

std::string PgResult::bytes(int row, int col) const {
  if (isNull(row, col)) return {};
  size_t length = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &length);
  if (raw == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

// ---- PgConnection ----

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const std::string& url) {
  SG_RETURN_IF_ERROR(validateUrl(url));
  const std::string where = "PostgreSQL " + describeUrl(url);
  // Later keywords override earlier ones, so the URL's own settings win over these defaults.
  const char* keywords[] = {"connect_timeout", "application_name", "options", "dbname", nullptr};
  const char* values[] = {"10", "shipgate", "-c lock_timeout=5000", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::unavailable(where + ": cannot connect: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string reason = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::unavailable(where + ": cannot connect: " + reason);
  }
  return std::make_unique<PgConnection>(Key{}, conn, where);
}

PgConnection::PgConnection(Key, PGconn* conn, std::string where)
    : conn_(conn), where_(std::move(where)) {
  // Notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Result<PgResult> PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
  const std::string statement(sql);
  PGresult* raw = nullptr;
  if (params.empty()) {
    raw = PQexec(conn_, statement.c_str());
  } else {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const PgParam& p : params) {
      values.push_back(p.value ? p.value->data() : nullptr);
      lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
      formats.push_back(p.binary ? 1 : 0);
    }
    raw = PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), nullptr,
                       values.data(), lengths.data(), formats.data(), /*resultFormat=*/0);
  }
  PgResult result(raw);
  const ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return result;
  const char* sqlstate = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = trimmed(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_));
  if (message.empty()) message = trimmed(PQerrorMessage(conn_));
  if (startsWith(message, "ERROR:  ")) message = message.substr(8);
  return statusFor(where_, sqlstate, message, broken());
}

Status PgConnection::run(std::string_view sql, const std::vector<PgParam>& params) {
  auto r = exec(sql, params);
  return r.isOk() ? Status::success() : r.status();
}

bool PgConnection::broken() const { return PQstatus(conn_) == CONNECTION_BAD; }

Status PgConnection::reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return connectionError("cannot reconnect");
  return Status::success();
}

Status PgConnection::connectionError(const std::string& what) const {
  return Status::unavailable(where_ + ": " + what + ": " + trimmed(PQerrorMessage(conn_)));
}

Result<std::optional<PgNotification>> PgConnection::waitForNotification(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (PQconsumeInput(conn_) == 0) return connectionError("reading notifications");
    if (PGnotify* n = PQnotifies(conn_)) {
      PgNotification out{n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid};
      PQfreemem(n);
      return std::optional<PgNotification>(std::move(out));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<PgNotification>();
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    if (pfd.fd < 0) return connectionError("reading notifications");
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
}

int PgConnection::backendPid() const { return PQbackendPID(conn_); }

}  // namespace shipgate::store::pg
