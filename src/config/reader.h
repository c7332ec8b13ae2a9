// Private to the loader. Typed, located access to YNode maps: every getter reports a located
// diagnostic ("path: what is wrong") and leaves the output untouched when the value is absent or
// invalid, so defaults from config.h survive. MapView::finish() reports every key that no getter
// asked for, with a "did you mean" hint drawn from the keys that were asked for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "yaml_tree.h"

namespace shipgate::config::internal {

// Path of a child for messages: "apps.api" + "health" -> "apps.api.health".
std::string childPath(const std::string& parent, std::string_view key);
std::string itemPath(const std::string& parent, size_t index);

// Scalar conversions of one node. Return false (after reporting) when the node is not a valid
// value; null nodes are reported as "missing value".
bool asString(const YNode& n, const std::string& path, Diags& d, std::string& out);
bool asBool(const YNode& n, const std::string& path, Diags& d, bool& out);
bool asInt(const YNode& n, const std::string& path, Diags& d, int64_t min, int64_t max,
           int64_t& out);
bool asDouble(const YNode& n, const std::string& path, Diags& d, double min, double max,
              double& out);
bool asDuration(const YNode& n, const std::string& path, Diags& d, Millis& out);
bool asSize(const YNode& n, const std::string& path, Diags& d, size_t& out);
bool asHostPort(const YNode& n, const std::string& path, Diags& d, HostPort& out);
// A list of strings; a single scalar counts as a one-element list.
bool asStringList(const YNode& n, const std::string& path, Diags& d, std::vector<std::string>& out);
// A path relative to the directory of the file `n` came from, made absolute and normalized.
std::string resolvePath(const YNode& n, const std::string& text);

class MapView {
 public:
  // A null node is an empty map; anything else that is not a map is reported.
  MapView(const YNode& node, std::string path, Diags& diags);

  bool isMap() const { return node_.isMap(); }
  const YNode& node() const { return node_; }
  const std::string& path() const { return path_; }
  Diags& diags() { return diags_; }
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
  Diags& diags_;
  std::vector<std::string> known_;
};

}  // namespace shipgate::config::internal
