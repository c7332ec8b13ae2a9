// SecretPath: the name of a secret, a normalised hierarchical path such as
// `/coinestate/prod/database/url`.
//
// Rules (checked by parse, each error naming the segment and the reason):
//   - starts with '/', segments separated by single '/', no trailing '/'
//   - a segment is 1..kMaxSegment characters of A-Z a-z 0-9 _ - . and is not "." or ".."
//   - at most kMaxDepth segments, at most kMaxLength characters in all
// A prefix (parsePrefix) is a path that may also be "/" (everything) or end with '/', which is
// dropped: "/coinestate/prod/" and "/coinestate/prod" are the same prefix. A path is under a
// prefix when it equals it or continues it with '/' (so "/a/bc" is not under "/a/b").
//
// Paths are names, not secrets: they appear in errors, lists and the audit log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::secrets {

class SecretPath {
 public:
  static constexpr size_t kMaxDepth = 15;
  static constexpr size_t kMaxSegment = 64;
  static constexpr size_t kMaxLength = 512;

  // A secret's path. InvalidArgument says what is wrong and where (segment number and byte).
  static Result<SecretPath> parse(std::string_view text);
  // A prefix for list and for access rules: also "/" and a trailing '/'.
  static Result<SecretPath> parsePrefix(std::string_view text);

  // The normalised text ("/" for the root prefix).
  const std::string& str() const { return text_; }
  size_t depth() const { return depth_; }
  bool isRoot() const { return depth_ == 0; }
  // True when this path equals `prefix` or lies below it.
  bool isUnder(const SecretPath& prefix) const;
  std::vector<std::string_view> segments() const;

  bool operator==(const SecretPath& o) const { return text_ == o.text_; }

 private:
  SecretPath(std::string text, size_t depth) : text_(std::move(text)), depth_(depth) {}
  static Result<SecretPath> parseImpl(std::string_view text, bool prefix);

  std::string text_;
  size_t depth_ = 0;
};

}  // namespace shipgate::secrets
