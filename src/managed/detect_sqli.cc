// @detectSQLi: tokenizer + folding + injection-shape lookup (see detect.h).
//
// The input is tokenized as SQL three times: as is, and as if it followed an opening single or
// double quote (the quote contexts run only when the input holds that quote). Each run yields a
// fingerprint: the types of the first kMaxFingerprint tokens after folding, one character each:
//
//   s string   1 number   n bareword   k keyword   B order by/group by/having   f function call
//   E statement keyword that starts a real statement (select ..., drop table, waitfor delay ...)
//   U union    o operator  = comparison (= <> ...)  L comparison word (like is regexp ...)
//   & logic (and or xor && ||)
//   ( ) , ;    c comment reaching the end of the input   v variable (@x, @@x)   x other punctuation
//
// Folding: comments followed by more code are dropped (space2comment), MySQL's /*! ... */ is read
// as code, "union all"/"order by"/"waitfor delay" are single tokens, unary operators are dropped,
// "1 + 1" is one number, and a statement keyword not followed by what a statement needs
// ("select a plan") is demoted to a bareword. The fingerprint is then matched against our table of
// injection shapes (kQuoteShapes for the quote contexts, kPlainShapes for the plain one).
//
// Linear: one left-to-right scan that stops after kMaxRawTokens tokens; no recursion.
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "detect_sqli_impl.h"
#include "shipgate/managed/detect.h"

namespace shipgate::managed {
namespace sqli {
namespace {

constexpr size_t kMaxRawTokens = 40;
constexpr size_t kMaxFingerprint = 8;   // tokens the prefix shapes see
constexpr size_t kMaxWindow = 16;       // tokens the anywhere shapes see

bool isSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0xa0 ||
         c < 0x20 || c == 0x7f;
}
bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isWordStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}
bool isWordChar(unsigned char c) { return isWordStart(c) || isDigit(c) || c == '.' || c == '@'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowerCopy(std::string_view s) {
  std::string out(s.size(), '\0');
  for (size_t i = 0; i < s.size(); ++i) out[i] = lower(s[i]);
  return out;
}

struct Word {
  std::string_view name;
  char type;
  bool strong = false;  // functions: rarely seen outside SQL (sleep, benchmark, extractvalue ...)
};

// Our table of SQL words (MySQL, PostgreSQL, MSSQL, Oracle, SQLite). Functions are typed 'f' only
// when a '(' follows; otherwise they are barewords.
constexpr Word kWords[] = {
    {"and", '&'}, {"or", '&'}, {"xor", '&'}, {"not", 'N'},
    {"div", 'o'}, {"mod", 'o'},
    {"like", 'L'}, {"rlike", 'L'}, {"ilike", 'L'}, {"regexp", 'L'}, {"glob", 'L'},
    {"is", 'L'}, {"sounds", 'L'},
    {"union", 'U'}, {"intersect", 'U'},
    {"select", 'E'}, {"insert", 'E'}, {"update", 'E'}, {"delete", 'E'}, {"drop", 'E'},
    {"create", 'E'}, {"alter", 'E'}, {"truncate", 'E'}, {"exec", 'E'}, {"execute", 'E'},
    {"declare", 'E'}, {"waitfor", 'E'}, {"shutdown", 'E'},
    {"order", 'O'}, {"group", 'O'}, {"having", 'B'}, {"by", 'k'},
    {"from", 'k'}, {"where", 'k'}, {"into", 'k'}, {"values", 'k'}, {"null", 'k'}, {"in", 'k'},
    {"as", 'k'}, {"case", 'k'}, {"when", 'k'}, {"then", 'k'}, {"else", 'k'}, {"end", 'k'},
    {"all", 'k'}, {"distinct", 'k'}, {"top", 'k'}, {"delay", 'k'}, {"time", 'k'}, {"join", 'k'},
    {"on", 'k'}, {"set", 'k'}, {"exists", 'k'}, {"between", 'L'}, {"limit", 'k'},
    {"offset", 'k'}, {"table", 'k'}, {"database", 'k'}, {"schema", 'k'}, {"procedure", 'k'},
    {"function", 'k'}, {"view", 'k'}, {"index", 'k'}, {"trigger", 'k'}, {"user", 'k'},
    {"true", '1'}, {"false", '1'},
    // Functions.
    {"sleep", 'F', true}, {"benchmark", 'F', true}, {"pg_sleep", 'F', true},
    {"extractvalue", 'F', true}, {"updatexml", 'F', true}, {"load_file", 'F', true},
    {"xmltype", 'F', true}, {"randomblob", 'F', true}, {"dbms_pipe.receive_message", 'F', true},
    {"utl_inaddr.get_host_name", 'F', true}, {"utl_http.request", 'F', true},
    {"xp_cmdshell", 'F', true}, {"sp_executesql", 'F', true}, {"openrowset", 'F', true},
    {"opendatasource", 'F', true}, {"group_concat", 'F', true}, {"concat_ws", 'F', true},
    {"name_const", 'F', true}, {"make_set", 'F', true}, {"gtid_subset", 'F', true},
    {"json_keys", 'F', true}, {"unhex", 'F', true}, {"current_user", 'F', true},
    {"system_user", 'F', true}, {"session_user", 'F', true}, {"information_schema", 'n'},
    {"char", 'F'}, {"chr", 'F'}, {"nchar", 'F'}, {"concat", 'F'}, {"ascii", 'F'}, {"ord", 'F'},
    {"substring", 'F'}, {"substr", 'F'}, {"mid", 'F'}, {"hex", 'F'}, {"version", 'F'},
    {"if", 'F'}, {"ifnull", 'F'}, {"isnull", 'F'}, {"nullif", 'F'}, {"coalesce", 'F'},
    {"cast", 'F'}, {"convert", 'F'}, {"count", 'F'}, {"length", 'F'}, {"len", 'F'},
    {"md5", 'F'}, {"sha1", 'F'}, {"rand", 'F'}, {"floor", 'F'}, {"elt", 'F'}, {"exp", 'F'},
};

const Word* findWord(std::string_view lowered) {
  for (const Word& w : kWords) {
    if (w.name == lowered) return &w;
  }
  return nullptr;
}

}  // namespace

// Tokenizes `in` starting in `quote` context (0, '\'' or '"'); appends at most kMaxRawTokens.
void tokenize(std::string_view in, char quote, std::vector<Token>& out) {
  size_t i = 0;
  const size_t n = in.size();
  auto addToken = [&](char type, size_t begin, size_t end) {
    out.push_back(Token{type, in.substr(begin, end - begin)});
  };
  auto restIsBlank = [&](size_t from) {
    for (size_t j = from; j < n; ++j) {
      if (!isSpace(static_cast<unsigned char>(in[j]))) return false;
    }
    return true;
  };
  // A string that started before the input (quote context), or at in[i].
  auto scanString = [&](char q, size_t from) {
    size_t j = from;
    while (j < n) {
      if (in[j] == '\\' && j + 1 < n) {
        j += 2;
        continue;
      }
      if (in[j] == q) {
        if (j + 1 < n && in[j + 1] == q) {  // doubled quote: escaped
          j += 2;
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return n;
  };
  if (quote != 0) {
    size_t end = scanString(quote, 0);
    addToken('s', 0, end == n && (n == 0 || in[n - 1] != quote) ? n : end - 1);
    i = end;
  }
  while (i < n && out.size() < kMaxRawTokens) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (isSpace(c)) {
      ++i;
      continue;
    }
    // Comments.
    if (c == '/' && i + 1 < n && in[i + 1] == '*') {
      if (i + 2 < n && in[i + 2] == '!') {  // MySQL executable comment: read its body as code
        i += 3;
        while (i < n && isDigit(static_cast<unsigned char>(in[i]))) ++i;
        continue;
      }
      size_t close = in.find("*/", i + 2);
      size_t end = close == std::string_view::npos ? n : close + 2;
      if (end == n || restIsBlank(end)) addToken('c', i, end);
      i = end;
      continue;
    }
    if (c == '*' && i + 1 < n && in[i + 1] == '/') {  // end of a /*! comment
      i += 2;
      continue;
    }
    if ((c == '-' && i + 1 < n && in[i + 1] == '-') || c == '#') {
      size_t nl = in.find('\n', i);
      size_t end = nl == std::string_view::npos ? n : nl;
      if (end == n || restIsBlank(end)) addToken('c', i, end);
      i = end;
      continue;
    }
    if (c == '\'' || c == '"') {
      size_t end = scanString(static_cast<char>(c), i + 1);
      addToken('s', i, end);
      i = end;
      continue;
    }
    if (c == '`') {
      size_t close = in.find('`', i + 1);
      size_t end = close == std::string_view::npos ? n : close + 1;
      addToken('n', i, end);
      i = end;
      continue;
    }
    if (isDigit(c) || (c == '.' && i + 1 < n && isDigit(static_cast<unsigned char>(in[i + 1])))) {
      size_t j = i;
      if (c == '0' && i + 1 < n && (in[i + 1] == 'x' || in[i + 1] == 'X' || in[i + 1] == 'b' ||
                                    in[i + 1] == 'B')) {
        j = i + 2;
        while (j < n && std::isxdigit(static_cast<unsigned char>(in[j]))) ++j;
      } else {
        while (j < n && isDigit(static_cast<unsigned char>(in[j]))) ++j;
        if (j < n && in[j] == '.') {
          ++j;
          while (j < n && isDigit(static_cast<unsigned char>(in[j]))) ++j;
        }
        if (j < n && (in[j] == 'e' || in[j] == 'E')) {
          size_t k = j + 1;
          if (k < n && (in[k] == '+' || in[k] == '-')) ++k;
          if (k < n && isDigit(static_cast<unsigned char>(in[k]))) {
            j = k;
            while (j < n && isDigit(static_cast<unsigned char>(in[j]))) ++j;
          }
        }
      }
      // "3rd", "42nd", "1st": a word, not a number.
      if (j < n && (isWordStart(static_cast<unsigned char>(in[j])) && in[j] != '$')) {
        while (j < n && isWordChar(static_cast<unsigned char>(in[j]))) ++j;
        addToken('n', i, j);
      } else {
        addToken('1', i, j);
      }
      i = j;
      continue;
    }
    if (c == '@') {
      size_t j = i + 1;
      if (j < n && in[j] == '@') ++j;
      size_t name = j;
      while (j < n && isWordChar(static_cast<unsigned char>(in[j]))) ++j;
      if (j > name) {
        addToken('v', i, j);
      } else {
        addToken('o', i, j);
      }
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      size_t j = i;
      while (j < n && isWordChar(static_cast<unsigned char>(in[j]))) ++j;
      // N'..', X'..', B'..', E'..': prefixed string literals.
      if (j == i + 1 && j < n && in[j] == '\'' &&
          (lower(in[i]) == 'n' || lower(in[i]) == 'x' || lower(in[i]) == 'b' ||
           lower(in[i]) == 'e')) {
        size_t end = scanString('\'', j + 1);
        addToken('s', i, end);
        i = end;
        continue;
      }
      addToken('w', i, j);  // classified in fold()
      i = j;
      continue;
    }
    switch (c) {
      case '(':
      case ')':
      case ',':
      case ';':
        addToken(static_cast<char>(c), i, i + 1);
        ++i;
        continue;
      case '[':
      case ']':
      case '{':
      case '}':
      case '?':
      case '\\':
        addToken('x', i, i + 1);
        ++i;
        continue;
      default:
        break;
    }
    // Operators, longest first.
    static constexpr std::array<std::pair<std::string_view, char>, 16> kOps = {{
        {"<=>", '='}, {"<>", '='}, {"!=", '='}, {"<=", '='}, {">=", '='}, {"||", '&'},
        {"&&", '&'}, {"<<", 'o'}, {">>", 'o'}, {":=", 'o'}, {"::", 'o'}, {"=", '='},
        {"<", '='}, {">", '='}, {"!", 'N'}, {"~", 'N'},
    }};
    bool matched = false;
    for (const auto& [op, type] : kOps) {
      if (in.substr(i, op.size()) == op) {
        addToken(type, i, i + op.size());
        i += op.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    addToken('o', i, i + 1);  // + - * / % | ^ & : . and anything else
    ++i;
  }
}

namespace {

// Is the statement keyword at tokens[i] the start of a real statement?
bool validStatement(const std::vector<Token>& t, size_t i) {
  std::string kw = lowerCopy(t[i].text);
  auto type = [&](size_t k) { return k < t.size() ? t[k].type : '$'; };
  auto text = [&](size_t k) { return k < t.size() ? lowerCopy(t[k].text) : std::string(); };
  char next = type(i + 1);
  if (kw == "select") {
    char prev = i > 0 ? t[i - 1].type : '^';
    if ((prev == 'U' || prev == '(') && (next == '$' || next == 'c')) return true;
    if (next == '1' || next == 's' || next == 'v' || next == 'f' || next == '(') return true;
    if (next == 'o' && t[i + 1].text == "*") return true;
    if (next == 'k') {
      std::string w = text(i + 1);
      return w == "null" || w == "distinct" || w == "top";
    }
    if (next == 'n') {
      char after = type(i + 2);
      return after == ',' || after == '$' || after == 'c' || after == ';' ||
             (after == 'k' && text(i + 2) == "from");
    }
    return false;
  }
  if (kw == "insert") return next == 'k' && text(i + 1) == "into";
  if (kw == "delete") {
    if (!(next == 'k' && text(i + 1) == "from") || type(i + 2) != 'n') return false;
    char after = type(i + 3);
    return after == '$' || after == 'c' || after == ';' ||
           (after == 'k' && text(i + 3) == "where");
  }
  if (kw == "update") return next == 'n' && type(i + 2) == 'k' && text(i + 2) == "set";
  if (kw == "drop" || kw == "create" || kw == "alter" || kw == "truncate") {
    std::string w = text(i + 1);
    return next == 'k' && (w == "table" || w == "database" || w == "schema" || w == "user" ||
                           w == "procedure" || w == "function" || w == "view" ||
                           w == "index" || w == "trigger");
  }
  if (kw == "waitfor" || kw == "into") return true;  // folded with delay/time, outfile/dumpfile
  if (kw == "exec" || kw == "execute") {
    if (next == '(' || next == 's' || next == 'f') return true;
    std::string w = text(i + 1);
    return next == 'n' && (w.rfind("xp_", 0) == 0 || w.rfind("sp_", 0) == 0 ||
                           w.rfind("master.", 0) == 0);
  }
  if (kw == "shutdown") return next == '$' || next == 'c' || next == ';';
  if (kw == "declare") return next == 'v';
  return false;
}

}  // namespace

// Classifies words, merges multi-word tokens, drops unary operators and folds arithmetic.
std::vector<Token> fold(const std::vector<Token>& raw) {
  std::vector<Token> t;
  t.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    Token tok = raw[i];
    if (tok.type == 'w') {
      std::string w = lowerCopy(tok.text);
      const Word* entry = findWord(w);
      bool call_follows = i + 1 < raw.size() && raw[i + 1].type == '(';
      if (entry == nullptr) {
        // A word glued to '(' is a call of some function ("foo(1)").
        bool glued = call_follows && raw[i + 1].text.data() == tok.text.data() + tok.text.size();
        tok.type = glued ? 'f' : 'n';
        tok.known = false;
      } else if (entry->type == 'F') {
        tok.type = call_follows ? 'f' : 'n';
        tok.strong = entry->strong;
      } else if (entry->type == 'k' && w == "user" && call_follows) {
        tok.type = 'f';
      } else {
        tok.type = entry->type;
      }
      if (tok.type == 'E' && call_follows && w != "select" && w != "exec" && w != "execute") {
        tok.type = 'f';  // update(...), replace(...) etc. as functions
      }
    }
    // Merges with the previous token.
    if (!t.empty()) {
      Token& prev = t.back();
      std::string w = tok.type == 'k' || tok.type == 'n' ? lowerCopy(tok.text) : std::string();
      if (prev.type == 'U' && tok.type == 'k' && (w == "all" || w == "distinct")) continue;
      if (prev.type == 'O' && tok.type == 'k' && w == "by") {
        prev.type = 'B';
        continue;
      }
      if (prev.type == 'E' && lowerCopy(prev.text) == "waitfor" && tok.type == 'k' &&
          (w == "delay" || w == "time")) {
        continue;
      }
      // "into outfile" / "into dumpfile": writing a file, a statement of its own.
      if (prev.type == 'k' && lowerCopy(prev.text) == "into" &&
          (w == "outfile" || w == "dumpfile")) {
        prev.type = 'E';
        continue;
      }
    }
    t.push_back(tok);
  }
  // 'order'/'group' not followed by 'by' were made barewords above.
  std::vector<Token> out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    Token tok = t[i];
    if (tok.type == 'O') tok.type = 'n';  // order/group without by
    if (tok.type == 'E' && !validStatement(t, i)) tok.type = 'n';
    // Unary operators (+ - ~ ! not) before an operand.
    bool unary_candidate =
        tok.type == 'N' || (tok.type == 'o' && (tok.text == "+" || tok.text == "-"));
    if (unary_candidate) {
      char prev = out.empty() ? '^' : out.back().type;
      bool prev_allows = prev == '^' || prev == 'o' || prev == '=' || prev == 'L' || prev == '&' ||
                         prev == '(' || prev == ',' || prev == ';' || prev == 'k' ||
                         prev == 'E' || prev == 'U' || prev == 'N';
      if (tok.type == 'N' || prev_allows) continue;
    }
    // "1 + 1" -> 1.
    if (tok.type == '1' && out.size() >= 2 && out.back().type == 'o' &&
        out[out.size() - 2].type == '1') {
      out.pop_back();
      continue;
    }
    out.push_back(tok);
  }
  return out;
}

std::string fingerprintOf(const std::vector<Token>& folded, size_t max_tokens) {
  std::string fp;
  for (size_t i = 0; i < folded.size() && fp.size() < max_tokens; ++i) {
    fp.push_back(folded[i].type);
  }
  return fp;
}

namespace {

// Shapes: each character must equal the fingerprint's, '?' matches any token, '$' matches the end,
// "[..]" a class. A shape matches a prefix of the fingerprint.
bool shapeMatches(std::string_view shape, std::string_view fp) {
  size_t f = 0;
  for (size_t s = 0; s < shape.size(); ++s) {
    char c = shape[s];
    if (c == '$') return f == fp.size();
    if (f >= fp.size()) return false;
    if (c == '[') {
      size_t close = shape.find(']', s);
      std::string_view cls = shape.substr(s + 1, close - s - 1);
      if (cls.find(fp[f]) == std::string_view::npos) return false;
      s = close;
    } else if (c != '?' && c != fp[f]) {
      return false;
    }
    ++f;
  }
  return true;
}

// Shapes of injections that close a quoted string first.
constexpr std::string_view kQuoteShapes[] = {
    "s&[1sv]=", "s&n=", "s&1$", "s&1c", "s&1;", "s&f(", "s&([1sfvE(]", "s&(n=", "s&E", "s&v",
    "s&1&",     "s&1o", "s&[1s]B",
    "s=s$",     "s=s&", "s=sc", "s=1&", "s=1c", "s=[1s]o",
    "sc$",      "s)c$", "s))c$", "s;c$",
    "s;E",      "s);E", "s));E",
    "sUE",      "s)UE", "s))UE", "sU(E", "s)U(E",
    "sf(",      "sof(", "so(E", "s)E", "s))E", "sE",
    "s)&[(1sfv]", "s))&[(1sfv]", "s)&n=",
    "sB",       "s)B",  "s))B",  "s&sB",
    "s=s=",     "s=v",  "s=f(", "s=(E", "s=1=", "s&[1s]L", "s&nL[1s]", "sL[1s]$", "sL[1s]&", "sL[1s]c",
};

// Shapes that need no quote.
constexpr std::string_view kPlainShapes[] = {
    "1&1=",  "1&s=",  "1&n=",  "1&v",   "1&f(",  "1&([1sfvE(]", "1&1c", "1&1;", "1&1B",
    "n&1=1", "n&s=s", "n&f(",  "v&1=",
    "1;E",   "n;E",   "1);E",  "n);E",  ";E",
    "1UE",   "nUE",   "1)UE",  "n)UE",  "1U(E", "UE", "vUE",
    "1)&(1", "1)&1=", "1)&(s", "1))&",  "1)&f(", "n)&(n=",
    "1of(",  "1c$",   "1E",    "1)E",   "nEs", "1Es",
    "f(1,f(", "f(s,f(", "f(E", "f(1,1,f(",
    "1B1c",  "nB1c",  "1&[1s]L", "1&nL[1s]",  "&1=1", "&1==1", "&(1=1", "&1=(", "&s=s",
};

// Shapes matched anywhere in the fingerprint.
constexpr std::string_view kAnywhereShapes[] = {"UE", "U(E", ";E", "(E", "&f(", "&v", "&1=1"};

bool plainStart(const std::vector<Token>& f, const std::string& fp) {
  // A whole value that is a dangerous call ("sleep(20)", "load_file('/etc/passwd')") or a
  // statement ("select * from users", "drop table users").
  if (fp.size() >= 3 && fp[0] == 'f' && f[0].strong && fp[1] == '(' &&
      (fp[2] == '1' || fp[2] == 's' || fp[2] == 'f' || fp[2] == 'v')) {
    return true;
  }
  if (!fp.empty() && fp[0] == 'E') return true;
  return false;
}

// Shapes of kPlainShapes that start with a call need a function of our table, not any word
// glued to '(' ("RunScripts(f(x))").
bool needsKnownCall(std::string_view shape, const std::vector<Token>& f) {
  return !shape.empty() && shape[0] == 'f' && !f[0].known;
}

bool decide(const std::vector<Token>& f, const std::string& window, char quote,
            bool first_is_quote) {
  const std::string fp = window.substr(0, kMaxFingerprint);
  if (quote != 0) {
    for (std::string_view shape : kQuoteShapes) {
      if (shapeMatches(shape, fp)) {
        if ((shape == "sf(" || shape == "sof(") && !f[shape.size() - 2].known) continue;
        if (shape == "sc$" || shape == "s)c$" || shape == "s))c$" || shape == "s;c$") {
          // admin'--: the comment must truncate (--, #, /*), not be ordinary text.
          std::string_view c = f.back().text;
          if (!(c.rfind("--", 0) == 0 || c.rfind("#", 0) == 0 || c.rfind("/*", 0) == 0)) continue;
          // A lone quote before a comment in prose ("it's -- fine") has words before it.
          if (f[0].text.find(' ') != std::string_view::npos && shape == "sc$") continue;
        }
        return true;
      }
    }
    // "\" | type %SystemDrive% | \"": a command pipe right after a closed empty string.
    if (first_is_quote && fp.size() >= 3 && fp[0] == 's' && f[0].text.empty() &&
        fp[1] == 'o' && f[1].text == "|" && (fp[2] == 'n' || fp[2] == '1')) {
      return true;
    }
  } else {
    for (std::string_view shape : kPlainShapes) {
      if (shapeMatches(shape, fp) && !needsKnownCall(shape, f)) return true;
    }
    if (plainStart(f, fp)) return true;
  }
  for (std::string_view shape : kAnywhereShapes) {
    for (size_t i = 0; i < window.size(); ++i) {
      if (shapeMatches(shape, std::string_view(window).substr(i))) {
        // "&f(", "&v" and "&1=1" only count when the logic word joins something SQL-like.
        char before = i > 0 ? window[i - 1] : '^';
        if ((shape == "&f(" || shape == "&v" || shape == "&1=1") &&
            !(before == '1' || before == 's' || before == ')' || before == 'v' ||
              (shape == "&1=1" && before == '='))) {
          continue;
        }
        if (shape == "&f(" && quote == 0 && !f[i + 1].strong) continue;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool detectInContext(std::string_view input, char quote, std::string* fingerprint) {
  std::vector<Token> raw;
  raw.reserve(kMaxRawTokens);
  tokenize(input, quote, raw);
  std::vector<Token> folded = fold(raw);
  std::string window = fingerprintOf(folded, kMaxWindow);
  bool hit = decide(folded, window, quote, !input.empty() && input[0] == quote);
  if (hit && fingerprint != nullptr) *fingerprint = window.substr(0, kMaxFingerprint);
  return hit;
}

}  // namespace sqli

bool detectSqli(std::string_view input, std::string* fingerprint) {
  if (fingerprint != nullptr) fingerprint->clear();
  if (input.empty()) return false;
  if (sqli::detectInContext(input, 0, fingerprint)) return true;
  if (input.find('\'') != std::string_view::npos &&
      sqli::detectInContext(input, '\'', fingerprint)) {
    return true;
  }
  if (input.find('"') != std::string_view::npos &&
      sqli::detectInContext(input, '"', fingerprint)) {
    return true;
  }
  return false;
}

}  // namespace shipgate::managed
