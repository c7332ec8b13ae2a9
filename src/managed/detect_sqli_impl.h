// Private to detect_sqli.cc and its tests: the SQL tokenizer, the folding pass and the
// fingerprint, exposed so the unit tests can check the fingerprints of known inputs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shipgate::managed::sqli {

// One SQL token; `text` views the input passed to tokenize() (must outlive the token). `type` is
// one of the fingerprint characters documented at the top of detect_sqli.cc ('w' for a word not
// classified yet, 'N' for a negation, 'O' for order/group before folding).
struct Token {
  char type = 0;
  std::string_view text;
  std::string_view word;  // a word's entry in our table, lowercase (empty when not a table word)
  bool strong = false;    // a function name seldom seen outside SQL (sleep, benchmark ...)
  bool known = true;      // a word of our table (false: a bareword glued to '(' taken as a call)
};

// Tokenizes `input` as SQL, starting inside a string opened by `quote` ('\'' or '"') or in plain
// code (`quote` == 0). Appends at most a fixed number of tokens; linear in the input.
void tokenize(std::string_view input, char quote, std::vector<Token>& out);

// Classifies words and folds the stream (see detect_sqli.cc).
std::vector<Token> fold(const std::vector<Token>& raw);

// The types of the first `max_tokens` folded tokens, one character each.
std::string fingerprintOf(const std::vector<Token>& folded, size_t max_tokens = 8);

// One context of detectSqli().
bool detectInContext(std::string_view input, char quote, std::string* fingerprint);

}  // namespace shipgate::managed::sqli
