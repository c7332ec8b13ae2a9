// Sizes of a release's own files for the performance_budget gate.
//
// measureFiles walks `root` (a release directory), keeps the regular files whose path relative to
// root (with '/' separators) matches `glob`, and returns each one's raw, gzip and brotli sizes.
// Glob: `*` matches within one path segment, `?` one character other than '/', `**` any number of
// whole segments ("static/js/**/*.js", "**/main.*.js"); everything else matches itself. Symlinks
// are not followed. At most kMaxMeasuredFiles files of at most kMaxMeasuredFileBytes each.
// Compression as bundlesize measures: gzip with zlib level 9 (gzip-size), brotli quality 11
// (brotli-size). Any thread may call these; they read the file system.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::gates {

inline constexpr size_t kMaxMeasuredFiles = 10000;
inline constexpr uint64_t kMaxMeasuredFileBytes = 256ull << 20;

// Which size a budget compares; the default is gzip, as bundlesize's.
enum class Compression { kRaw, kGzip, kBrotli };
bool parseCompression(std::string_view name, Compression& out);  // "none"/"raw", "gzip", "brotli"
const char* compressionName(Compression c);                       // "raw", "gzip", "brotli"

struct FileSize {
  std::string path;  // relative to root, '/'-separated
  uint64_t raw = 0, gzip = 0, brotli = 0;
  uint64_t size(Compression c) const { return c == Compression::kRaw ? raw : c == Compression::kGzip ? gzip : brotli; }
};

bool globMatch(std::string_view glob, std::string_view path);

// Sorted by path. Errors: root missing or not a directory, a file too large, too many files.
// No match is not an error (the gate reports it).
Result<std::vector<FileSize>> measureFiles(const std::filesystem::path& root, std::string_view glob);

// The sizes of one buffer.
uint64_t gzipSize(std::string_view data);
uint64_t brotliSize(std::string_view data);

}  // namespace shipgate::gates
