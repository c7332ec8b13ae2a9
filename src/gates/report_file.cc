// Report kinds, dispatch and bounded file reading (contracts in shipgate/gates/reports.h).
#include <cerrno>
#include <fstream>
#include <string>

#include "report_util.h"
#include "shipgate/gates/reports.h"

namespace shipgate::gates {

namespace {
constexpr std::pair<ReportKind, const char*> kKinds[] = {
    {ReportKind::kLcov, "lcov"},   {ReportKind::kCobertura, "cobertura"},
    {ReportKind::kJunit, "junit"}, {ReportKind::kNpmAudit, "npm-audit"},
    {ReportKind::kSarif, "sarif"}, {ReportKind::kTrivy, "trivy"},
    {ReportKind::kAxe, "axe"}};
}  // namespace

bool parseReportKind(std::string_view name, ReportKind& out) {
  for (const auto& [k, n] : kKinds)
    if (name == n) { out = k; return true; }
  return false;
}

const char* reportKindName(ReportKind k) {
  for (const auto& [kk, n] : kKinds)
    if (kk == k) return n;
  return "?";
}

template <typename T>
static Result<ReportSummary> widen(Result<T> r) {
  if (!r) return r.status();
  return ReportSummary(std::move(r).value());
}

Result<ReportSummary> readReport(ReportKind kind, std::string_view text, const std::string& name) {
  switch (kind) {
    case ReportKind::kLcov: return widen(readLcov(text, name));
    case ReportKind::kCobertura: return widen(readCobertura(text, name));
    case ReportKind::kJunit: return widen(readJunit(text, name));
    case ReportKind::kNpmAudit: return widen(readNpmAudit(text, name));
    case ReportKind::kSarif: return widen(readSarif(text, name));
    case ReportKind::kTrivy: return widen(readTrivy(text, name));
    case ReportKind::kAxe: return widen(readAxe(text, name));
  }
  return Status::internal("unknown report kind");
}

Result<ReportSummary> readReportFile(ReportKind kind, const std::filesystem::path& path) {
  std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::fromErrno(name, errno);
  std::string buf(kMaxReportBytes + 1, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  if (in.bad()) return Status::ioError(name + ": read error");
  buf.resize(static_cast<size_t>(in.gcount()));
  if (buf.size() > kMaxReportBytes)
    return detail::bad(name, "report is larger than the limit of " + std::to_string(kMaxReportBytes) + " bytes");
  return readReport(kind, buf, name);
}

}  // namespace shipgate::gates
