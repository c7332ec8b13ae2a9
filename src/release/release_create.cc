// DeployController::createRelease: a release recorded ahead of its deployment, with the reports
// its quality gates read (`shipgate release create --report KIND=FILE`).
#include <algorithm>
#include <cctype>
#include <set>

#include "controller_impl.h"
#include "shipgate/gates/reports.h"

namespace shipgate::release {

using nlohmann::json;

Status DeployController::createRelease(const CreateReleaseRequest& req) {
  if (req.app.empty()) return Status::invalidArgument("release create: app is required");
  const bool version_ok =
      !req.version.empty() && req.version.size() <= 64 &&
      std::all_of(req.version.begin(), req.version.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-';
      });
  if (!version_ok) {
    return Status::invalidArgument("release create: version \"" + req.version +
                                   "\" is not valid (1 to 64 of letters, digits, . _ + -)");
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const ReleaseReportUpload& r : req.reports) {
    gates::ReportKind kind;
    if (!gates::parseReportKind(r.kind, kind)) {
      return Status::invalidArgument("release create: unknown report kind \"" + r.kind +
                                     "\" (lcov, cobertura, junit, npm-audit, sarif, trivy, axe)");
    }
    if (static_cast<int64_t>(r.content.size()) > store::kMaxReleaseReportBytes) {
      return Status::invalidArgument("release create: report " + r.name + " is " +
                                     std::to_string(r.content.size()) +
                                     " bytes; the limit is 16 MiB");
    }
    if (!seen.insert({r.kind, r.name}).second) {
      return Status::invalidArgument("release create: two " + r.kind + " reports named " + r.name);
    }
  }
  auto cfg = deps_.gateway.config();
  const AppRelease* app = releaseConfigOf(*cfg).findApp(req.app);
  if (app == nullptr) return Status::notFound("no managed app named " + req.app);
  const int64_t now = nowMs();
  const std::string actor = req.actor.empty() ? "unknown" : req.actor;
  return deps_.store.atomically([&]() -> Status {
    if (!deps_.store.findApp(req.app)) {
      store::AppRecord a;
      a.name = req.app;
      a.environment = app->environment;
      a.runtime_kind = runtime::kindName(app->runtime.kind);
      a.updated_at = now;
      SG_RETURN_IF_ERROR(deps_.store.upsertApp(a));
    }
    store::ReleaseRecord rel;
    rel.app = req.app;
    rel.version = req.version;
    rel.artifact = req.artifact;
    rel.commit_sha = req.commit_sha;
    rel.commit_time = req.commit_time;
    rel.created_by = actor;
    rel.created_at = now;
    SG_RETURN_IF_ERROR(deps_.store.createRelease(rel));
    json reports = json::array();
    for (const ReleaseReportUpload& r : req.reports) {
      store::ReleaseReportRecord rec;
      rec.app = req.app;
      rec.version = req.version;
      rec.kind = r.kind;
      rec.name = r.name;
      rec.sha256 = r.sha256;
      rec.size = static_cast<int64_t>(r.content.size());
      rec.content = r.content;
      rec.created_at = now;
      SG_RETURN_IF_ERROR(deps_.store.addReleaseReport(rec));
      reports.push_back({{"kind", r.kind}, {"name", r.name}, {"sha256", r.sha256},
                         {"size", rec.size}});
    }
    store::AuditEntry audit;
    audit.at = now;
    audit.actor = actor;
    audit.action = "release_created";
    audit.subject = req.app + " " + req.version;
    audit.detail_json = json{{"app", req.app},
                             {"version", req.version},
                             {"artifact", req.artifact},
                             {"reports", reports}}
                            .dump();
    auto a = deps_.store.appendAudit(audit);
    return a ? Status::success() : a.status();
  });
}

}  // namespace shipgate::release
