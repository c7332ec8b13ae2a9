// config::Diagnostics (see diagnostics.h): collecting, ordering, and mapping offsets inside
// scalars back to the file.
#include "shipgate/config/diagnostics.h"

#include <algorithm>
#include <string>
#include <utility>

namespace shipgate::config {
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

void Diagnostics::error(const Location& where, std::string message) {
  list_.push_back({Diagnostic::Severity::kError, where, std::move(message)});
  ++errors_;
}

void Diagnostics::warning(const Location& where, std::string message) {
  list_.push_back({Diagnostic::Severity::kWarning, where, std::move(message)});
}

void Diagnostics::noteFile(const std::string& file) {
  file_rank_.emplace(file, static_cast<int>(file_rank_.size()));
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = list_;
  auto rank = [&](const Diagnostic& d) {
    auto it = file_rank_.find(d.where.file);
    return it == file_rank_.end() ? static_cast<int>(file_rank_.size()) : it->second;
  };
  std::stable_sort(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    if (a.where.line != b.where.line) return a.where.line < b.where.line;
    return a.where.column < b.where.column;
  });
  // A file included twice (a diamond) reports its own syntax findings twice; keep one.
  auto same = [](const Diagnostic& a, const Diagnostic& b) {
    return a.severity == b.severity && a.where.file == b.where.file &&
           a.where.line == b.where.line && a.where.column == b.where.column &&
           a.message == b.message;
  };
  out.erase(std::unique(out.begin(), out.end(), same), out.end());
  return out;
}

void Diagnostics::noteSource(const std::string& file, std::string_view text) {
  sources_[file] = std::string(text);
}

const std::string* Diagnostics::source(const std::string& file) const {
  auto it = sources_.find(file);
  return it == sources_.end() ? nullptr : &it->second;
}

Location Diagnostics::locateInScalar(const Location& start, size_t offset) const {
  const std::string* src = source(start.file);
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

}  // namespace shipgate::config
