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
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "detect_sqli_impl.h"
#include "detect_sqli_tables.h"
#include "shipgate/common/strings.h"
#include "shipgate/managed/detect.h"

namespace shipgate::managed {
namespace sqli {
namespace {

constexpr size_t kMaxRawTokens = 40;
constexpr size_t kMaxFingerprint = 8;  // tokens the prefix shapes see
constexpr size_t kMaxWindow = 16;      // tokens the anywhere shapes see

// The byte classes the tokenizer asks about, one table lookup each.
enum : uint8_t { kSpace = 1, kDigit = 2, kWordStart = 4, kWordChar = 8 };
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0xa0 ||
        c < 0x20 || c == 0x7f)
      t[c] |= kSpace;
    if (c >= '0' && c <= '9') t[c] |= kDigit | kWordChar;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80)
      t[c] |= kWordStart | kWordChar;
    if (c == '.' || c == '@') t[c] |= kWordChar;
  }
  return t;
}();
bool isSpace(unsigned char c) { return (kByteClass[c] & kSpace) != 0; }
bool isDigit(unsigned char c) { return (kByteClass[c] & kDigit) != 0; }
bool isWordStart(unsigned char c) { return (kByteClass[c] & kWordStart) != 0; }
bool isWordChar(unsigned char c) { return (kByteClass[c] & kWordChar) != 0; }

// FNV-1a over the bytes of a lowercase word.
constexpr uint32_t wordHash(const char* p, size_t n) {
  uint32_t h = 2166136261U;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 16777619U;
  return h;
}

// The table entry of `word` (any case), or nullptr. No allocation: words longer than any entry
// are not looked up. The index is an open-addressing table by wordHash, with at least twice as
// many slots as entries (the first entry of a name wins).
const Word* findWord(std::string_view word) {
  constexpr size_t kSlots = 512;
  static_assert(kSlots >= 2 * std::size(kWords));
  static const std::array<const Word*, kSlots> kIndex = [] {
    std::array<const Word*, kSlots> index{};
    for (const Word& w : kWords) {
      size_t k = wordHash(w.name.data(), w.name.size()) & (kSlots - 1);
      for (; index[k] != nullptr; k = (k + 1) & (kSlots - 1))
        if (index[k]->name == w.name) break;
      if (index[k] == nullptr) index[k] = &w;
    }
    return index;
  }();
  // Bit n of kLengths[c]: some entry of n bytes starts with c (lowercase), so most words of
  // ordinary text ("Mozilla", "AppleWebKit") are refused without lowercasing and hashing them.
  static const std::array<uint32_t, 256> kLengths = [] {
    std::array<uint32_t, 256> lengths{};
    for (const Word& w : kWords) {
      if (w.name.size() < 32) lengths[static_cast<unsigned char>(w.name[0])] |= 1U << w.name.size();
    }
    return lengths;
  }();
  char buf[32];
  if (word.empty() || word.size() >= sizeof buf) return nullptr;
  if (((kLengths[static_cast<unsigned char>(asciiLower(word[0]))] >> word.size()) & 1) == 0)
    return nullptr;
  for (size_t i = 0; i < word.size(); ++i) buf[i] = asciiLower(word[i]);
  const std::string_view lower(buf, word.size());
  for (size_t k = wordHash(buf, word.size()) & (kSlots - 1); kIndex[k] != nullptr;
       k = (k + 1) & (kSlots - 1)) {
    if (kIndex[k]->name == lower) return kIndex[k];
  }
  return nullptr;
}

}  // namespace

// Tokenizes `in` starting in `quote` context (0, '\'' or '"'); appends at most kMaxRawTokens.
void tokenize(std::string_view in, char quote, std::vector<Token>& out) {
  size_t i = 0;
  const size_t n = in.size();
  // The tokens go to a local array, left uninitialised (each token is constructed in place when
  // it is added), then to `out` at once: a push_back per token costs more than the token.
  const size_t room = kMaxRawTokens - std::min(out.size(), kMaxRawTokens);
  union Slots {
    Slots() {}
    Token at[kMaxRawTokens + 1];  // + 1: the quote context's string comes before the loop
  } toks;
  size_t count = 0;
  auto addToken = [&](char type, size_t begin, size_t end) {
    Token* token = new (&toks.at[count++]) Token;
    token->type = type;
    token->text = in.substr(begin, end - begin);
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
  while (i < n && count < room) {
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
      if (c == '0' && i + 1 < n &&
          (in[i + 1] == 'x' || in[i + 1] == 'X' || in[i + 1] == 'b' || in[i + 1] == 'B')) {
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
          (asciiLower(in[i]) == 'n' || asciiLower(in[i]) == 'x' || asciiLower(in[i]) == 'b' ||
           asciiLower(in[i]) == 'e')) {
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
    // Operators, longest first. A byte that starts none of them is a one-byte operator.
    if (std::string_view("<>!=|&:~").find(static_cast<char>(c)) == std::string_view::npos) {
      addToken('o', i, i + 1);  // + - * / % ^ . and anything else
      ++i;
      continue;
    }
    static constexpr std::array<std::pair<std::string_view, char>, 16> kOps = {{
        {"<=>", '='},
        {"<>", '='},
        {"!=", '='},
        {"<=", '='},
        {">=", '='},
        {"||", '&'},
        {"&&", '&'},
        {"<<", 'o'},
        {">>", 'o'},
        {":=", 'o'},
        {"::", 'o'},
        {"=", '='},
        {"<", '='},
        {">", '='},
        {"!", 'N'},
        {"~", 'N'},
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
  out.insert(out.end(), toks.at, toks.at + count);
}

namespace {

// Is the statement keyword at tokens[i] the start of a real statement?
bool validStatement(const std::vector<Token>& t, size_t i) {
  std::string_view kw = t[i].word;
  auto type = [&](size_t k) { return k < t.size() ? t[k].type : '$'; };
  auto text = [&](size_t k) { return k < t.size() ? t[k].word : std::string_view(); };
  char next = type(i + 1);
  if (kw == "select") {
    char prev = i > 0 ? t[i - 1].type : '^';
    if ((prev == 'U' || prev == '(') && (next == '$' || next == 'c')) return true;
    if (next == '1' || next == 's' || next == 'v' || next == 'f' || next == '(') return true;
    if (next == 'o' && t[i + 1].text == "*") return true;
    if (next == 'k') {
      std::string_view w = text(i + 1);
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
    return after == '$' || after == 'c' || after == ';' || (after == 'k' && text(i + 3) == "where");
  }
  if (kw == "update") return next == 'n' && type(i + 2) == 'k' && text(i + 2) == "set";
  if (kw == "drop" || kw == "create" || kw == "alter" || kw == "truncate") {
    std::string_view w = text(i + 1);
    // "drop sampletable;--": a bare name ended by ';' or a comment.
    if ((kw == "drop" || kw == "truncate") && next == 'n' &&
        (type(i + 2) == ';' || type(i + 2) == 'c')) {
      return true;
    }
    return next == 'k' &&
           (w == "table" || w == "database" || w == "schema" || w == "user" || w == "procedure" ||
            w == "function" || w == "view" || w == "index" || w == "trigger");
  }
  if (kw == "waitfor delay" || kw == "into outfile") return true;  // merged in fold()
  if (kw == "exec" || kw == "execute") {
    if (next == '(' || next == 's' || next == 'f') return true;
    std::string_view w = i + 1 < t.size() ? t[i + 1].text : std::string_view();
    return next == 'n' && (startsWithIgnoreCase(w, "xp_") || startsWithIgnoreCase(w, "sp_") ||
                           startsWithIgnoreCase(w, "master."));
  }
  if (kw == "shutdown") return next == '$' || next == 'c' || next == ';';
  if (kw == "declare") return next == 'v';
  return false;
}

}  // namespace

// Classifies words, merges multi-word tokens, drops unary operators and folds arithmetic.
// `merged` is scratch (the stream after merging, before the unary and arithmetic pass).
// `enough` (0, or at least 2): the second pass may stop once `out` holds that many tokens, all
// but the last final; 0 folds the whole stream.
void foldInto(const std::vector<Token>& raw, std::vector<Token>& merged, std::vector<Token>& out,
              size_t enough) {
  // Both passes write their tokens by index into a vector sized once (a push_back per token
  // costs more than the token), then cut it to the count written.
  std::vector<Token>& t = merged;
  t.assign(raw.begin(), raw.end());
  size_t nt = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    Token tok = raw[i];
    if (tok.type == 'w') {
      const Word* entry = findWord(tok.text);
      std::string_view w = entry != nullptr ? entry->name : std::string_view();
      tok.word = w;
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
    if (nt > 0) {
      Token& prev = t[nt - 1];
      std::string_view w = tok.word;
      // A merged token spans both words.
      auto span = [&] {
        prev.text = std::string_view(prev.text.data(),
                                     tok.text.data() + tok.text.size() - prev.text.data());
      };
      if (prev.type == 'U' && tok.type == 'k' && (w == "all" || w == "distinct")) {
        span();
        continue;
      }
      if (prev.type == 'O' && tok.type == 'k' && w == "by") {
        prev.type = 'B';
        span();
        continue;
      }
      if (prev.type == 'E' && prev.word == "waitfor" && tok.type == 'k' &&
          (w == "delay" || w == "time")) {
        prev.word = "waitfor delay";
        span();
        continue;
      }
      // "into outfile" / "into dumpfile": writing a file, a statement of its own.
      if (prev.type == 'k' && prev.word == "into" && (w == "outfile" || w == "dumpfile")) {
        prev.type = 'E';
        prev.word = "into outfile";
        span();
        continue;
      }
    }
    t[nt++] = tok;
  }
  t.resize(nt);
  // 'order'/'group' not followed by 'by' were made barewords above.
  out.assign(t.begin(), t.end());
  size_t no = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    // The tokens before the last one written are final (a "1 + 1" fold only takes back an
    // operator just written): once there are `enough`, and neither of the first two is a
    // statement keyword (whose checks read the whole stream), the rest cannot change them.
    if (enough > 0 && no >= enough && out[0].type != 'E' && out[1].type != 'E') break;
    Token tok = t[i];
    if (tok.type == 'O') tok.type = 'n';  // order/group without by
    if (tok.type == 'E' && !validStatement(t, i)) tok.type = 'n';
    // Unary operators (+ - ~ ! not) before an operand.
    bool unary_candidate =
        tok.type == 'N' || (tok.type == 'o' && (tok.text == "+" || tok.text == "-"));
    if (unary_candidate) {
      char prev = no == 0 ? '^' : out[no - 1].type;
      bool prev_allows = prev == '^' || prev == 'o' || prev == '=' || prev == 'L' || prev == '&' ||
                         prev == '(' || prev == ',' || prev == ';' || prev == 'k' || prev == 'E' ||
                         prev == 'U' || prev == 'N';
      if (tok.type == 'N' || prev_allows) continue;
    }
    // "1 + 1" -> 1.
    if (tok.type == '1' && no >= 2 && out[no - 1].type == 'o' && out[no - 2].type == '1') {
      --no;
      continue;
    }
    out[no++] = tok;
  }
  out.resize(no);
}

std::vector<Token> fold(const std::vector<Token>& raw) {
  std::vector<Token> merged, out;
  foldInto(raw, merged, out, 0);
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

// The shapes of a table bucketed by their first two characters, so a fingerprint is tried only
// against the shapes that can match it (shapes whose first two characters are not literal go in
// every bucket).
class ShapeIndex {
 public:
  template <size_t N>
  explicit ShapeIndex(const std::string_view (&shapes)[N]) {
    for (std::string_view shape : shapes) {
      bool literal = shape.size() >= 2 && shape[0] != '[' && shape[0] != '?' && shape[0] != '$' &&
                     shape[1] != '[' && shape[1] != '?' && shape[1] != '$';
      if (literal) {
        buckets_[key(shape[0], shape[1])].push_back(shape);
      } else {
        generic_.push_back(shape);
      }
    }
    for (auto& [k, list] : buckets_) list.insert(list.end(), generic_.begin(), generic_.end());
  }

  const std::vector<std::string_view>& candidates(std::string_view fp) const {
    if (fp.size() < 2) return generic_;
    auto it = buckets_.find(key(fp[0], fp[1]));
    return it == buckets_.end() ? generic_ : it->second;
  }

 private:
  static uint16_t key(char a, char b) {
    return static_cast<uint16_t>(static_cast<unsigned char>(a) << 8 |
                                 static_cast<unsigned char>(b));
  }
  std::unordered_map<uint16_t, std::vector<std::string_view>> buckets_;
  std::vector<std::string_view> generic_;
};

// "select notes from meeting", "select notes from meeting All rights reserved": select, one
// plain word, from, then only plain words and the keywords prose uses (all, as, in, on, time,
// end); no clause (where, join, limit ...), operator, number, string or call follows.
bool selectPhrase(const std::vector<Token>& f, const std::string& fp) {
  if (fp.size() < 4 || fp.compare(0, 4, "Enkn") != 0 || f[2].word != "from") return false;
  for (size_t i = 4; i < f.size(); ++i) {
    if (f[i].type == 'n') continue;
    std::string_view w = f[i].word;
    if (f[i].type == 'k' &&
        (w == "all" || w == "as" || w == "in" || w == "on" || w == "time" || w == "end")) {
      continue;
    }
    return false;
  }
  return true;
}

bool plainStart(const std::vector<Token>& f, const std::string& fp) {
  // A whole value that is a dangerous call ("sleep(20)", "load_file('/etc/passwd')") or a
  // statement ("select * from users", "drop table users").
  // The call must be glued to its '(' as SQL needs ("sleep (1) and (2)" is prose).
  if (fp.size() >= 3 && fp[0] == 'f' && f[0].strong && fp[1] == '(' &&
      f[1].text.data() == f[0].text.data() + f[0].text.size() &&
      (fp[2] == '1' || fp[2] == 's' || fp[2] == 'f' || fp[2] == 'v')) {
    return true;
  }
  if (fp.empty() || fp[0] != 'E') return false;
  // A value that starts with a statement keyword must look like a whole statement.
  std::string_view kw = f[0].word;
  if (kw == "select") {
    // Four plain words, the second keyword "from" ("select notes from meeting"): a phrase of
    // prose, not a query anyone can run from a value (libinjection passes it too). A real select
    // list or source has an operator, a function, a quote or more words ("select * from users").
    if (selectPhrase(f, fp)) return false;
    if (fp.find('k') != std::string::npos) {
      for (const Token& t : f) {
        if (t.type == 'k' && t.word == "from") return true;
      }
    }
    if (fp.size() < 2) return false;
    if (fp[1] == 'v' || (fp[1] == 'f' && f[1].known) || (fp[1] == 'n' && f[1].strong)) return true;
    // select(user(  select (case ...  select (select ...
    if (fp[1] == '(' && fp.size() >= 3 &&
        (fp[2] == 'E' || fp[2] == 'f' || (fp[2] == 'k' && f[2].word == "case"))) {
      return true;
    }
    if (fp[1] == '1' && f[1].text.size() > 2 && f[1].text[0] == '0' &&
        (f[1].text[1] == 'x' || f[1].text[1] == 'X')) {
      return true;  // select 0x616263
    }
    return fp.size() >= 3 && (fp[1] == '1' || fp[1] == 's') && fp[2] == ',';
  }
  if (kw == "exec" || kw == "execute") {
    return fp.size() >= 2 &&
           (fp[1] == 'n' || (fp.size() >= 3 && fp[1] == '(' && (fp[2] == 'v' || fp[2] == 's')));
  }
  return true;
}

// In a quote context, an input that starts with the quote and closes it right after one word is
// a quoted word ("\"select\" means what?"), not an injection.
bool quotedWord(const std::vector<Token>& f, const std::string& fp) {
  if (!(fp.size() >= 3 && fp[0] == 's' && f[0].text.empty() && fp[2] == 's' &&
        std::string_view("EBLkUnf1").find(fp[1]) != std::string_view::npos)) {
    return false;
  }
  // The word touches both quotes: "select", not " waitfor delay '.
  const char* open_end = f[0].text.data() + 1;
  return f[1].text.data() == open_end && f[2].text.data() == f[1].text.data() + f[1].text.size();
}

// Shapes of kPlainShapes that start with a call need a function of our table, not any word
// glued to '(' ("RunScripts(f(x))").
bool needsKnownCall(std::string_view shape, const std::vector<Token>& f) {
  return !shape.empty() && shape[0] == 'f' && !f[0].known;
}

bool decide(const std::vector<Token>& f, const std::string& window, char quote,
            bool first_is_quote) {
  const std::string fp = window.substr(0, kMaxFingerprint);
  if (quote != 0 && quotedWord(f, fp)) return false;
  if (quote != 0) {
    static const ShapeIndex kQuoteIndex(kQuoteShapes);
    for (std::string_view shape : kQuoteIndex.candidates(fp)) {
      if (shapeMatches(shape, fp)) {
        if ((shape == "sf(" || shape == "sof(") && !f[shape.size() - 2].known) continue;
        if (shape == "sc$" || shape == "s)c$" || shape == "s))c$" || shape == "s;c$") {
          // admin'--: the comment must truncate (--, #, /*), not be ordinary text.
          std::string_view c = f.back().text;
          if (!(c.rfind("--", 0) == 0 || c.rfind('#', 0) == 0 || c.rfind("/*", 0) == 0)) continue;
          // A lone quote before a comment in prose ("it's -- fine") has words before it.
          if (f[0].text.find(' ') != std::string_view::npos && shape == "sc$") continue;
        }
        return true;
      }
    }
    // "\" | type %SystemDrive% | \"": a command pipe right after a closed empty string.
    if (first_is_quote && fp.size() >= 3 && fp[0] == 's' && f[0].text.empty() && fp[1] == 'o' &&
        f[1].text == "|" && (fp[2] == 'n' || fp[2] == '1')) {
      return true;
    }
  } else {
    static const ShapeIndex kPlainIndex(kPlainShapes);
    for (std::string_view shape : kPlainIndex.candidates(fp)) {
      if (!shapeMatches(shape, fp) || needsKnownCall(shape, f)) continue;
      // A number then a statement keyword must be followed by a whole statement ("1 select *
      // from users"), not be an address or prose ("3 Select Court", libinjection passes it).
      if (shape == "1E" &&
          !plainStart(std::vector<Token>(f.begin() + 1, f.end()), fp.substr(1))) {
        continue;
      }
      return true;
    }
    if (plainStart(f, fp)) return true;
  }
  // The anywhere shapes at every position of the window (the order does not change the answer).
  // Their first characters are literal: a position is tried only against the shapes that start
  // with its token type.
  static const std::array<std::vector<std::string_view>, 256> kByFirst = [] {
    std::array<std::vector<std::string_view>, 256> by_first;
    for (std::string_view shape : kAnywhereShapes)
      by_first[static_cast<unsigned char>(shape[0])].push_back(shape);
    return by_first;
  }();
  for (size_t i = 0; i < window.size(); ++i) {
    for (std::string_view shape : kByFirst[static_cast<unsigned char>(window[i])]) {
      if (!shapeMatches(shape, std::string_view(window).substr(i))) continue;
      // "&f(", "&v" and the tautologies only count when the logic word joins something
      // SQL-like.
      char before = i > 0 ? window[i - 1] : '^';
      bool tautology = shape == "&1=[1s(]" || shape == "&(1=1";
      if ((shape == "&f(" || shape == "&v" || tautology) &&
          !(before == '1' || before == 's' || before == ')' || before == 'v' ||
            (tautology && before == '='))) {
        continue;
      }
      if (shape == "&f(" && quote == 0 && !f[i + 1].strong) continue;
      return true;
    }
  }
  return false;
}

}  // namespace

bool detectInContext(std::string_view input, char quote, std::string* fingerprint) {
  thread_local std::vector<Token> raw, merged, folded;  // reused: no allocation per value
  raw.clear();
  raw.reserve(kMaxRawTokens);
  tokenize(input, quote, raw);
  // decide() reads the first kMaxWindow + 1 folded tokens (and the whole stream only when its
  // first or second token is a statement keyword).
  foldInto(raw, merged, folded, kMaxWindow + 2);
  std::string window = fingerprintOf(folded, kMaxWindow);
  bool hit = decide(folded, window, quote, !input.empty() && input[0] == quote);
  if (hit && fingerprint != nullptr) *fingerprint = window.substr(0, kMaxFingerprint);
  return hit;
}

}  // namespace sqli

bool detectSqli(std::string_view input, std::string* fingerprint) {
  if (fingerprint != nullptr) fingerprint->clear();
  // One word or number with nothing SQL can join it with ("12345", "john.doe@example.com",
  // "2024-05-17") cannot be an injection.
  bool single_word = true;
  for (size_t i = 0; i < input.size() && single_word; ++i) {
    unsigned char c = static_cast<unsigned char>(input[i]);
    bool plain = std::isalnum(c) || c == '.' || c == '_' || c == '@' || c >= 0x80 ||
                 (c == '-' && (i + 1 == input.size() || input[i + 1] != '-'));
    single_word = plain;
  }
  if (single_word) return false;
  if (sqli::detectInContext(input, 0, fingerprint)) return true;
  if (input.find('\'') != std::string_view::npos &&
      sqli::detectInContext(input, '\'', fingerprint)) {
    return true;
  }
  if (input.find('"') != std::string_view::npos && sqli::detectInContext(input, '"', fingerprint)) {
    return true;
  }
  return false;
}

}  // namespace shipgate::managed
