// Private: character-level scanning of the rules language's tokens. The parser drives it with the
// type it expects next (wirefilter-style type-directed lexing), so "10.0.0.1" is an IP only where
// an IP may follow. Every function starts at `pos`, and on success advances it past the token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shipgate/waf/ast.h"

namespace shipgate::waf {

struct LexError {
  uint32_t offset = 0;
  uint32_t length = 1;
  std::string message;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  size_t pos() const { return pos_; }
  void setPos(size_t p) { pos_ = p; }
  std::string_view text() const { return text_; }
  void skipSpace();
  bool atEnd() {
    skipSpace();
    return pos_ >= text_.size();
  }
  // Next non-space char without consuming it ('\0' at the end).
  char peekChar();
  // Consumes `symbol` when the input continues with it (after spaces).
  bool consumeSymbol(std::string_view symbol);
  // The identifier ([A-Za-z_][A-Za-z0-9_.]*) at the cursor, not consumed; empty when none.
  std::string_view peekIdent();
  // Consumes the word `w` when the next identifier is exactly `w`.
  bool consumeWord(std::string_view w);
  // True when the next token starts a string literal ("..." or r"..." or r#"..."#).
  bool atString();

  // Literals. On failure they return nullopt and set error().
  std::optional<std::string> readString();
  std::optional<int64_t> readInt();
  std::optional<Literal> readIntOrRange();
  std::optional<Literal> readIpLiteral();  // IP, CIDR or IP range
  const LexError& error() const { return error_; }

 private:
  std::nullopt_t fail(size_t offset, size_t length, std::string message);
  std::string_view text_;
  size_t pos_ = 0;
  LexError error_;
};

}  // namespace shipgate::waf
