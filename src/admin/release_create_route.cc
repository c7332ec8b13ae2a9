// POST /api/v1/apps/{app}/releases: a release recorded with the reports its quality gates read,
// as multipart/form-data, so that CI's curl uploads it in one call (one command line, wrapped
// here without the shell's trailing backslashes, which would continue a // comment in C++):
//
//   curl -H "Authorization: Bearer $TOKEN" -H "X-Shipgate-Actor: ci"
//        -F version=v2 -F artifact=/srv/releases/api/v2 -F commit_sha=$SHA
//        -F lcov=@coverage/lcov.info -F junit=@junit.xml -F npm-audit=@audit.json
//        http://127.0.0.1:9090/api/v1/apps/api/releases
//
// Text fields: version (required), artifact, commit_sha (4..64 hex), commit_time (ms since the
// epoch or RFC 3339). File fields: the field name is the report kind (lcov, cobertura, junit,
// npm-audit, sarif, trivy, axe), the file name is kept. Every report is read with its kind's
// reader before anything is written; then the release and its reports are stored in one
// transaction. Answers: 201 {"app", "version", "reports": [{"kind", "name", "size", "sha256"}]};
// 400 not multipart, an unknown field or kind, a report that cannot be read (the reason);
// 413 a report over 16 MiB (the whole body is bounded by the server); 404 no such managed app;
// 409 the version exists already (releases are immutable).
#include <openssl/evp.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "http_util.h"
#include "release_routes.h"
#include "shipgate/admin/timestamp.h"
#include "shipgate/gates/reports.h"
#include "shipgate/release/release_controller.h"
#include "shipgate/store/state_store.h"

namespace shipgate::admin {

using nlohmann::json;

namespace {

std::string sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

bool hexDigits(const std::string& s) {
  if (s.size() < 4 || s.size() > 64) return false;
  for (unsigned char c : s) {
    if (!std::isxdigit(c)) return false;
  }
  return true;
}

}  // namespace

void ReleaseRoutes::createRelease(const httplib::Request& req, httplib::Response& res,
                                  const std::string& actor) {
  if (!req.is_multipart_form_data()) {
    return sendError(res, 400,
                     "the body must be multipart/form-data: version=V and one file per report, "
                     "named by its kind (curl -F version=v2 -F lcov=@lcov.info ...)");
  }
  release::CreateReleaseRequest r;
  r.app = req.matches[1];
  r.actor = actor;
  bool have_version = false;
  for (const auto& [field, part] : req.files) {
    if (part.filename.empty()) {
      if (field == "version") {
        r.version = part.content;
        have_version = true;
      } else if (field == "artifact") {
        r.artifact = part.content;
      } else if (field == "commit_sha") {
        if (!hexDigits(part.content)) {
          return sendError(res, 400, "commit_sha must be 4..64 hex digits", "commit_sha");
        }
        r.commit_sha = part.content;
      } else if (field == "commit_time") {
        int64_t ms = 0;
        auto [p, ec] = std::from_chars(part.content.data(),
                                       part.content.data() + part.content.size(), ms);
        if (ec == std::errc() && p == part.content.data() + part.content.size() && ms >= 0) {
          r.commit_time = ms;
        } else {
          auto t = parseRfc3339Millis(part.content);
          if (!t) {
            return sendError(res, 400,
                             "commit_time must be ms since the epoch or RFC 3339: " +
                                 t.status().message(),
                             "commit_time");
          }
          r.commit_time = *t;
        }
      } else {
        gates::ReportKind kind;
        return sendError(res, 400,
                         gates::parseReportKind(field, kind)
                             ? "report field \"" + field + "\" needs a file (curl -F " + field +
                                   "=@FILE)"
                             : "unknown field \"" + field +
                                   "\" (version, artifact, commit_sha, commit_time, or a report "
                                   "kind: lcov, cobertura, junit, npm-audit, sarif, trivy, axe)",
                         field);
      }
      continue;
    }
    gates::ReportKind kind;
    if (!gates::parseReportKind(field, kind)) {
      return sendError(res, 400,
                       "unknown report kind \"" + field + "\" for file " + part.filename +
                           " (lcov, cobertura, junit, npm-audit, sarif, trivy, axe)",
                       field);
    }
    if (static_cast<int64_t>(part.content.size()) > store::kMaxReleaseReportBytes) {
      return sendError(res, 413,
                       "report " + part.filename + " is " + std::to_string(part.content.size()) +
                           " bytes; the limit is " +
                           std::to_string(store::kMaxReleaseReportBytes) + " bytes (16 MiB)",
                       field);
    }
    auto summary = gates::readReport(kind, part.content, part.filename);
    if (!summary) {
      return sendError(res, 400, "the " + field + " report cannot be read: " +
                                     summary.status().message(),
                       field);
    }
    r.reports.push_back({field, part.filename, part.content, sha256Hex(part.content)});
  }
  if (!have_version || r.version.empty()) {
    return sendError(res, 400, "the body needs a version field (-F version=V)", "version");
  }
  Status st = releases_->createRelease(r);
  if (!st.isOk()) {
    int status = httpStatusFor(st);
    if (st.code() == Status::Code::kAlreadyExists) status = 409;
    if (st.code() == Status::Code::kInvalidArgument) status = 400;
    return sendError(res, status, st.message());
  }
  json reports = json::array();
  for (const auto& rep : r.reports) {
    reports.push_back({{"kind", rep.kind},
                       {"name", rep.name},
                       {"size", rep.content.size()},
                       {"sha256", rep.sha256}});
  }
  sendJson(res, 201, json{{"app", r.app}, {"version", r.version}, {"reports", reports}});
}

}  // namespace shipgate::admin
