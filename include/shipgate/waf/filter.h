// Filter: one compiled rule expression, an immutable tree of evaluation nodes (a "closure tree").
// compileExpression() parses, type-checks, resolves named lists, pre-builds regexes (RE2),
// substring searchers, multi-pattern matchers (Aho-Corasick) and sets, and wraps string fields in
// the requested normalisers. A Filter is immutable and may be shared by threads, each passing its
// own EvalContext.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/waf/ast.h"
#include "shipgate/waf/eval_context.h"
#include "shipgate/waf/parser.h"
#include "shipgate/waf/request.h"
#include "shipgate/waf/scheme.h"

namespace shipgate::waf {

// Opt-in normalisers for string fields (only fields the scheme marks normalizable; raw.* never).
// Whatever order they are listed in, they run as: url_decode (recursive, '+' = space),
// strip_comments (SQL /*...*/ becomes a space), compress_whitespace (runs of whitespace become one
// space), lower (ASCII). Literals are not rewritten: with `lower`, write lower-case patterns (a
// literal with upper-case letters draws a warning).
enum class Normalizer : uint8_t {
  kUrlDecode = 1,
  kStripComments = 2,
  kCompressWhitespace = 4,
  kLower = 8
};
// "url_decode", "lower", "compress_whitespace", "strip_comments".
std::optional<Normalizer> parseNormalizer(std::string_view name);
std::string_view normalizerName(Normalizer n);
uint32_t normalizerMask(const std::vector<Normalizer>& list);
// Applies the normalisers in `mask` to `in`. Returns `in` itself when nothing changes, else a view
// of `scratch`.
std::string_view normalizeText(std::string_view in, uint32_t mask, std::string& scratch);

// A named list for `in $name`: its element type and items (as literals).
struct NamedList {
  Type type = Type::bytes();  // Bytes, Int or Ip
  std::vector<Literal> items;
};
using ListRegistry = std::map<std::string, NamedList, std::less<>>;

// Builds a list from config text: Bytes items are taken verbatim; Int items are integers or
// ranges ("8000..8009"); Ip items are addresses, CIDRs or ranges. `kind` is kBytes, kInt or kIp.
Result<NamedList> makeNamedList(Kind kind, const std::vector<std::string>& items);

struct CompileOptions {
  ParserSettings settings;
  std::vector<Normalizer> normalize;
  const ListRegistry* lists = nullptr;  // may be null: then any `in $name` is an error
};

// Text of a value for logs: Bytes quoted (non-printable bytes as \xHH) and cut to `max_bytes`
// with "..."; arrays "[...]", maps "{k: v, ...}"; missing "<missing>".
std::string describeValue(const Value& v, size_t max_bytes = 64);

class EvalNode;

class Filter {
 public:
  explicit Filter(std::unique_ptr<EvalNode> root);
  ~Filter();
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  // Evaluates against the request bound to `ctx` (ctx.reset(request) first). Never throws.
  bool matches(EvalContext& ctx) const;
  // Convenience: binds `request` to a fresh context.
  bool matches(const Request& request) const;

 private:
  std::unique_ptr<EvalNode> root_;
};

struct CompileOutput {
  std::unique_ptr<Filter> filter;  // null on error
  std::unique_ptr<Node> ast;       // the parsed tree (also on compile errors after parsing)
  std::optional<Diagnostic> error;
  std::vector<Diagnostic> warnings;
  bool ok() const { return filter != nullptr; }
};

CompileOutput compileExpression(std::string_view text, const Scheme& scheme,
                                const CompileOptions& options = {});

}  // namespace shipgate::waf
