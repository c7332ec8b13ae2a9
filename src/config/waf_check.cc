// checkSecurityRules: compiles every security rule with the real rules engine, so `shipgate
// check` reports parse and type errors where they are in the file: the line:column of the spot
// inside the expression scalar (mapped through YAML quoting, escapes and folding), followed by
// the engine's caret rendering. The engine's warnings (the seed's tolerated quirks) come with the
// canonical Cloudflare rewrite.
#include <string>
#include <string_view>
#include <vector>

#include "sections.h"
#include "shipgate/firewall/rule_specs.h"
#include "shipgate/waf/filter.h"
#include "shipgate/waf/parser.h"
#include "shipgate/waf/scheme.h"

namespace shipgate::config::internal {
namespace {

// Byte position of (line, column) in `text`, or npos.
size_t positionOf(std::string_view text, int line, int column) {
  if (line < 1 || column < 1) return std::string_view::npos;
  size_t pos = 0;
  for (int l = 1; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return pos;
    ++pos;
  }
  pos += static_cast<size_t>(column - 1);
  return pos <= text.size() ? pos : std::string_view::npos;
}

Location locationAt(std::string_view text, const std::string& file, size_t pos) {
  Location loc{file, 1, 1};
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.column = 1;
    } else {
      ++loc.column;
    }
  }
  return loc;
}

size_t skipIndent(std::string_view text, size_t pos) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  return pos;
}

}  // namespace

// Where byte `offset` of the scalar's value (as yaml-cpp decoded it) is in the file. Handles
// plain, single-quoted ('' escapes), double-quoted (backslash escapes) and block (| >) scalars,
// and line folding. Falls back to the scalar's start when the source is unknown.
Location locateInScalar(const Diags& d, const Location& start, size_t offset) {
  const std::string* src = d.source(start.file);
  if (src == nullptr) return start;
  std::string_view text = *src;
  size_t pos = positionOf(text, start.line, start.column);
  if (pos == std::string_view::npos || pos >= text.size()) return start;
  const char style = text[pos];
  size_t decoded = 0;
  if (style == '|' || style == '>') {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return start;
    ++pos;
    size_t content = skipIndent(text, pos);
    size_t indent = content - pos;
    pos = content;
    while (pos < text.size() && decoded < offset) {
      if (text[pos] == '\n') {
        size_t next = pos + 1;
        size_t skipped = 0;
        while (next < text.size() && text[next] == ' ' && skipped < indent) ++next, ++skipped;
        pos = next;
      } else {
        ++pos;
      }
      ++decoded;
    }
    return locationAt(text, start.file, pos);
  }
  const bool dq = style == '"';
  const bool sq = style == '\'';
  if (dq || sq) ++pos;
  while (pos < text.size() && decoded < offset) {
    char c = text[pos];
    if (dq && c == '\\' && pos + 1 < text.size()) {
      char e = text[pos + 1];
      size_t len = e == 'x' ? 4 : e == 'u' ? 6 : e == 'U' ? 10 : 2;
      if (e == '\n') {  // escaped line break: nothing decoded
        pos = skipIndent(text, pos + 2);
        continue;
      }
      pos += len;
      decoded += e == 'u' || e == 'U' ? 2 : 1;  // approximate: non-ASCII is rare here
      continue;
    }
    if (sq && c == '\'' && pos + 1 < text.size() && text[pos + 1] == '\'') {
      pos += 2;
      ++decoded;
      continue;
    }
    if (c == '\n') {  // folded into one space
      pos = skipIndent(text, pos + 1);
      ++decoded;
      continue;
    }
    ++pos;
    ++decoded;
  }
  return locationAt(text, start.file, pos);
}

namespace {

// "<message>\n    <source line>\n    ^~~" from the engine's rendering (its first line, which has
// the position inside the expression, is replaced by our file position).
std::string withCaret(const waf::Diagnostic& diag, std::string_view expression,
                      std::string_view severity) {
  std::string rendered = diag.render(expression, severity);
  size_t nl = rendered.find('\n');
  std::string out = diag.message;
  if (nl == std::string::npos) return out;
  std::string_view rest = std::string_view(rendered).substr(nl + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('\n', start);
    if (end == std::string_view::npos) end = rest.size();
    out += "\n    ";
    out.append(rest.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void checkExpression(const std::string& path, const std::string& expression, const Location& where,
                     const waf::Scheme& scheme, const waf::CompileOptions& options, Diags& d) {
  waf::CompileOutput out = waf::compileExpression(expression, scheme, options);
  for (const waf::Diagnostic& w : out.warnings) {
    std::string message = path + ": " + withCaret(w, expression, "warning");
    d.warning(locateInScalar(d, where, w.offset), std::move(message));
  }
  if (!out.ok() && out.error) {
    d.error(locateInScalar(d, where, out.error->offset),
            path + ": " + withCaret(*out.error, expression, "error"));
  }
}

}  // namespace

void checkSecurityRules(Config& c, Diags& d) {
  if (c.security_rules.empty()) return;
  const waf::Scheme scheme = waf::Scheme::http();
  const waf::ListRegistry lists = firewall::buildNamedLists(c.waf);
  const waf::CompileOptions base = firewall::compileOptions(c.waf, &lists);
  for (size_t i = 0; i < c.security_rules.size(); ++i) {
    const SecurityRule& rule = c.security_rules[i];
    std::string path = itemPath("security_rules", i);
    waf::CompileOptions options = base;
    if (rule.normalize) {
      auto n = firewall::parseNormalizers(*rule.normalize);
      if (n.isOk()) options.normalize = std::move(n.value());
    }
    if (!rule.expression.empty()) {
      checkExpression(path + ".expression", rule.expression, rule.expression_where, scheme, options,
                      d);
    }
    if (rule.ratelimit) {
      const WafRateLimit& rl = *rule.ratelimit;
      if (!rl.counting_expression.empty()) {
        checkExpression(path + ".ratelimit.counting_expression", rl.counting_expression,
                        rl.counting_expression_where, scheme, options, d);
      }
      for (const auto& ch : rl.characteristics) {
        auto parsed = firewall::parseCharacteristic(ch);
        if (!parsed.isOk()) {
          d.error(rule.where, path + ".ratelimit.characteristics: " + parsed.status().message());
        }
      }
    }
  }
}

}  // namespace shipgate::config::internal
