// Database migrations (see migrate/migrations.h).
#include "shipgate/migrate/migrations.h"

#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace shipgate::migrate {
namespace {

using store::pg::PgConnection;
using store::pg::pgText;

bool isDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The file name quoted for a message: at most 80 bytes, non-printable bytes as \xNN.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 80) out += "...";
  return out + "\"";
}

Status badName(std::string_view file, const std::string& why) {
  return Status::invalidArgument("migration file " + quoted(file) + ": " + why +
                                 " (expected YYYYMMDD_NNN_name.up.sql or .down.sql)");
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ioError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::ioError("cannot read " + path);
  return ss.str();
}

std::string fileName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

Result<bool> tableExists(PgConnection& conn) {
  SG_PG_ASSIGN(auto r, conn.exec("SELECT to_regclass('schema_migrations') IS NOT NULL"));
  return r.text(0, 0) == "t";
}

struct Applied {
  std::string id, name, checksum, applied_at, applied_by, deployment;
};

Result<std::vector<Applied>> readApplied(PgConnection& conn) {
  SG_PG_ASSIGN(bool exists, tableExists(conn));
  std::vector<Applied> out;
  if (!exists) return out;
  SG_PG_ASSIGN(auto r, conn.exec("SELECT id, name, checksum, "
                                 "to_char(applied_at AT TIME ZONE 'UTC', "
                                 "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by, deployment "
                                 "FROM schema_migrations ORDER BY id"));
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4),
                   r.text(i, 5)});
  }
  return out;
}

// Holds the session advisory lock for its lifetime.
class Lock {
 public:
  explicit Lock(PgConnection& conn) : conn_(conn) {}
  Status acquire() {
    // The connection's lock_timeout (5 s) is too short to wait for another run's migrations.
    SG_RETURN_IF_ERROR(conn_.run("SET lock_timeout = '10min'"));
    Status s = conn_.run("SELECT pg_advisory_lock($1)", {store::pg::pgInt(kMigrationLockKey)});
    SG_RETURN_IF_ERROR(conn_.run("RESET lock_timeout"));
    if (!s.isOk()) return s;
    held_ = true;
    return Status::success();
  }
  ~Lock() {
    if (held_) (void)conn_.run("SELECT pg_advisory_unlock($1)", {store::pg::pgInt(kMigrationLockKey)});
  }

 private:
  PgConnection& conn_;
  bool held_ = false;
};

// Runs `sql` (a whole file, maybe several statements) inside the open transaction. On failure
// the message is "file:line:col: error" (the position when the server gives one).
Status runFile(PgConnection& conn, const std::string& path, const std::string& sql) {
  PGresult* res = PQexec(conn.raw(), sql.c_str());
  store::pg::PgResult owned(res);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
    return Status::success();
  }
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? primary : "";
  if (message.empty()) message = PQerrorMessage(conn.raw());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::string where = fileName(path);
  const char* pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : nullptr;
  if (pos != nullptr) where += ":" + lineColumn(sql, std::atoll(pos));
  const char* code = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string text = where + ": " + message;
  if (code != nullptr) text += " (SQLSTATE " + std::string(code) + ")";
  return Status::failedPrecondition(text);
}

Status ensureTable(PgConnection& conn) {
  return conn.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " id text PRIMARY KEY,"
      " name text NOT NULL,"
      " checksum text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now(),"
      " applied_by text NOT NULL,"
      " deployment text NOT NULL DEFAULT '')");
}

}  // namespace

Result<MigrationFileName> parseMigrationFileName(std::string_view file) {
  MigrationFileName out;
  std::string_view rest = file;
  if (rest.ends_with(".up.sql")) {
    rest.remove_suffix(7);
    out.up = true;
  } else if (rest.ends_with(".down.sql")) {
    rest.remove_suffix(9);
    out.up = false;
  } else {
    return badName(file, "does not end in .up.sql or .down.sql");
  }
  if (rest.size() < 14 || rest[8] != '_' || rest[12] != '_') {
    return badName(file, "does not start with YYYYMMDD_NNN_");
  }
  std::string_view date = rest.substr(0, 8), seq = rest.substr(9, 3), name = rest.substr(13);
  if (!isDigits(date)) return badName(file, "the date is not 8 digits YYYYMMDD");
  int month = (date[4] - '0') * 10 + (date[5] - '0');
  int day = (date[6] - '0') * 10 + (date[7] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    return badName(file, "the date " + std::string(date) + " has no such month or day");
  }
  if (!isDigits(seq)) return badName(file, "the sequence number is not 3 digits NNN");
  if (name.empty() || name.size() > 100) return badName(file, "the name must be 1-100 characters");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return badName(file, "the name may hold only a-z, 0-9 and _");
    }
  }
  out.id = std::string(rest.substr(0, 12));
  out.name = std::string(name);
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

Result<std::vector<Migration>> loadMigrations(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::ioError("migrations folder " + dir + ": not a folder");
  std::map<std::string, Migration> by_id;
  std::map<std::string, std::string> downs;  // id -> path
  std::map<std::string, std::string> down_names;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".sql") continue;
    files.push_back(it->path());
  }
  if (ec) return Status::ioError("migrations folder " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    const std::string file = p.filename().string();
    SG_PG_ASSIGN(MigrationFileName parsed, parseMigrationFileName(file));
    if (!parsed.up) {
      downs[parsed.id] = p.string();
      down_names[parsed.id] = parsed.name;
      continue;
    }
    auto [it, inserted] = by_id.try_emplace(parsed.id);
    if (!inserted) {
      return Status::invalidArgument("migration file " + file + ": id " + parsed.id +
                                     " is also used by " + fileName(it->second.up_path));
    }
    Migration& m = it->second;
    m.id = parsed.id;
    m.name = parsed.name;
    m.up_path = p.string();
    SG_PG_ASSIGN(m.up_sql, readFile(m.up_path));
    m.checksum = sha256Hex(m.up_sql);
  }
  for (const auto& [id, path] : downs) {
    auto it = by_id.find(id);
    if (it == by_id.end() || it->second.name != down_names[id]) {
      return Status::invalidArgument("migration file " + fileName(path) +
                                     ": no up file of the same id and name");
    }
    it->second.down_path = path;
  }
  std::vector<Migration> out;
  out.reserve(by_id.size());
  for (auto& [id, m] : by_id) out.push_back(std::move(m));
  return out;
}

const char* stateName(State s) {
  switch (s) {
    case State::kApplied: return "applied";
    case State::kPending: return "pending";
    case State::kDrifted: return "drifted";
    case State::kMissing: return "missing";
  }
  return "?";
}

Result<std::vector<Entry>> status(PgConnection& conn, const std::vector<Migration>& migrations) {
  SG_PG_ASSIGN(std::vector<Applied> applied, readApplied(conn));
  std::map<std::string, Entry> out;
  for (const Migration& m : migrations) out[m.id] = Entry{m.id, m.name, State::kPending, "", "", ""};
  for (const Applied& a : applied) {
    auto it = out.find(a.id);
    Entry e{a.id, a.name, State::kMissing, a.applied_at, a.applied_by, a.deployment};
    if (it != out.end()) {
      const Migration& m = *std::find_if(migrations.begin(), migrations.end(),
                                         [&](const Migration& x) { return x.id == a.id; });
      e.state = m.checksum == a.checksum ? State::kApplied : State::kDrifted;
      e.name = m.name;
    }
    out[a.id] = e;
  }
  std::vector<Entry> list;
  list.reserve(out.size());
  for (auto& [id, e] : out) list.push_back(std::move(e));
  return list;
}

Result<std::vector<std::string>> migrate(PgConnection& conn,
                                         const std::vector<Migration>& migrations,
                                         const ApplyOptions& options) {
  Lock lock(conn);
  SG_RETURN_IF_ERROR(lock.acquire());
  SG_RETURN_IF_ERROR(ensureTable(conn));
  SG_PG_ASSIGN(std::vector<Entry> entries, status(conn, migrations));
  std::string blocked;
  for (const Entry& e : entries) {
    if (e.state == State::kDrifted) {
      blocked += "\n  " + e.id + "_" + e.name + ": drifted (the up file changed since it was applied)";
    } else if (e.state == State::kMissing) {
      blocked += "\n  " + e.id + "_" + e.name + ": missing (applied, but its up file is gone)";
    }
  }
  if (!blocked.empty()) {
    return Status::failedPrecondition("applied migrations do not match their files; nothing was "
                                      "applied:" + blocked);
  }
  std::vector<std::string> done;
  for (const Migration& m : migrations) {
    auto e = std::find_if(entries.begin(), entries.end(),
                          [&](const Entry& x) { return x.id == m.id; });
    if (e != entries.end() && e->state != State::kPending) continue;
    SG_RETURN_IF_ERROR(conn.run("BEGIN"));
    Status s = runFile(conn, m.up_path, m.up_sql);
    if (s.isOk()) {
      s = conn.run(
          "INSERT INTO schema_migrations (id, name, checksum, applied_by, deployment) "
          "VALUES ($1, $2, $3, $4, $5)",
          {pgText(m.id), pgText(m.name), pgText(m.checksum), pgText(options.applied_by),
           pgText(options.deployment)});
    }
    if (s.isOk()) s = conn.run("COMMIT");
    if (!s.isOk()) {
      (void)conn.run("ROLLBACK");
      std::string msg = "migration " + m.label() + " failed and was rolled back: " + s.message();
      if (!done.empty()) msg += " (applied before it: " + std::to_string(done.size()) + ")";
      return Status::failedPrecondition(msg);
    }
    done.push_back(m.label());
  }
  return done;
}

namespace {

// Runs the down files of `plan` in order, each with the removal of its schema_migrations row in
// one transaction; stops at the first failure, which stays applied. Returns the labels rolled
// back. With count_done, a failure's message also says how many were rolled back before it.
Result<std::vector<std::string>> runDowns(PgConnection& conn,
                                          const std::vector<const Migration*>& plan,
                                          bool count_done) {
  std::vector<std::string> done;
  for (const Migration* m : plan) {
    SG_PG_ASSIGN(std::string down_sql, readFile(*m->down_path));
    SG_RETURN_IF_ERROR(conn.run("BEGIN"));
    Status s = runFile(conn, *m->down_path, down_sql);
    if (s.isOk()) s = conn.run("DELETE FROM schema_migrations WHERE id = $1", {pgText(m->id)});
    if (s.isOk()) s = conn.run("COMMIT");
    if (!s.isOk()) {
      (void)conn.run("ROLLBACK");
      std::string msg = "rolling back " + m->label() + " failed (it stays applied): " + s.message();
      if (count_done && !done.empty()) {
        msg += " (rolled back before it: " + std::to_string(done.size()) + ")";
      }
      return Status::failedPrecondition(msg);
    }
    done.push_back(m->label());
  }
  return done;
}

}  // namespace

Result<std::vector<std::string>> rollback(PgConnection& conn,
                                          const std::vector<Migration>& migrations,
                                          const std::string& to_id) {
  Lock lock(conn);
  SG_RETURN_IF_ERROR(lock.acquire());
  SG_PG_ASSIGN(std::vector<Applied> applied, readApplied(conn));
  if (std::none_of(applied.begin(), applied.end(), [&](const Applied& a) { return a.id == to_id; })) {
    return Status::notFound("migration " + to_id + " is not applied; nothing was rolled back");
  }
  std::vector<const Migration*> plan;
  std::string refused;
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    if (it->id < to_id) continue;
    auto m = std::find_if(migrations.begin(), migrations.end(),
                          [&](const Migration& x) { return x.id == it->id; });
    if (m == migrations.end()) {
      refused += "\n  " + it->id + "_" + it->name + ": its files are gone";
    } else if (!m->down_path) {
      refused += "\n  " + m->label() + ": no down file " + m->label() + ".down.sql";
    } else {
      plan.push_back(&*m);
    }
  }
  if (!refused.empty()) {
    return Status::failedPrecondition("cannot roll back to " + to_id +
                                      "; nothing was rolled back:" + refused);
  }
  return runDowns(conn, plan, /*count_done=*/false);
}

Result<std::vector<std::string>> appliedByDeployment(PgConnection& conn,
                                                     const std::string& deployment) {
  SG_PG_ASSIGN(std::vector<Applied> applied, readApplied(conn));
  std::vector<std::string> out;
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    if (!deployment.empty() && it->deployment == deployment) out.push_back(it->id);
  }
  return out;
}

Result<std::vector<std::string>> rollbackDeployment(PgConnection& conn,
                                                    const std::vector<Migration>& migrations,
                                                    const std::vector<std::string>& deployments) {
  Lock lock(conn);
  SG_RETURN_IF_ERROR(lock.acquire());
  SG_PG_ASSIGN(std::vector<Applied> applied, readApplied(conn));
  std::vector<const Migration*> plan;
  std::string refused;
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    if (it->deployment.empty() ||
        std::find(deployments.begin(), deployments.end(), it->deployment) == deployments.end()) {
      continue;
    }
    auto m = std::find_if(migrations.begin(), migrations.end(),
                          [&](const Migration& x) { return x.id == it->id; });
    if (m == migrations.end()) {
      refused += "\n  " + it->id + "_" + it->name + ": its files are gone";
    } else if (!m->down_path) {
      refused += "\n  " + m->label() + ": no down file " + m->label() + ".down.sql";
    } else {
      plan.push_back(&*m);
    }
  }
  if (!refused.empty()) {
    std::string which;
    for (const auto& d : deployments) which += (which.empty() ? "" : ", ") + d;
    return Status::failedPrecondition("cannot roll back the migrations of deployment " + which +
                                      "; nothing was rolled back:" + refused);
  }
  return runDowns(conn, plan, /*count_done=*/true);
}

std::string lineColumn(std::string_view text, int64_t position) {
  int64_t line = 1, col = 1, chars = 1;
  for (size_t i = 0; i < text.size() && chars < position; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: same character
    ++chars;
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace shipgate::migrate
