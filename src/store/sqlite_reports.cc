// SqliteStateStore: the reports a release carries (release_reports, migration 3).
#include "shipgate/store/sqlite_state_store.h"
#include "report_checks.h"
#include "sqlite_impl.h"

namespace shipgate::store {
namespace {

constexpr const char* kReportColumns = "app, version, kind, name, sha256, size, created_at";

ReleaseReportRecord reportFromRow(SQLite::Statement& st) {
  ReleaseReportRecord r;
  r.app = st.getColumn(0).getString();
  r.version = st.getColumn(1).getString();
  r.kind = st.getColumn(2).getString();
  r.name = st.getColumn(3).getString();
  r.sha256 = st.getColumn(4).getString();
  r.size = st.getColumn(5).getInt64();
  r.created_at = st.getColumn(6).getInt64();
  return r;
}

}  // namespace

Status SqliteStateStore::addReleaseReport(const ReleaseReportRecord& r) {
  SG_RETURN_IF_ERROR(checkReleaseReport(r));
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SQLite::Statement rel(db, "SELECT 1 FROM releases WHERE app = ? AND version = ?");
    SQLite::bind(rel, r.app, r.version);
    if (!rel.executeStep()) {
      return Status::failedPrecondition("release " + r.app + " " + r.version +
                                        " is not recorded");
    }
    SQLite::Statement seen(
        db, "SELECT 1 FROM release_reports WHERE app = ? AND version = ? AND kind = ? AND name = ?");
    SQLite::bind(seen, r.app, r.version, r.kind, r.name);
    if (seen.executeStep()) {
      return Status::alreadyExists("release " + r.app + " " + r.version + " already has the " +
                                   r.kind + " report " + r.name + " (reports are immutable)");
    }
    SQLite::Statement st(db, std::string("INSERT INTO release_reports (") + kReportColumns +
                                 ", content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    SQLite::bind(st, r.app, r.version, r.kind, r.name, r.sha256,
                 static_cast<int64_t>(r.content.size()), r.created_at);
    st.bind(8, r.content.data(), static_cast<int>(r.content.size()));
    st.exec();
    return Status::success();
  });
}

Result<std::vector<ReleaseReportRecord>> SqliteStateStore::listReleaseReports(
    const std::string& app, const std::string& version) {
  Session lock(*this);
  std::vector<ReleaseReportRecord> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, std::string("SELECT ") + kReportColumns +
                                 " FROM release_reports WHERE app = ? AND version = ? "
                                 "ORDER BY kind, name");
    SQLite::bind(st, app, version);
    while (st.executeStep()) out.push_back(reportFromRow(st));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<ReleaseReportRecord> SqliteStateStore::readReleaseReport(const std::string& app,
                                                                const std::string& version,
                                                                const std::string& kind,
                                                                const std::string& name) {
  Session lock(*this);
  ReleaseReportRecord out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, std::string("SELECT ") + kReportColumns +
                                 ", content FROM release_reports WHERE app = ? AND version = ? "
                                 "AND kind = ? AND name = ?");
    SQLite::bind(st, app, version, kind, name);
    if (!st.executeStep()) {
      return Status::notFound("release " + app + " " + version + " has no " + kind + " report " +
                              name);
    }
    out = reportFromRow(st);
    SQLite::Column c = st.getColumn(7);
    out.content.assign(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

}  // namespace shipgate::store
