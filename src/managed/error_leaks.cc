#include "shipgate/managed/error_leaks.h"

#include <fstream>
#include <sstream>

#include "shipgate/managed/operators.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::managed {
namespace {

constexpr const char* kDataFiles[] = {"sql-errors.data", "php-errors.data", "java-errors.data",
                                      "iis-errors.data"};

// Ours: what the CRS lists miss (tracebacks of today's runtimes, error texts of the common
// databases). PCRE2 with DOTALL; (?m) where a pattern anchors on a line.
struct OwnPattern {
  const char* kind;
  const char* pattern;
};
constexpr OwnPattern kOwnPatterns[] = {
    {"python traceback", R"(Traceback \(most recent call last\):)"},
    {"python traceback", R"(File "[^"\n]{1,512}", line \d+, in )"},
    {"postgresql error", R"(\b(?:syntax error|unterminated quoted string|unterminated dollar-quoted string) at or near ")"},
    {"python exception", R"(\b(?:[\w.]+\.)?(?:sqlite3|psycopg2?|pymysql|MySQLdb|django\.db|sqlalchemy)\.[\w.]*(?:Error|Exception)\b)"},
    {"node.js stack", R"((?m)^\s+at (?:[^\n()]{1,256} \()?(?:/|[A-Za-z]:\\|file://|node:)[^\n()]{0,512}:\d+:\d+\)?$)"},
    {"node.js stack", R"(\bat Object\.<anonymous> )"},
    {"go panic", R"(goroutine \d+ \[running\]:)"},
    {"go panic", R"((?m)^panic: )"},
    {"ruby backtrace", R"(\bfrom /[^\n:]{1,512}\.rb:\d+:in )"},
    {"ruby backtrace", R"(\.rb:\d+:in `)"},
    {".net exception", R"(\bSystem\.(?:[A-Z]\w*\.)*[A-Z]\w*Exception\b)"},
    {".net stack", R"((?m)^\s+at [\w.`<>]+\([^\n]*\) in [^\n]{1,512}:line \d+)"},
    {"postgresql error", R"(ERROR: +(?:syntax error at or near|relation "[^"\n]*" does not exist|column "[^"\n]*" does not exist|unterminated quoted string|invalid input syntax for))"},
    {"sql error", R"(SQLSTATE\[)"},
    {"sql error", R"(\bSQLSTATE[ =:]+[0-9A-Z]{5}\b)"},
    {"postgresql error", R"(\bPG::\w+Error\b)"},
    {"oracle error", R"(\bORA-\d{5}\b)"},
    {"sqlite error", R"((?i)\bsqlite3?[._](?:OperationalError|IntegrityError|DatabaseError|ProgrammingError|SQLITE_\w+))"},
    {"sqlite error", R"(\bSQLITE_(?:ERROR|CONSTRAINT|MISMATCH|BUSY|LOCKED)\b)"},
    {"sqlite error", R"(\bnear "[^"\n]{0,256}": syntax error)"},
    {"sqlite error", R"(\bunrecognized token: ")"},
    {"mysql error", R"((?i)you have an error in your sql syntax)"},
    {"mysql error", R"(\bERROR \d{4} \([0-9A-Z]{5}\))"},
    {"mssql error", R"((?i)unclosed quotation mark after the character string)"},
    {"mssql error", R"(\bMsg \d+, Level \d+, State \d+)"},
    {"java exception", R"(Exception in thread ")"},
    {"java stack", R"((?m)^\s+at (?:java|javax|jdk|sun|org|com|io|net|scala|kotlin)\.[\w$.<>]+\()"},
    {"java exception", R"((?m)^Caused by: [\w$.]+(?:Exception|Error)\b)"},
    {"php error", R"(\b(?:Fatal|Parse) error:)"},
    {"php error", R"(Stack trace:\s*#0 )"},
    {"php error", R"( on line <b>\d+</b>)"},
    {"php error", R"(\bPHP (?:Fatal error|Warning|Notice|Parse error): )"},
    {"php error", R"(\bUncaught \w+(?:Exception|Error)\b)"},
};

Result<std::string> readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ioError("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool isPlainWord(std::string_view p) {
  for (char c : p) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha) return false;
  }
  return true;
}

// A phrase in an ordinary error page (IIS's own 500 page title) is no leak.
bool ordinaryPage(std::string_view p) {
  return p.find("Internal Server Error") != std::string_view::npos ||
         p.find("Forbidden") != std::string_view::npos;
}

std::string clip(std::string_view s, size_t n) {
  std::string out(s.substr(0, n));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

}  // namespace

std::vector<std::string> leakPhrases(const std::vector<std::string>& listed) {
  std::vector<std::string> out;
  for (const std::string& p : listed) {
    if (p.size() < 6 || isPlainWord(p) || ordinaryPage(p)) continue;
    out.push_back(p);
  }
  return out;
}

ErrorLeakDetector::~ErrorLeakDetector() = default;

Result<std::unique_ptr<ErrorLeakDetector>> ErrorLeakDetector::load(const std::string& rules_dir) {
  std::unique_ptr<ErrorLeakDetector> d(new ErrorLeakDetector());
  if (!rules_dir.empty()) {
    for (const char* file : kDataFiles) {
      std::string path = rules_dir + "/" + file;
      auto text = readWhole(path);
      if (!text.isOk()) return text.status();
      std::vector<std::string> phrases = leakPhrases(parseDataFile(*text));
      auto set = PhraseSet::compile(phrases);
      if (!set.isOk()) {
        return Status::internal(path + ": " + set.status().message());
      }
      d->phrase_count_ += phrases.size();
      d->phrases_.push_back({file, std::move(set).value()});
    }
  }
  for (const OwnPattern& p : kOwnPatterns) {
    auto re = Regex::compile(p.pattern);
    if (!re.isOk()) {
      return Status::internal(std::string("error leak pattern (") + p.kind +
                              "): " + re.status().message());
    }
    d->patterns_.push_back({p.kind, std::move(re).value()});
  }
  return d;
}

std::optional<std::string> ErrorLeakDetector::find(std::string_view body) const {
  if (body.empty()) return std::nullopt;
  thread_local std::unique_ptr<MultiRegex::Scratch> scratch;
  for (const Phrases& ph : phrases_) {
    if (!ph.set->prepare(scratch).isOk()) continue;
    std::string found;
    if (ph.set->match(body, *scratch, &found)) {
      return ph.file + ": \"" + clip(found, 200) + "\"";
    }
  }
  Captures caps;
  for (const Pattern& p : patterns_) {
    if (p.re->match(body, &caps)) {
      std::string_view m = caps.groups.empty() ? std::string_view() : caps.groups[0];
      size_t start = m.find_first_not_of(" \t\r\n");
      m = start == std::string_view::npos ? std::string_view() : m.substr(start);
      return p.kind + ": \"" + clip(m, 200) + "\"";
    }
  }
  return std::nullopt;
}

}  // namespace shipgate::managed
