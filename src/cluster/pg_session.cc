#include "shipgate/cluster/pg_session.h"

#include <libpq-fe.h>

#include <chrono>
// GCC 12 false positive (GCC PR 105616): <regex>'s NFA states warn under -fsanitize=address.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

namespace shipgate::cluster {

PgSession::PgSession(std::string url) : url_(std::move(url)) {}

PgSession::~PgSession() { close(); }

void PgSession::close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

bool PgSession::connected() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

Status PgSession::ensureConnected() {
  if (connected()) return Status::success();
  close();
  // expand_dbname: the first value is the URL (or keyword string); the later keywords add to it.
  const char* keys[] = {"dbname",
                        "connect_timeout",
                        "keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "tcp_user_timeout",
                        "options",
                        "application_name",
                        nullptr};
  const char* values[] = {
      url_.c_str(),       "3",    "1", "5", "1", "3", "5000", "-c statement_timeout=5000",
      "shipgate-cluster", nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr) return Status::unavailable("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    close();
    return Status::unavailable("cannot connect to PostgreSQL at " + redactUrl(url_) + ": " + msg);
  }
  // The server's notices ("relation ... already exists, skipping") are not errors: not logged.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return Status::success();
}

Result<std::vector<PgRow>> PgSession::query(const std::string& sql,
                                            const std::vector<std::string>& params) {
  SG_RETURN_IF_ERROR(ensureConnected());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (res != nullptr) PQclear(res);
    if (PQstatus(conn_) != CONNECTION_OK) {
      close();
      return Status::unavailable("lost the PostgreSQL connection: " + msg);
    }
    return Status::internal("PostgreSQL: " + msg);
  }
  std::vector<PgRow> rows;
  const int n = PQntuples(res);
  const int cols = PQnfields(res);
  rows.reserve(n);
  for (int r = 0; r < n; ++r) {
    PgRow row;
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.push_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
    rows.push_back(std::move(row));
  }
  PQclear(res);
  return rows;
}

Status PgSession::exec(const std::string& sql, const std::vector<std::string>& params) {
  auto r = query(sql, params);
  return r ? Status::success() : r.status();
}

int PgSession::socket() const { return connected() ? PQsocket(conn_) : -1; }

Result<std::vector<std::string>> PgSession::consumeNotifications() {
  if (conn_ == nullptr) return Status::unavailable("not connected to PostgreSQL");
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    close();
    return Status::unavailable("lost the PostgreSQL connection: " + msg);
  }
  std::vector<std::string> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.emplace_back(n->extra != nullptr ? n->extra : "");
    PQfreemem(n);
  }
  return out;
}

std::string redactUrl(const std::string& url) {
  // scheme://user:password@host -> scheme://user:***@host; password=... -> password=***
  static const std::regex uri(R"(^([a-z]+://[^:/@]*):[^@/]*@)");
  static const std::regex kv(R"(password\s*=\s*('[^']*'|\S+))");
  std::string out = std::regex_replace(url, uri, "$1:***@");
  return std::regex_replace(out, kv, "password=***");
}

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace shipgate::cluster
