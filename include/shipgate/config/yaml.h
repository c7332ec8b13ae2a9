// The YAML toolkit every section reader uses: YNode, a YAML document as a plain tree whose every
// node remembers the file and position it came from (so diagnostics stay exact after includes are
// merged), and MapView, typed and located access to a map. Every getter reports a located
// diagnostic ("path: what is wrong") and leaves the output untouched when the value is absent or
// invalid, so a section's defaults survive; MapView::finish() reports every key that no getter
// asked for, with a "did you mean" hint drawn from the keys that were asked for.
//
// config/ reads its own sections (server, listeners, admin, the seed's blocks) with it, and hands
// each area's SectionValidator (section.h) the merged document to read that area's section.
// Thread: a YNode is immutable once parsed; a MapView belongs to one load (one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/diagnostics.h"

namespace shipgate::config {

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

// Path of a child for messages: "apps.api" + "health" -> "apps.api.health".
std::string childPath(const std::string& parent, std::string_view key);
std::string itemPath(const std::string& parent, size_t index);

// Scalar conversions of one node. Return false (after reporting) when the node is not a valid
// value; null nodes are reported as "missing value".
bool asString(const YNode& n, const std::string& path, Diagnostics& d, std::string& out);
bool asBool(const YNode& n, const std::string& path, Diagnostics& d, bool& out);
bool asInt(const YNode& n, const std::string& path, Diagnostics& d, int64_t min, int64_t max,
           int64_t& out);
bool asDouble(const YNode& n, const std::string& path, Diagnostics& d, double min, double max,
              double& out);
bool asDuration(const YNode& n, const std::string& path, Diagnostics& d, Millis& out);
bool asSize(const YNode& n, const std::string& path, Diagnostics& d, size_t& out);
bool asHostPort(const YNode& n, const std::string& path, Diagnostics& d, HostPort& out);
// A list of strings; a single scalar counts as a one-element list.
bool asStringList(const YNode& n, const std::string& path, Diagnostics& d,
                  std::vector<std::string>& out);
// A path relative to the directory of the file `n` came from, made absolute and normalized.
std::string resolvePath(const YNode& n, const std::string& text);

class MapView {
 public:
  // A null node is an empty map; anything else that is not a map is reported.
  MapView(const YNode& node, std::string path, Diagnostics& diags);

  bool isMap() const { return node_.isMap(); }
  const YNode& node() const { return node_; }
  const std::string& path() const { return path_; }
  Diagnostics& diags() { return diags_; }
  std::string sub(std::string_view key) const { return childPath(path_, key); }

  // The value of `key`, or nullptr when absent or null. Marks `key` as known.
  const YNode* take(std::string_view key);
  // The entry of `key` (for its key location), or nullptr when absent. Marks `key` as known.
  const YEntry* entry(std::string_view key);

  // Getters: absent or null leaves `out` unchanged. Return true when a valid value was read.
  bool getString(std::string_view key, std::string& out);
  bool getBool(std::string_view key, bool& out);
  bool getInt(std::string_view key, int64_t min, int64_t max, int& out);
  bool getInt64(std::string_view key, int64_t min, int64_t max, int64_t& out);
  bool getDouble(std::string_view key, double min, double max, double& out);
  bool getDuration(std::string_view key, Millis& out);
  bool getSeconds(std::string_view key, int64_t& out_seconds);  // a duration in whole seconds
  bool getSize(std::string_view key, size_t min, size_t& out);
  bool getAddress(std::string_view key, HostPort& out);
  bool getStringList(std::string_view key, std::vector<std::string>& out);
  bool getPath(std::string_view key, std::string& out);  // resolvePath() of a string
  // One of `choices`; out = index into choices.
  bool getChoice(std::string_view key, const std::vector<std::string_view>& choices, int& out);

  // Reports keys no getter asked for. `ignore_prefix` (e.g. "x-") exempts keys starting with it.
  void finish(std::string_view ignore_prefix = {});

 private:
  const YNode& node_;
  std::string path_;
  Diagnostics& diags_;
  std::vector<std::string> known_;
};

// Names of sites, apps, listeners, checks, regions: letters, digits, '-', '_', '.'.
bool validName(std::string_view name);
// " (did you mean \"x\"?)" when a candidate is close to `name`, else "".
std::string didYouMean(std::string_view name, const std::vector<std::string>& candidates);
// Levenshtein distance, for "did you mean" hints.
size_t editDistance(std::string_view a, std::string_view b);
// Warns when a file the gateway reads at serve time does not exist yet.
void warnIfMissing(const Location& where, const std::string& what, const std::string& path,
                   Diagnostics& d);

}  // namespace shipgate::config
