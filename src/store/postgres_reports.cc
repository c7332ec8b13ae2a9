// PostgresStateStore: the reports a release carries (release_reports, migration 3).
#include "postgres_impl.h"
#include "report_checks.h"

namespace shipgate::store {
namespace {

using pg::PgConnection;
using pg::PgParam;
using pg::PgResult;
using pg_detail::bump;
using pg_detail::lockVersion;
using pg_detail::pgInt;
using pg_detail::pgText;

constexpr const char* kReportColumns = "app, version, kind, name, sha256, size, created_at";

ReleaseReportRecord reportFromRow(const PgResult& r, int row) {
  ReleaseReportRecord out;
  out.app = r.text(row, 0);
  out.version = r.text(row, 1);
  out.kind = r.text(row, 2);
  out.name = r.text(row, 3);
  out.sha256 = r.text(row, 4);
  out.size = r.int64(row, 5);
  out.created_at = r.int64(row, 6);
  return out;
}

}  // namespace

Status PostgresStateStore::addReleaseReport(const ReleaseReportRecord& r) {
  SG_RETURN_IF_ERROR(checkReleaseReport(r));
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_PG_ASSIGN(auto rel, db.exec("SELECT 1 FROM releases WHERE app = $1 AND version = $2",
                                   {pgText(r.app), pgText(r.version)}));
    if (rel.rows() == 0) {
      return Status::failedPrecondition("release " + r.app + " " + r.version +
                                        " is not recorded");
    }
    SG_PG_ASSIGN(auto seen, db.exec("SELECT 1 FROM release_reports WHERE app = $1 AND "
                                    "version = $2 AND kind = $3 AND name = $4",
                                    {pgText(r.app), pgText(r.version), pgText(r.kind),
                                     pgText(r.name)}));
    if (seen.rows() > 0) {
      return Status::alreadyExists("release " + r.app + " " + r.version + " already has the " +
                                   r.kind + " report " + r.name + " (reports are immutable)");
    }
    SG_RETURN_IF_ERROR(db.run(std::string("INSERT INTO release_reports (") + kReportColumns +
                                  ", content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                              {pgText(r.app), pgText(r.version), pgText(r.kind), pgText(r.name),
                               pgText(r.sha256), pgInt(static_cast<int64_t>(r.content.size())),
                               pgInt(r.created_at), PgParam::bytes(r.content)}));
    return bump(db, "release_report", r.app + "/" + r.version);
  });
}

Result<std::vector<ReleaseReportRecord>> PostgresStateStore::listReleaseReports(
    const std::string& app, const std::string& version) {
  Session lock(*this);
  std::vector<ReleaseReportRecord> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT ") + kReportColumns +
                                     " FROM release_reports WHERE app = $1 AND version = $2 "
                                     "ORDER BY kind, name",
                                 {pgText(app), pgText(version)}));
    for (int i = 0; i < r.rows(); ++i) out.push_back(reportFromRow(r, i));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<ReleaseReportRecord> PostgresStateStore::readReleaseReport(const std::string& app,
                                                                  const std::string& version,
                                                                  const std::string& kind,
                                                                  const std::string& name) {
  Session lock(*this);
  ReleaseReportRecord out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT ") + kReportColumns +
                                     ", content FROM release_reports WHERE app = $1 AND "
                                     "version = $2 AND kind = $3 AND name = $4",
                                 {pgText(app), pgText(version), pgText(kind), pgText(name)}));
    if (r.rows() == 0) {
      return Status::notFound("release " + app + " " + version + " has no " + kind + " report " +
                              name);
    }
    out = reportFromRow(r, 0);
    out.content = r.bytes(0, 7);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

}  // namespace shipgate::store
