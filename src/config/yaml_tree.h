// Private to the loader. YNode: a YAML document as a plain tree whose every node remembers the file
// and position it came from, so that diagnostics stay exact after includes are merged. Diags: the
// sink that collects located errors and warnings (config/diagnostics.h).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/diagnostics.h"

namespace shipgate::config::internal {

struct YEntry;

struct YNode {
  enum class Kind { kNull, kScalar, kSeq, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;           // kScalar: the text, as yaml-cpp unescaped it
  bool quoted = false;          // kScalar: written with quotes (never a number or boolean)
  std::vector<YNode> items;     // kSeq
  std::vector<YEntry> entries;  // kMap, in file order, keys unique
  Location where;

  bool isNull() const { return kind == Kind::kNull; }
  bool isScalar() const { return kind == Kind::kScalar; }
  bool isSeq() const { return kind == Kind::kSeq; }
  bool isMap() const { return kind == Kind::kMap; }
  const YEntry* find(std::string_view key) const;
  YEntry* find(std::string_view key);
  const char* kindName() const;  // "a string", "a list", "a map", "null"
};

struct YEntry {
  std::string key;
  Location key_where;
  YNode value;
};

// The loader's name for the public diagnostics sink.
using Diags = config::Diagnostics;

// Parses YAML text into a YNode tree named `file`. Syntax errors, duplicate keys, non-string keys,
// excessive nesting and alias bombs become errors in `diags`; the returned tree is then partial
// (null when the text did not parse at all). Never throws.
YNode parseYaml(std::string_view text, const std::string& file, Diags& diags);

// Overlays `top` onto `base`: maps merge key by key (recursively), anything else in `top`
// replaces what `base` had (an explicit null too).
void mergeInto(YNode& base, YNode&& top);

// Levenshtein distance, for "did you mean" hints.
size_t editDistance(std::string_view a, std::string_view b);

}  // namespace shipgate::config::internal
