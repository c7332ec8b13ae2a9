// loadFile / loadString: reads the documents (with includes), merges them and builds the Config
// section by section. See loader.h for the schema and the rules.
#include "shipgate/config/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "sections.h"
#include "shipgate/config/section.h"
#include "yaml_tree.h"

namespace shipgate::config {
namespace {

namespace fs = std::filesystem;
using internal::Diags;

constexpr uintmax_t kMaxFileBytes = uintmax_t{4} << 20;
constexpr int kMaxIncludeDepth = 16;

// Reads a config file; on failure reports at `where` and returns false.
bool readFile(const std::string& path, const Location& where, Diags& d, std::string& out) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (!fs::exists(status)) {
    d.error(where, "cannot read \"" + path + "\": no such file");
    return false;
  }
  if (!fs::is_regular_file(status)) {
    d.error(where, "cannot read \"" + path + "\": not a regular file");
    return false;
  }
  auto size = fs::file_size(path, ec);
  if (ec || size > kMaxFileBytes) {
    d.error(where, "cannot read \"" + path +
                       "\": " + (ec ? ec.message() : "larger than 4 MiB, not a config file"));
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    d.error(where, "cannot read \"" + path + "\": permission denied or unreadable");
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::string identity(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  return ec ? fs::absolute(path, ec).lexically_normal().string() : p.string();
}

// Parses `text` as `file` and merges its includes under it. `stack` holds the identities of the
// files being loaded, for cycle detection.
YNode loadTree(std::string_view text, const std::string& file, Diags& d,
               std::vector<std::string>& stack) {
  YNode doc = internal::parseYaml(text, file, d);
  if (!doc.isMap()) return doc;
  YEntry* inc = doc.find("include");
  if (inc == nullptr) return doc;
  YNode include_node = std::move(inc->value);
  doc.entries.erase(doc.entries.begin() + (inc - doc.entries.data()));
  std::vector<const YNode*> items;
  if (include_node.isScalar()) {
    items.push_back(&include_node);
  } else if (include_node.isSeq()) {
    for (const auto& i : include_node.items) items.push_back(&i);
  } else if (!include_node.isNull()) {
    d.error(include_node.where, "include: expected a list of file names");
  }
  YNode merged;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string name;
    std::string path = include_node.isSeq() ? itemPath("include", i) : "include";
    if (!asString(*items[i], path, d, name)) continue;
    if (name.empty()) {
      d.error(items[i]->where, path + ": empty file name");
      continue;
    }
    fs::path target(name);
    if (target.is_relative()) target = fs::path(file).parent_path() / target;
    std::string target_name = target.lexically_normal().string();
    std::string id = identity(target_name);
    bool cycle = false;
    for (const auto& s : stack) cycle = cycle || s == id;
    if (cycle) {
      d.error(items[i]->where, path + ": \"" + name + "\" includes itself (include cycle)");
      continue;
    }
    if (stack.size() >= kMaxIncludeDepth) {
      d.error(items[i]->where, path + ": includes nested more than 16 deep");
      continue;
    }
    std::string contents;
    if (!readFile(target_name, items[i]->where, d, contents)) continue;
    stack.push_back(id);
    YNode sub = loadTree(contents, target_name, d, stack);
    stack.pop_back();
    internal::mergeInto(merged, std::move(sub));
  }
  internal::mergeInto(merged, std::move(doc));
  return merged;
}

void buildConfig(const YNode& root, Config& c, Diags& d) {
  if (!root.isMap() && !root.isNull()) {
    d.error(root.where,
            std::string("the config must be a map of sections, got ") + root.kindName());
    return;
  }
  MapView top(root, "", d);
  if (const YNode* n = top.take("server")) internal::loadServer(*n, c, d);
  if (const YNode* n = top.take("listeners")) internal::loadListeners(*n, c, d);
  internal::loadAdmin(top.take("admin"), c, d);
  if (const YEntry* e = top.entry("health_checks")) internal::loadHealthChecks(*e, c, d);
  // The areas' sections: read by their validators (validateSections) from the same document.
  for (const auto& area : kAreaSections) top.entry(area.key);
  if (const YNode* n = top.take("waf")) internal::loadWaf(*n, c, d);
  if (const YEntry* e = top.entry("security_rules")) internal::loadSecurityRules(*e, c, d);
  if (const YEntry* e = top.entry("quality_gates")) internal::loadQualityGates(*e, c, d);
  if (const YEntry* e = top.entry("container_security")) {
    internal::loadContainerSecurity(*e, root, c, d);
  }
  top.take("include");  // already consumed by loadTree; known here for "did you mean"
  top.finish("x-");
}

LoadResult finish(Diags& d, std::unique_ptr<Config> config) {
  LoadResult result;
  result.diagnostics = d.sorted();
  if (!d.hasErrors()) {
    for (const auto& diag : result.diagnostics) config->warnings.push_back(diag);
    result.config = std::move(config);
  }
  return result;
}

// Runs each area's validator, in order, on the loaded model and the merged document, and stores
// the settings it returns (a later validator sees an earlier one's).
void validateSections(const std::vector<const SectionValidator*>& sections, const YNode& root,
                      Config& c, Diags& d) {
  for (const SectionValidator* section : sections) {
    std::shared_ptr<const SectionSettings> settings = section->validateDocument(c, root, d);
    if (settings != nullptr) c.sections[std::string(section->key())] = std::move(settings);
  }
}

LoadResult load(std::string_view text, const std::string& file_name,
                const std::vector<const SectionValidator*>& sections) {
  Diags d;
  auto config = std::make_unique<Config>();
  config->source_file = file_name;
  try {
    std::vector<std::string> stack{identity(file_name)};
    YNode root = loadTree(text, file_name, d, stack);
    buildConfig(root, *config, d);
    validateSections(sections, root, *config, d);
  } catch (const std::exception& e) {
    d.error(Location{file_name, 0, 0}, std::string("internal error while loading: ") + e.what());
  }
  return finish(d, std::move(config));
}

}  // namespace

bool LoadResult::hasErrors() const {
  for (const auto& d : diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) return true;
  }
  return false;
}

std::string LoadResult::toString() const {
  std::string out;
  for (const auto& d : diagnostics) out += d.toString() + "\n";
  return out;
}

LoadResult loadFile(const std::string& path, const std::vector<const SectionValidator*>& sections) {
  Diags d;
  d.noteFile(path);
  std::string text;
  if (!readFile(path, Location{path, 0, 0}, d, text)) return finish(d, nullptr);
  return load(text, path, sections);
}

LoadResult loadString(std::string_view yaml, const std::string& file_name,
                      const std::vector<const SectionValidator*>& sections) {
  return load(yaml, file_name, sections);
}

}  // namespace shipgate::config
