// LCOV and Cobertura readers (contracts in shipgate/gates/reports.h).
#include <pugixml.hpp>

#include <cstdlib>
#include <string>

#include "report_util.h"
#include "shipgate/gates/reports.h"

namespace shipgate::gates {

using detail::bad;
using detail::parseCount;

double CoverageSummary::linePercent() const {
  if (lines_found > 0) return 100.0 * static_cast<double>(lines_hit) / static_cast<double>(lines_found);
  return line_rate_percent;
}

double CoverageSummary::branchPercent() const {
  if (branches_found > 0)
    return 100.0 * static_cast<double>(branches_hit) / static_cast<double>(branches_found);
  return branch_rate_percent;
}

namespace {

// One SF..end_of_record block's tallies.
struct LcovRecord {
  bool open = false;
  bool has_lf = false, has_lh = false, has_brf = false, has_brh = false;
  int64_t lf = 0, lh = 0, brf = 0, brh = 0;
  int64_t da_found = 0, da_hit = 0, brda_found = 0, brda_hit = 0;
};

}  // namespace

Result<CoverageSummary> readLcov(std::string_view text, const std::string& name) {
  if (text.size() > kMaxReportBytes) return detail::tooLarge(name, text.size());
  CoverageSummary sum;
  sum.format = "lcov";
  LcovRecord rec;
  size_t line_no = 0;
  auto at = [&](const std::string& what) { return bad(name, "line " + std::to_string(line_no) + ": " + what); };
  auto close = [&]() -> Status {
    int64_t lf = rec.has_lf ? rec.lf : rec.da_found;
    int64_t lh = rec.has_lh ? rec.lh : rec.da_hit;
    int64_t brf = rec.has_brf ? rec.brf : rec.brda_found;
    int64_t brh = rec.has_brh ? rec.brh : rec.brda_hit;
    if (lh > lf) return at("LH (" + std::to_string(lh) + ") is more than LF (" + std::to_string(lf) + ")");
    if (brh > brf)
      return at("BRH (" + std::to_string(brh) + ") is more than BRF (" + std::to_string(brf) + ")");
    constexpr int64_t kMax = int64_t{1} << 50;
    if (sum.lines_found > kMax || sum.branches_found > kMax) return at("counts too large");
    sum.lines_found += lf;
    sum.lines_hit += lh;
    sum.branches_found += brf;
    sum.branches_hit += brh;
    ++sum.files;
    rec = LcovRecord{};
    return Status::success();
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    if (line == "end_of_record") {
      if (!rec.open) return at("end_of_record without an SF: record");
      SG_RETURN_IF_ERROR(close());
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return at("expected KEY:VALUE or end_of_record, got \"" + std::string(line.substr(0, 40)) + "\"");
    std::string_view key = line.substr(0, colon), val = line.substr(colon + 1);
    if (key == "TN") continue;
    if (key == "SF") {
      if (rec.open) return at("SF: before the previous record's end_of_record");
      if (val.empty()) return at("SF: without a file name");
      rec.open = true;
      continue;
    }
    bool known = key == "LF" || key == "LH" || key == "BRF" || key == "BRH" || key == "DA" ||
                 key == "BRDA" || key == "FN" || key == "FNDA" || key == "FNF" || key == "FNH" ||
                 key == "VER" || key == "FNL" || key == "FNA" || key == "BRDA";
    if (!known) continue;  // tolerated: other tools' extensions
    if (!rec.open) return at(std::string(key) + ": outside an SF: record");
    auto number = [&](int64_t& out) -> Status {
      if (!parseCount(val, out)) return at(std::string(key) + ": \"" + std::string(val.substr(0, 40)) + "\" is not a count");
      return Status::success();
    };
    if (key == "LF") { SG_RETURN_IF_ERROR(number(rec.lf)); rec.has_lf = true; }
    else if (key == "LH") { SG_RETURN_IF_ERROR(number(rec.lh)); rec.has_lh = true; }
    else if (key == "BRF") { SG_RETURN_IF_ERROR(number(rec.brf)); rec.has_brf = true; }
    else if (key == "BRH") { SG_RETURN_IF_ERROR(number(rec.brh)); rec.has_brh = true; }
    else if (key == "DA") {
      // DA:<line>,<hits>[,<checksum>]; hits may be negative in some gcov outputs: treat as 0.
      size_t c1 = val.find(',');
      if (c1 == std::string_view::npos) return at("DA: expected <line>,<hits>");
      size_t c2 = val.find(',', c1 + 1);
      std::string_view hits = val.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1);
      int64_t ln = 0, h = 0;
      if (!parseCount(val.substr(0, c1), ln)) return at("DA: line number \"" + std::string(val.substr(0, c1).substr(0, 20)) + "\" is not a count");
      if (!hits.empty() && hits[0] == '-') hits.remove_prefix(1);
      // gcov may write hit counts as floating point ("1.5e3"): any number > 0 is a hit.
      if (!parseCount(hits, h)) {
        char* end = nullptr;
        std::string hs(hits);
        double d = std::strtod(hs.c_str(), &end);
        if (hs.empty() || end != hs.c_str() + hs.size()) return at("DA: hit count \"" + hs.substr(0, 20) + "\" is not a number");
        h = d > 0 ? 1 : 0;
      }
      ++rec.da_found;
      if (h > 0) ++rec.da_hit;
    } else if (key == "BRDA") {
      // BRDA:<line>,[<exception>]<block>,<branch>,<taken> where taken is "-" (never reached) or a count.
      size_t last = val.rfind(',');
      if (last == std::string_view::npos) return at("BRDA: expected <line>,<block>,<branch>,<taken>");
      std::string_view taken = val.substr(last + 1);
      int64_t t = 0;
      if (taken != "-" && !parseCount(taken, t)) return at("BRDA: taken \"" + std::string(taken.substr(0, 20)) + "\" is not a count or -");
      ++rec.brda_found;
      if (taken != "-" && t > 0) ++rec.brda_hit;
    }
  }
  if (rec.open) SG_RETURN_IF_ERROR(close());  // a last record without end_of_record is tolerated
  if (sum.files == 0) return bad(name, "no SF: records: not an LCOV tracefile");
  return sum;
}

namespace {

bool attrCount(const pugi::xml_node& n, const char* attr, int64_t& out) {
  pugi::xml_attribute a = n.attribute(attr);
  return a && detail::parseCount(a.value(), out);
}

}  // namespace

Result<CoverageSummary> readCobertura(std::string_view text, const std::string& name) {
  if (text.size() > kMaxReportBytes) return detail::tooLarge(name, text.size());
  pugi::xml_document doc;
  pugi::xml_parse_result r = doc.load_buffer(text.data(), text.size(), pugi::parse_default);
  if (!r) return detail::xmlError(name, text, r);
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "coverage")
    return bad(name, "root element is <" + std::string(root.name()) + ">, not Cobertura's <coverage>");
  CoverageSummary sum;
  sum.format = "cobertura";
  int64_t valid = 0, covered = 0;
  bool have_lines = attrCount(root, "lines-valid", valid) && attrCount(root, "lines-covered", covered);
  if (have_lines) {
    if (covered > valid)
      return bad(name, "lines-covered (" + std::to_string(covered) + ") is more than lines-valid (" + std::to_string(valid) + ")");
    sum.lines_found = valid;
    sum.lines_hit = covered;
  }
  auto rate = [&](const char* attr, double& out) -> Status {
    pugi::xml_attribute a = root.attribute(attr);
    if (!a) return Status::success();
    std::string v = a.value();
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !(d >= 0 && d <= 1))
      return bad(name, std::string(attr) + "=\"" + v.substr(0, 20) + "\" is not a rate between 0 and 1");
    out = d * 100.0;
    return Status::success();
  };
  double line_rate = -1, branch_rate = -1;
  SG_RETURN_IF_ERROR(rate("line-rate", line_rate));
  SG_RETURN_IF_ERROR(rate("branch-rate", branch_rate));
  if (!have_lines) {
    if (line_rate < 0) return bad(name, "<coverage> has neither lines-valid/lines-covered nor line-rate");
    sum.line_rate_percent = line_rate;
  }
  int64_t bvalid = 0, bcovered = 0;
  if (attrCount(root, "branches-valid", bvalid) && attrCount(root, "branches-covered", bcovered)) {
    if (bcovered > bvalid)
      return bad(name, "branches-covered (" + std::to_string(bcovered) + ") is more than branches-valid (" + std::to_string(bvalid) + ")");
    sum.branches_found = bvalid;
    sum.branches_hit = bcovered;
  } else if (branch_rate >= 0) {
    sum.branch_rate_percent = branch_rate;
  }
  for (pugi::xml_node pkgs : root.children("packages"))
    for (pugi::xml_node pkg : pkgs.children("package"))
      for (pugi::xml_node classes : pkg.children("classes"))
        for ([[maybe_unused]] pugi::xml_node cls : classes.children("class")) ++sum.files;
  return sum;
}

}  // namespace shipgate::gates
