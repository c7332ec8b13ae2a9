// axe-core results reader (contract in shipgate/gates/reports.h).
#include <nlohmann/json.hpp>

#include <string>

#include "report_util.h"
#include "shipgate/gates/reports.h"

namespace shipgate::gates {

using detail::bad;
using nlohmann::json;

namespace {

Status readPage(const json& page, size_t index, AccessibilitySummary& sum, const std::string& name) {
  std::string where = index == SIZE_MAX ? "" : "[" + std::to_string(index) + "]";
  if (!page.is_object()) return bad(name, "page" + where + " is not an axe-core result object");
  auto v = page.find("violations");
  if (v == page.end() || !v->is_array())
    return bad(name, "no \"violations\" array" + (where.empty() ? "" : " in page" + where) +
                         ": not an axe-core result");
  std::string url = page.contains("url") && page["url"].is_string() ? page["url"].get<std::string>() : "";
  for (const json& viol : *v) {
    if (!viol.is_object()) return bad(name, "a violation is not an object");
    AxeViolation out;
    out.url = url;
    if (auto id = viol.find("id"); id != viol.end() && id->is_string()) out.id = id->get<std::string>();
    if (auto im = viol.find("impact"); im != viol.end() && im->is_string()) out.impact = im->get<std::string>();
    if (auto tags = viol.find("tags"); tags != viol.end() && tags->is_array())
      for (const json& t : *tags)
        if (t.is_string()) out.tags.push_back(t.get<std::string>());
    if (auto nodes = viol.find("nodes"); nodes != viol.end() && nodes->is_array())
      out.nodes = static_cast<int64_t>(nodes->size());
    if (out.id.empty()) return bad(name, "a violation has no \"id\"");
    sum.violations.push_back(std::move(out));
  }
  ++sum.pages;
  return Status::success();
}

}  // namespace

Result<AccessibilitySummary> readAxe(std::string_view text, const std::string& name) {
  auto parsed = detail::parseJson(text, name);
  if (!parsed) return parsed.status();
  const json& j = *parsed;
  AccessibilitySummary sum;
  if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) SG_RETURN_IF_ERROR(readPage(j[i], i, sum, name));
    if (sum.pages == 0) return bad(name, "an empty list of axe-core results");
  } else {
    SG_RETURN_IF_ERROR(readPage(j, SIZE_MAX, sum, name));
  }
  return sum;
}

}  // namespace shipgate::gates
