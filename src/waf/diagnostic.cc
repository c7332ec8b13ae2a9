// Diagnostics: line/column from an offset, and rendering with a caret under the spot.
#include <algorithm>

#include "shipgate/waf/parser.h"

namespace shipgate::waf {

Diagnostic makeDiagnostic(std::string_view text, uint32_t offset, uint32_t length,
                          std::string message) {
  Diagnostic d;
  d.offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text.size()));
  d.length = length == 0 ? 1 : length;
  d.message = std::move(message);
  for (uint32_t i = 0; i < d.offset; ++i) {
    if (text[i] == '\n') {
      ++d.line;
      d.column = 1;
    } else {
      ++d.column;
    }
  }
  return d;
}

std::string Diagnostic::render(std::string_view source, std::string_view severity) const {
  std::string out = std::to_string(line) + ":" + std::to_string(column) + ": " +
                    std::string(severity) + ": " + message + "\n";
  size_t line_start = offset;
  while (line_start > 0 && line_start <= source.size() && source[line_start - 1] != '\n') {
    --line_start;
  }
  size_t line_end = source.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = source.size();
  std::string_view src_line = source.substr(std::min(line_start, source.size()),
                                            line_end - std::min(line_start, source.size()));
  out.append(src_line);
  out.push_back('\n');
  size_t col = column > 0 ? column - 1 : 0;
  for (size_t i = 0; i < col; ++i)
    out.push_back(i < src_line.size() && src_line[i] == '\t' ? '\t' : ' ');
  out.push_back('^');
  size_t room = src_line.size() > col + 1 ? src_line.size() - col - 1 : 0;
  for (size_t i = 1; i < length && i - 1 < room; ++i) out.push_back('~');
  if (!rewrite.empty()) out += "\n  rewrite: " + rewrite;
  return out;
}

}  // namespace shipgate::waf
