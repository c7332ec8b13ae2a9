// File sizes for the performance budget (contract in shipgate/gates/bundle_size.h).
#include "shipgate/gates/bundle_size.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

namespace shipgate::gates {

bool parseCompression(std::string_view name, Compression& out) {
  if (name == "raw" || name == "none") out = Compression::kRaw;
  else if (name == "gzip") out = Compression::kGzip;
  else if (name == "brotli") out = Compression::kBrotli;
  else return false;
  return true;
}

const char* compressionName(Compression c) {
  return c == Compression::kRaw ? "raw" : c == Compression::kGzip ? "gzip" : "brotli";
}

namespace {

bool matchFrom(std::string_view g, std::string_view p, int& budget) {
  if (--budget < 0) return false;
  while (!g.empty()) {
    if (g.substr(0, 2) == "**") {
      std::string_view rest = g.substr(2);
      bool slash = !rest.empty() && rest[0] == '/';
      if (slash) rest.remove_prefix(1);
      // "**/" matches zero or more whole segments; a trailing "**" matches everything.
      if (rest.empty()) return true;
      for (size_t i = 0; i <= p.size(); ++i) {
        if (i == 0 || p[i - 1] == '/' || !slash) {
          if (matchFrom(rest, p.substr(i), budget)) return true;
        }
      }
      return false;
    }
    if (g[0] == '*') {
      std::string_view rest = g.substr(1);
      for (size_t i = 0; i <= p.size(); ++i) {
        if (matchFrom(rest, p.substr(i), budget)) return true;
        if (i < p.size() && p[i] == '/') break;
      }
      return false;
    }
    if (p.empty()) return false;
    if (g[0] == '?') {
      if (p[0] == '/') return false;
    } else if (g[0] != p[0]) {
      return false;
    }
    g.remove_prefix(1);
    p.remove_prefix(1);
  }
  return p.empty();
}

}  // namespace

bool globMatch(std::string_view glob, std::string_view path) {
  // The budget bounds the backtracking on pathological globs ("*a*a*a*...").
  int budget = 1 << 20;
  return matchFrom(glob, path, budget);
}

uint64_t gzipSize(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
  uint64_t total = 0;
  unsigned char out[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc;
  do {
    zs.next_out = out;
    zs.avail_out = sizeof out;
    rc = deflate(&zs, Z_FINISH);
    total += sizeof out - zs.avail_out;
  } while (rc == Z_OK || (rc == Z_BUF_ERROR && zs.avail_out == 0));
  deflateEnd(&zs);
  return total;
}

uint64_t brotliSize(std::string_view data) {
  size_t cap = BrotliEncoderMaxCompressedSize(data.size());
  if (cap == 0) cap = data.size() + 1024;
  std::string out(cap, '\0');
  size_t out_size = out.size();
  if (!BrotliEncoderCompress(BROTLI_MAX_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
                             data.size(), reinterpret_cast<const uint8_t*>(data.data()), &out_size,
                             reinterpret_cast<uint8_t*>(out.data())))
    return 0;
  return out_size;
}

Result<std::vector<FileSize>> measureFiles(const std::filesystem::path& root, std::string_view glob) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return Status::notFound(root.string() + ": not a directory");
  std::vector<FileSize> out;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Status::ioError(root.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::ioError(root.string() + ": " + ec.message());
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), root, ec).generic_string();
    if (ec || !globMatch(glob, rel)) continue;
    if (out.size() >= kMaxMeasuredFiles)
      return Status::invalidArgument(std::string(glob) + ": matches more than " +
                                     std::to_string(kMaxMeasuredFiles) + " files");
    uint64_t size = it->file_size(ec);
    if (ec) return Status::ioError(it->path().string() + ": " + ec.message());
    if (size > kMaxMeasuredFileBytes)
      return Status::invalidArgument(it->path().string() + ": " + std::to_string(size) +
                                     " bytes, more than the limit of " +
                                     std::to_string(kMaxMeasuredFileBytes));
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) return Status::fromErrno(it->path().string(), errno);
    std::string data(size, '\0');
    in.read(data.data(), static_cast<std::streamsize>(size));
    data.resize(static_cast<size_t>(in.gcount()));
    out.push_back({rel, data.size(), gzipSize(data), brotliSize(data)});
  }
  std::sort(out.begin(), out.end(), [](const FileSize& a, const FileSize& b) { return a.path < b.path; });
  return out;
}

}  // namespace shipgate::gates
