// TreeWriter: builds a static release's tree in a directory, checking every entry on the way in
// (private to runtime/; used by StaticReleases for folders and archives alike). Paths are given
// as the source names them ("./a/b", "a//b"): normalize() refuses absolute paths and `..`;
// links are checked to stay inside; parents are created as real directories and never followed
// through a link; files are created exclusively (a duplicate entry is refused); the byte and entry
// limits are counted as entries arrive, and every refusal names the entry and the limit.
// Not thread-safe: one import owns one TreeWriter.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/runtime/static_releases.h"

namespace shipgate::runtime {

inline std::string quoteName(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "\"";
}

// Builds a release tree under `dest_`, checking every entry. Paths given to it are as the source
// names them ("./a/b", "a//b"); it normalizes and refuses absolute paths and `..`.
class TreeWriter {
 public:
  TreeWriter(std::string dest, const StaticLimits& limits, std::string label)
      : dest_(std::move(dest)), limits_(limits), label_(std::move(label)) {}

  uint64_t bytes() const { return bytes_; }
  uint64_t entries() const { return entries_; }

  // Normalized relative path of `raw`; empty for the tree's root itself ("." or "./").
  Status normalize(std::string_view raw, std::string& rel) const {
    rel.clear();
    if (raw.empty()) return refuse(raw, "an empty path");
    if (raw[0] == '/') return refuse(raw, "an absolute path");
    size_t i = 0;
    while (i <= raw.size()) {
      size_t slash = raw.find('/', i);
      std::string_view part =
          raw.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
      if (part == "..") return refuse(raw, "a \"..\" component (it would leave the release tree)");
      if (!part.empty() && part != ".") {
        if (!rel.empty()) rel += '/';
        rel.append(part);
      }
      if (slash == std::string_view::npos) break;
      i = slash + 1;
    }
    return Status::success();
  }

  Status countEntry(std::string_view raw) {
    if (++entries_ > limits_.max_entries) {
      return Status::invalidArgument(label_ + ": more than " +
                                     std::to_string(limits_.max_entries) +
                                     " entries (limit static.max_entries), at " + quoteName(raw));
    }
    return Status::success();
  }

  // Bytes about to be written (declared sizes checked before, actual sizes while writing).
  Status countBytes(uint64_t n, std::string_view raw) {
    if (n > limits_.max_bytes || bytes_ > limits_.max_bytes - n) {
      return Status::invalidArgument(label_ + ": unpacks to more than " +
                                     std::to_string(limits_.max_bytes) +
                                     " bytes (limit static.max_archive_bytes), at " +
                                     quoteName(raw));
    }
    bytes_ += n;
    return Status::success();
  }

  Status addDir(std::string_view raw, const std::string& rel) {
    if (rel.empty()) return Status::success();
    SG_RETURN_IF_ERROR(parents(raw, rel));
    std::string p = dest_ + "/" + rel;
    if (::mkdir(p.c_str(), 0755) == 0) return Status::success();
    struct stat st {};
    if (errno == EEXIST && ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return Status::success();
    }
    return refuse(raw, "a directory where another entry already is");
  }

  // Opens a new regular file for writing; `fd` is closed by the caller.
  Status createFile(std::string_view raw, const std::string& rel, bool executable, int& fd) {
    if (rel.empty()) return refuse(raw, "a file named like the release's root");
    SG_RETURN_IF_ERROR(parents(raw, rel));
    std::string p = dest_ + "/" + rel;
    fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EEXIST) return refuse(raw, "a duplicate entry");
      return Status::fromErrno(label_ + ": cannot create " + p, errno);
    }
    files_.push_back({rel, executable});
    return Status::success();
  }

  Status addSymlink(std::string_view raw, const std::string& rel, std::string_view target) {
    if (rel.empty()) return refuse(raw, "a link named like the release's root");
    if (target.empty()) return refuse(raw, "a symbolic link with an empty target");
    if (target[0] == '/') {
      return refuse(raw, "a symbolic link to an absolute path " + quoteName(target) +
                             " (links must stay inside the release)");
    }
    // Walk the target from the link's directory; it may never climb above the root.
    std::vector<std::string_view> at;
    std::string_view dir(rel);
    size_t last = dir.rfind('/');
    dir = last == std::string_view::npos ? std::string_view() : dir.substr(0, last);
    for (size_t i = 0; !dir.empty() && i <= dir.size();) {
      size_t s = dir.find('/', i);
      at.push_back(dir.substr(i, s == std::string_view::npos ? std::string_view::npos : s - i));
      if (s == std::string_view::npos) break;
      i = s + 1;
    }
    for (size_t i = 0; i <= target.size();) {
      size_t s = target.find('/', i);
      std::string_view part =
          target.substr(i, s == std::string_view::npos ? std::string_view::npos : s - i);
      if (part == "..") {
        if (at.empty()) {
          return refuse(raw, "a symbolic link to " + quoteName(target) +
                                 ", which leaves the release tree");
        }
        at.pop_back();
      } else if (!part.empty() && part != ".") {
        at.push_back(part);
      }
      if (s == std::string_view::npos) break;
      i = s + 1;
    }
    SG_RETURN_IF_ERROR(parents(raw, rel));
    std::string p = dest_ + "/" + rel;
    if (::symlink(std::string(target).c_str(), p.c_str()) != 0) {
      if (errno == EEXIST) return refuse(raw, "a duplicate entry");
      return Status::fromErrno(label_ + ": cannot create link " + p, errno);
    }
    links_.push_back(rel);
    return Status::success();
  }

  Status addHardlink(std::string_view raw, const std::string& rel, std::string_view target_raw) {
    std::string target;
    Status st = normalize(target_raw, target);
    if (!st.isOk()) {
      return refuse(raw, "a hard link to " + quoteName(target_raw) + ", outside the release tree");
    }
    if (rel.empty() || target.empty()) return refuse(raw, "a hard link to the release's root");
    std::string tp = dest_ + "/" + target;
    struct stat st_target {};
    if (::lstat(tp.c_str(), &st_target) != 0 || !S_ISREG(st_target.st_mode)) {
      return refuse(raw, "a hard link to " + quoteName(target_raw) +
                             ", which is not a file unpacked before it");
    }
    SG_RETURN_IF_ERROR(parents(raw, rel));
    std::string p = dest_ + "/" + rel;
    if (::link(tp.c_str(), p.c_str()) != 0) {
      if (errno == EEXIST) return refuse(raw, "a duplicate entry");
      return Status::fromErrno(label_ + ": cannot create hard link " + p, errno);
    }
    return Status::success();
  }

  // After the tree is complete: every symbolic link, resolved for real, stays inside; files made
  // read-only.
  Status finish() {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path root = fs::canonical(dest_, ec);
    if (ec) return Status::ioError(label_ + ": " + ec.message());
    std::string prefix = root.string() + "/";
    for (const std::string& rel : links_) {
      fs::path real = fs::weakly_canonical(fs::path(dest_) / rel, ec);
      std::string r = real.string();
      if (ec || (r != root.string() && r.compare(0, prefix.size(), prefix) != 0)) {
        return refuse(rel, "a symbolic link that resolves outside the release tree");
      }
    }
    for (const auto& f : files_) {
      ::chmod((dest_ + "/" + f.rel).c_str(), f.executable ? 0555 : 0444);
    }
    return Status::success();
  }

  Status refuse(std::string_view raw, const std::string& why) const {
    return Status::invalidArgument(label_ + ": entry " + quoteName(raw) + " is " + why);
  }

 private:
  // Creates the missing parent directories of `rel`; refuses a parent that is a link or a file.
  Status parents(std::string_view raw, const std::string& rel) {
    size_t pos = 0;
    while ((pos = rel.find('/', pos)) != std::string::npos) {
      std::string p = dest_ + "/" + rel.substr(0, pos);
      struct stat st {};
      if (::lstat(p.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode)) return refuse(raw, "inside a symbolic link of the release");
        if (!S_ISDIR(st.st_mode)) return refuse(raw, "inside a file of the release");
      } else if (::mkdir(p.c_str(), 0755) != 0) {
        return Status::fromErrno(label_ + ": cannot create " + p, errno);
      }
      ++pos;
    }
    return Status::success();
  }

  struct File {
    std::string rel;
    bool executable;
  };
  const std::string dest_;
  const StaticLimits limits_;
  const std::string label_;
  uint64_t bytes_ = 0;
  uint64_t entries_ = 0;
  std::vector<std::string> links_;
  std::vector<File> files_;
};

inline Status writeAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::fromErrno("write", errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::success();
}

}  // namespace shipgate::runtime
