// ErrorLeakDetector: finds database error and stack-trace text in an upstream's error answer
// (waf.mask_upstream_errors). One matcher built once: the CRS's own response lists
// (sql-errors.data, php-errors.data, java-errors.data, iis-errors.data, read with
// parseDataFile(), case-insensitive phrases; single plain words such as "Error" or "Warning" and
// phrases under 6 characters are left out, since ordinary error pages carry them) plus our
// patterns for what the lists miss: Python tracebacks, Node.js and Go stacks, Ruby, .NET, Java
// and PHP traces, PostgreSQL/MySQL/SQLite/MSSQL/Oracle error texts.
// Immutable after load(); find() is thread-safe (each thread keeps its own Hyperscan scratch).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::managed {

class PhraseSet;
class Regex;

class ErrorLeakDetector {
 public:
  static constexpr const char* kDebianRulesDir = "/usr/share/modsecurity-crs/rules";

  // Reads the four *-errors.data files of rules_dir (an error names the file that cannot be
  // read); an empty rules_dir builds our own patterns only.
  static Result<std::unique_ptr<ErrorLeakDetector>> load(const std::string& rules_dir);
  ~ErrorLeakDetector();
  ErrorLeakDetector(const ErrorLeakDetector&) = delete;
  ErrorLeakDetector& operator=(const ErrorLeakDetector&) = delete;

  // What leaked, for the log: `<kind>: "<matched text>"` (kind = the data file or our pattern's
  // name, e.g. "python traceback"), or nullopt when the body carries none of it.
  std::optional<std::string> find(std::string_view body) const;
  size_t phraseCount() const { return phrase_count_; }
  size_t patternCount() const { return patterns_.size(); }

 private:
  ErrorLeakDetector() = default;
  struct Pattern {
    std::string kind;
    std::unique_ptr<Regex> re;
  };
  struct Phrases {
    std::string file;
    std::unique_ptr<PhraseSet> set;
  };
  std::vector<Phrases> phrases_;
  std::vector<Pattern> patterns_;
  size_t phrase_count_ = 0;
};

// Keeps the phrases of a CRS error list that are specific enough to mark a leak (see above).
std::vector<std::string> leakPhrases(const std::vector<std::string>& listed);

}  // namespace shipgate::managed
