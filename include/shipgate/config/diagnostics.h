// config::Diagnostics: the sink that collects located errors and warnings while a config is
// loaded, shared by the loader and by the areas that validate their own section (see section.h).
// Files are ranked in the order they were first seen, so sorted() returns "file order": the root
// file first, then its includes. It also keeps the text of every parsed file, so a position inside
// a scalar (an expression) maps back to the file's line:column. Not thread-safe: one per load.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"

namespace shipgate::config {

class Diagnostics {
 public:
  void error(const Location& where, std::string message);
  void warning(const Location& where, std::string message);
  void noteFile(const std::string& file);
  // The text of a parsed file, to map offsets inside scalars back to line:column.
  void noteSource(const std::string& file, std::string_view text);
  const std::string* source(const std::string& file) const;
  bool hasErrors() const { return errors_ > 0; }
  std::vector<Diagnostic> sorted() const;

  // Where byte `offset` of a scalar's decoded value is in the file, given the scalar's start
  // `start` (its opening quote or block indicator when it has one). Handles plain, single-quoted
  // ('' escapes), double-quoted (backslash escapes) and block (| >) scalars, and line folding.
  // Falls back to `start` when the file's text is unknown.
  Location locateInScalar(const Location& start, size_t offset) const;

 private:
  std::vector<Diagnostic> list_;
  std::map<std::string, int> file_rank_;
  std::map<std::string, std::string> sources_;
  int errors_ = 0;
};

}  // namespace shipgate::config
