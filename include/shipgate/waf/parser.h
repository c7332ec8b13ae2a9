// Parsing, printing and formatting of rule expressions.
//
// parseExpression() type-checks while it parses (against a Scheme) and returns a typed AST or one
// error Diagnostic with line, column and what was expected. It also returns warnings for the
// tolerated non-Cloudflare forms (`X contains {"a" "b"}`, `any(<Bool>)`), each with the closest
// valid Cloudflare rewrite. printExpression() renders the canonical form: parsing it again gives
// an equal tree. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/waf/ast.h"
#include "shipgate/waf/scheme.h"

namespace shipgate::waf {

// Limits, all settings. Defaults follow Cloudflare where it publishes one.
struct ParserSettings {
  size_t max_expression_length = 4096;        // bytes
  int max_nesting_depth = 64;                 // parentheses, not, function calls, indexes
  size_t max_regex_length = 1024;             // bytes of one regex literal
  int64_t max_regex_program_bytes = 1 << 20;  // RE2 max_mem per compiled regex
  size_t max_set_size = 4096;                 // elements of one {...} set
};

struct Diagnostic {
  uint32_t offset = 0;  // byte offset of the spot
  uint32_t length = 1;  // bytes underlined
  uint32_t line = 1;    // 1-based
  uint32_t column = 1;  // 1-based, in bytes
  std::string message;  // "expected one of "eq", ... after field http.host"
  std::string rewrite;  // warnings: the closest valid Cloudflare expression, else empty
  // "1:11: error: <message>\n<source line>\n          ^~~" (caret under the spot).
  std::string render(std::string_view source, std::string_view severity) const;
};

struct ParseOutput {
  std::unique_ptr<Node> root;  // null on error
  std::optional<Diagnostic> error;
  std::vector<Diagnostic> warnings;
  bool ok() const { return root != nullptr; }
};

ParseOutput parseExpression(std::string_view text, const Scheme& scheme,
                            const ParserSettings& settings = {});

// Canonical text: English operators (eq, and, ...), single spaces, parentheses as written,
// strings quoted (raw r#"..."# when they contain '\' or '"'), sets space-separated.
std::string printExpression(const Node& root);

// Valid Cloudflare text for the tree: like printExpression, but the tolerated extensions are
// rewritten (`X contains {"a" "b"}` becomes `(X contains "a" or X contains "b")`, `any(<Bool>)`
// becomes the Bool).
std::string printCloudflare(const Node& root);

// `shipgate waf fmt`: canonical text of `text` (HTTP scheme), or invalidArgument with the
// rendered error.
Result<std::string> formatExpression(std::string_view text, const ParserSettings& settings = {});

// Builds a Diagnostic for `offset` in `text` (computes line and column).
Diagnostic makeDiagnostic(std::string_view text, uint32_t offset, uint32_t length,
                          std::string message);

}  // namespace shipgate::waf
