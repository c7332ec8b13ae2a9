// YAML text -> YNode via yaml-cpp; the merge used by includes. See yaml_tree.h.
#include "yaml_tree.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

namespace shipgate::config::internal {
namespace {

constexpr int kMaxDepth = 64;          // deeper documents are not configs
constexpr size_t kMaxNodes = 200'000;  // bounds alias expansion ("billion laughs")

Location locate(const std::string& file, const YAML::Mark& mark) {
  Location loc;
  loc.file = file;
  if (mark.line >= 0 && mark.column >= 0) {
    loc.line = mark.line + 1;
    loc.column = mark.column + 1;
  }
  return loc;
}

class Converter {
 public:
  Converter(const std::string& file, Diags& diags) : file_(file), diags_(diags) {}

  // Returns false when the conversion was abandoned (too deep, too large).
  bool convert(const YAML::Node& in, YNode& out, int depth) {
    out.where = locate(file_, in.Mark());
    if (++nodes_ > kMaxNodes) {
      if (!reported_size_) {
        diags_.error(out.where, "document too large (more than " + std::to_string(kMaxNodes) +
                                    " nodes after expanding aliases)");
        reported_size_ = true;
      }
      return false;
    }
    if (depth > kMaxDepth) {
      diags_.error(out.where, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      return false;
    }
    switch (in.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.kind = YNode::Kind::kNull;
        return true;
      case YAML::NodeType::Scalar:
        out.kind = YNode::Kind::kScalar;
        out.scalar = in.Scalar();
        out.quoted = in.Tag() == "!";
        return true;
      case YAML::NodeType::Sequence:
        out.kind = YNode::Kind::kSeq;
        for (const auto& item : in) {
          out.items.emplace_back();
          if (!convert(item, out.items.back(), depth + 1)) return false;
        }
        return true;
      case YAML::NodeType::Map:
        return convertMap(in, out, depth);
    }
    return true;
  }

 private:
  bool convertMap(const YAML::Node& in, YNode& out, int depth) {
    out.kind = YNode::Kind::kMap;
    std::vector<YNode> merges;  // "<<: *anchor" maps; keys written explicitly win over them
    for (const auto& kv : in) {
      Location key_where = locate(file_, kv.first.Mark());
      if (!kv.first.IsScalar()) {
        diags_.error(key_where, "map keys must be plain strings");
        continue;
      }
      const std::string& key = kv.first.Scalar();
      if (key == "<<" && kv.first.Tag() != "!") {
        YNode merged;
        if (!convert(kv.second, merged, depth + 1)) return false;
        if (merged.isSeq()) {
          for (auto& item : merged.items) merges.push_back(std::move(item));
        } else {
          merges.push_back(std::move(merged));
        }
        continue;
      }
      if (const YEntry* prev = out.find(key)) {
        diags_.error(key_where, "duplicate key \"" + key + "\" (first defined at " +
                                    prev->key_where.toString() + ")");
        continue;
      }
      YEntry entry;
      entry.key = key;
      entry.key_where = key_where;
      if (!convert(kv.second, entry.value, depth + 1)) return false;
      out.entries.push_back(std::move(entry));
    }
    for (auto& m : merges) {
      if (!m.isMap()) {
        diags_.error(m.where,
                     "\"<<\" merges a map (or a list of maps), not " + std::string(m.kindName()));
        continue;
      }
      for (auto& e : m.entries) {
        if (out.find(e.key) == nullptr) out.entries.push_back(std::move(e));
      }
    }
    return true;
  }

  const std::string& file_;
  Diags& diags_;
  size_t nodes_ = 0;
  bool reported_size_ = false;
};

// yaml-cpp reports an indentation tab as a confusing error further right; name the tab instead
// when one appears in the indentation of a line up to the one the parser failed on.
bool reportIndentTab(std::string_view text, int error_line, const std::string& file, Diags& diags) {
  int line = 1;
  size_t start = 0;
  while (start < text.size() && (error_line <= 0 || line <= error_line)) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    for (size_t i = start; i < end && (text[i] == ' ' || text[i] == '\t'); ++i) {
      if (text[i] == '\t') {
        diags.error(Location{file, line, static_cast<int>(i - start) + 1},
                    "YAML syntax error: tab character in indentation (YAML indents with spaces)");
        return true;
      }
    }
    start = end + 1;
    ++line;
  }
  return false;
}

}  // namespace

}  // namespace shipgate::config::internal

namespace shipgate::config {

const YEntry* YNode::find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

YEntry* YNode::find(std::string_view key) {
  for (auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

const char* YNode::kindName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar:
      return "a scalar";
    case Kind::kSeq:
      return "a list";
    case Kind::kMap:
      return "a map";
  }
  return "?";
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace shipgate::config

namespace shipgate::config::internal {

YNode parseYaml(std::string_view text, const std::string& file, Diags& diags) {
  diags.noteFile(file);
  diags.noteSource(file, text);
  YNode out;
  out.where.file = file;
  out.where.line = 1;
  out.where.column = 1;
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Location where = locate(file, e.mark);
    if (!reportIndentTab(text, where.line, file, diags)) {
      diags.error(where, "YAML syntax error: " + e.msg);
    }
    return out;
  } catch (const std::exception& e) {
    diags.error(out.where, std::string("YAML error: ") + e.what());
    return out;
  } catch (...) {
    diags.error(out.where, "YAML error");
    return out;
  }
  try {
    Converter converter(file, diags);
    if (!converter.convert(doc, out, 0)) {
      YNode empty;
      empty.where = out.where;
      return empty;
    }
    if (out.isNull()) out.where = Location{file, 1, 1};
  } catch (const std::exception& e) {
    diags.error(out.where, std::string("YAML error: ") + e.what());
    return YNode{};
  }
  return out;
}

void mergeInto(YNode& base, YNode&& top) {
  if (!base.isMap() || !top.isMap()) {
    base = std::move(top);
    return;
  }
  for (auto& entry : top.entries) {
    if (YEntry* existing = base.find(entry.key)) {
      existing->key_where = entry.key_where;
      mergeInto(existing->value, std::move(entry.value));
    } else {
      base.entries.push_back(std::move(entry));
    }
  }
  base.where = top.where;
}

}  // namespace shipgate::config::internal
