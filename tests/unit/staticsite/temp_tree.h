// TempTree: a per-test temporary directory with helpers to write files, make directories and
// symlinks, and set modification times. Removed (recursively) on destruction.
#pragma once

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "shipgate/staticsite/static_site.h"

namespace shipgate::staticsite::testing {

class TempTree {
 public:
  TempTree() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sg-static-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& path() const { return path_; }
  std::string at(const std::string& rel) const { return path_ + "/" + rel; }

  void write(const std::string& rel, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(at(rel)).parent_path());
    std::ofstream out(at(rel), std::ios::binary | std::ios::trunc);
    out << content;
  }
  void mkdir(const std::string& rel) const { std::filesystem::create_directories(at(rel)); }
  void symlink(const std::string& target, const std::string& rel) const {
    std::filesystem::create_directories(std::filesystem::path(at(rel)).parent_path());
    std::filesystem::create_symlink(target, at(rel));
  }
  void setMtime(const std::string& rel, int64_t unix_seconds) const {
    struct timeval times[2];
    times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(unix_seconds);
    times[0].tv_usec = times[1].tv_usec = 0;
    ::utimes(at(rel).c_str(), times);
  }

 private:
  std::string path_;
};

// The bytes a StaticResponse would put on the wire as its body.
inline std::string bodyOf(const StaticResponse& r) {
  if (!r.file) return r.body;
  std::string out(r.length, '\0');
  size_t done = 0;
  while (done < r.length) {
    ssize_t n = ::pread(r.file->fd, out.data() + done, r.length - done,
                        r.offset + static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

// The value of a response header ("" when absent); names compare case-sensitively as emitted.
inline std::string headerOf(const StaticResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

inline bool hasHeader(const StaticResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return true;
  }
  return false;
}

}  // namespace shipgate::staticsite::testing
