// StaticReleases (see static_releases.h): folder copy and .tar.gz unpacking into a private
// temporary directory, every entry checked (tree_writer below), then one rename into place.
#include "shipgate/runtime/static_releases.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "shipgate/common/log.h"
#include "shipgate/config/yaml.h"

namespace shipgate::runtime {

namespace fs = std::filesystem;

namespace {

constexpr const char* kImportPrefix = ".import-";
constexpr const char* kRemovePrefix = ".remove-";

bool validVersion(const std::string& v) {
  return !v.empty() && v[0] != '.' && config::validName(v) && v.size() <= 128;
}

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(),
                                                suffix) == 0;
}

std::string quoteName(std::string_view s) {
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
    return Status::ok();
  }

  Status countEntry(std::string_view raw) {
    if (++entries_ > limits_.max_entries) {
      return Status::invalidArgument(label_ + ": more than " +
                                     std::to_string(limits_.max_entries) +
                                     " entries (limit static.max_entries), at " + quoteName(raw));
    }
    return Status::ok();
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
    return Status::ok();
  }

  Status addDir(std::string_view raw, const std::string& rel) {
    if (rel.empty()) return Status::ok();
    SG_RETURN_IF_ERROR(parents(raw, rel));
    std::string p = dest_ + "/" + rel;
    if (::mkdir(p.c_str(), 0755) == 0) return Status::ok();
    struct stat st {};
    if (errno == EEXIST && ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return Status::ok();
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
    return Status::ok();
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
    return Status::ok();
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
    return Status::ok();
  }

  // After the tree is complete: every symbolic link, resolved for real, stays inside; files made
  // read-only.
  Status finish() {
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
    return Status::ok();
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
    return Status::ok();
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

Status writeAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::fromErrno("write", errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::ok();
}

Status fillFromFolder(const std::string& source, const std::string& dest,
                      const StaticLimits& limits, StaticRelease& counts) {
  std::error_code ec;
  if (!fs::is_directory(source, ec)) {
    return Status::notFound("folder " + source + " does not exist or is not a directory");
  }
  TreeWriter tree(dest, limits, source);
  fs::path src = fs::path(source).lexically_normal();
  if (!src.has_filename()) src = src.parent_path();  // "site/" -> "site"
  fs::recursive_directory_iterator it(src, fs::directory_options::none, ec);
  if (ec) return Status::ioError("cannot read " + source + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::ioError("cannot read " + source + ": " + ec.message());
    const fs::directory_entry& e = *it;
    // Lexically: fs::relative would resolve a symbolic link to its target's path.
    std::string raw = e.path().lexically_relative(src).string();
    std::string rel;
    SG_RETURN_IF_ERROR(tree.normalize(raw, rel));
    SG_RETURN_IF_ERROR(tree.countEntry(raw));
    fs::file_status st = e.symlink_status(ec);
    if (ec) return Status::ioError("cannot read " + e.path().string() + ": " + ec.message());
    if (fs::is_symlink(st)) {
      std::string target = fs::read_symlink(e.path(), ec).string();
      if (ec) return Status::ioError("cannot read link " + e.path().string() + ": " + ec.message());
      SG_RETURN_IF_ERROR(tree.addSymlink(raw, rel, target));
    } else if (fs::is_directory(st)) {
      SG_RETURN_IF_ERROR(tree.addDir(raw, rel));
    } else if (fs::is_regular_file(st)) {
      int in = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (in < 0) return Status::fromErrno("cannot read " + e.path().string(), errno);
      struct stat ist {};
      ::fstat(in, &ist);
      int out = -1;
      Status s = tree.countBytes(static_cast<uint64_t>(ist.st_size), raw);
      if (s.isOk()) s = tree.createFile(raw, rel, (ist.st_mode & 0111) != 0, out);
      char buf[65536];
      while (s.isOk()) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          s = Status::fromErrno("cannot read " + e.path().string(), errno);
          break;
        }
        if (n == 0) break;
        s = writeAll(out, buf, static_cast<size_t>(n));
      }
      ::close(in);
      if (out >= 0) ::close(out);
      SG_RETURN_IF_ERROR(s);
    } else {
      return tree.refuse(raw, "a device file, FIFO or socket (only files, directories and "
                              "links are allowed)");
    }
  }
  SG_RETURN_IF_ERROR(tree.finish());
  counts.bytes = tree.bytes();
  counts.entries = tree.entries();
  return Status::ok();
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

Status fillFromArchive(const std::string& source, const std::string& dest,
                       const StaticLimits& limits, StaticRelease& counts) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), source.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return Status::invalidArgument(source + ": cannot open as .tar.gz: " +
                                   archive_error_string(a.get()));
  }
  TreeWriter tree(dest, limits, source);
  archive_entry* entry = nullptr;
  while (true) {
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      const char* why = archive_error_string(a.get());
      return Status::invalidArgument(source + ": not a valid .tar.gz after " +
                                     std::to_string(tree.entries()) + " entries: " +
                                     (why != nullptr ? why : "unknown error"));
    }
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr) name = archive_entry_pathname_utf8(entry);
    if (name == nullptr) {
      return Status::invalidArgument(source + ": an entry has no readable path name");
    }
    std::string raw(name);
    std::string rel;
    SG_RETURN_IF_ERROR(tree.normalize(raw, rel));
    SG_RETURN_IF_ERROR(tree.countEntry(raw));
    if (const char* hl = archive_entry_hardlink(entry)) {
      SG_RETURN_IF_ERROR(tree.addHardlink(raw, rel, hl));
      continue;
    }
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR:
        SG_RETURN_IF_ERROR(tree.addDir(raw, rel));
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        SG_RETURN_IF_ERROR(tree.addSymlink(raw, rel, target != nullptr ? target : ""));
        break;
      }
      case AE_IFREG: {
        if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > 0) {
          // Refuse early on the declared size; the actual bytes are counted while writing.
          uint64_t declared = static_cast<uint64_t>(archive_entry_size(entry));
          if (declared > limits.max_bytes || tree.bytes() > limits.max_bytes - declared) {
            return tree.countBytes(declared, raw);
          }
        }
        int fd = -1;
        SG_RETURN_IF_ERROR(
            tree.createFile(raw, rel, (archive_entry_perm(entry) & 0111) != 0, fd));
        Status s;
        while (s.isOk()) {
          const void* block = nullptr;
          size_t size = 0;
          la_int64_t offset = 0;
          int rr = archive_read_data_block(a.get(), &block, &size, &offset);
          if (rr == ARCHIVE_EOF) break;
          if (rr != ARCHIVE_OK && rr != ARCHIVE_WARN) {
            const char* why = archive_error_string(a.get());
            s = Status::invalidArgument(source + ": cannot read entry " + quoteName(raw) + ": " +
                                        (why != nullptr ? why : "unknown error"));
            break;
          }
          s = tree.countBytes(size, raw);
          if (!s.isOk()) break;
          // Sparse files: holes are written as seeks.
          if (::lseek(fd, offset, SEEK_SET) < 0) {
            s = Status::fromErrno("seek", errno);
            break;
          }
          s = writeAll(fd, static_cast<const char*>(block), size);
        }
        ::close(fd);
        SG_RETURN_IF_ERROR(s);
        break;
      }
      default:
        return tree.refuse(raw, "a device file, FIFO or socket (only files, directories and "
                                "links are allowed)");
    }
  }
  SG_RETURN_IF_ERROR(tree.finish());
  counts.bytes = tree.bytes();
  counts.entries = tree.entries();
  return Status::ok();
}

int64_t mtimeMillis(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

}  // namespace

StaticReleases::StaticReleases(std::string root, Clock* clock)
    : root_(std::move(root)), clock_(clock != nullptr ? *clock : RealClock::instance()) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  // Leftovers of imports or removals a crash interrupted.
  for (const auto& app : fs::directory_iterator(root_, ec)) {
    if (!app.is_directory(ec)) continue;
    for (const auto& e : fs::directory_iterator(app.path(), ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind(kImportPrefix, 0) == 0 || name.rfind(kRemovePrefix, 0) == 0) {
        fs::remove_all(e.path(), ec);
      }
    }
  }
}

Result<StaticRelease> StaticReleases::import(const std::string& app, const std::string& version,
                                             const std::string& artifact,
                                             const StaticLimits& limits) {
  std::error_code ec;
  if (fs::is_directory(artifact, ec)) return importFolder(app, version, artifact, limits);
  if (endsWith(artifact, ".tar.gz") || endsWith(artifact, ".tgz") || endsWith(artifact, ".tar")) {
    return importArchive(app, version, artifact, limits);
  }
  if (!fs::exists(artifact, ec)) return Status::notFound("artifact " + artifact + " does not exist");
  return Status::invalidArgument("artifact " + artifact +
                                 ": expected a folder or a .tar.gz / .tgz / .tar archive");
}

Result<StaticRelease> StaticReleases::importFolder(const std::string& app,
                                                   const std::string& version,
                                                   const std::string& source_dir,
                                                   const StaticLimits& limits) {
  return importWith(app, version, "folder", &fillFromFolder, source_dir, limits);
}

Result<StaticRelease> StaticReleases::importArchive(const std::string& app,
                                                    const std::string& version,
                                                    const std::string& archive_path,
                                                    const StaticLimits& limits) {
  std::error_code ec;
  if (!fs::is_regular_file(archive_path, ec)) {
    return Status::notFound("archive " + archive_path + " does not exist or is not a file");
  }
  return importWith(app, version, "archive", &fillFromArchive, archive_path, limits);
}

Result<StaticRelease> StaticReleases::importWith(
    const std::string& app, const std::string& version, const std::string& what,
    Status (*fill)(const std::string&, const std::string&, const StaticLimits&, StaticRelease&),
    const std::string& source, const StaticLimits& limits) {
  if (!config::validName(app) || app[0] == '.') {
    return Status::invalidArgument(quoteName(app) + " is not a valid app name");
  }
  if (!validVersion(version)) {
    return Status::invalidArgument(quoteName(version) +
                                   " is not a valid version (letters, digits, - _ ., not "
                                   "starting with .)");
  }
  MutexLock lock(mu_);
  std::string app_dir = root_ + "/" + app;
  std::string final_dir = app_dir + "/" + version;
  std::error_code ec;
  fs::create_directories(app_dir, ec);
  if (ec) return Status::ioError("cannot create " + app_dir + ": " + ec.message());
  struct stat st {};
  if (::lstat(final_dir.c_str(), &st) == 0) {
    return Status::alreadyExists("release " + version + " of " + app + " already exists (" +
                                 final_dir + "); a release never changes: use a new version");
  }
  std::string tmpl = app_dir + "/" + kImportPrefix + version + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return Status::fromErrno("cannot create a temporary directory in " + app_dir, errno);
  }
  std::string tmp(buf.data());
  StaticRelease rel;
  Status s = fill(source, tmp, limits, rel);
  if (s.isOk() && ::chmod(tmp.c_str(), 0755) != 0) s = Status::fromErrno("chmod " + tmp, errno);
  int64_t now_ms = clock_.wallMillis();
  if (s.isOk()) {
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = now_ms / 1000;
    times[0].tv_nsec = times[1].tv_nsec = (now_ms % 1000) * 1'000'000;
    if (::utimensat(AT_FDCWD, tmp.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      s = Status::fromErrno("cannot set the import time of " + tmp, errno);
    }
  }
  if (s.isOk() && ::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    s = errno == EEXIST || errno == ENOTEMPTY
            ? Status::alreadyExists("release " + version + " of " + app + " already exists")
            : Status::fromErrno("cannot move the release into " + final_dir, errno);
  }
  if (!s.isOk()) {
    fs::remove_all(tmp, ec);
    return s;
  }
  int dfd = ::open(app_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  rel.app = app;
  rel.version = version;
  rel.path = fs::absolute(final_dir).lexically_normal().string();
  rel.imported_ms = now_ms;
  log::info("runtime: imported " + what + " " + source + " as release " + version + " of " + app +
            " (" + std::to_string(rel.entries) + " entries, " + std::to_string(rel.bytes) +
            " bytes)");
  return rel;
}

std::vector<StaticRelease> StaticReleases::list(const std::string& app) const {
  std::vector<StaticRelease> out;
  if (!config::validName(app) || app[0] == '.') return out;
  MutexLock lock(mu_);
  std::error_code ec;
  std::string app_dir = root_ + "/" + app;
  for (const auto& e : fs::directory_iterator(app_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    StaticRelease r;
    r.app = app;
    r.version = name;
    r.path = fs::absolute(e.path()).lexically_normal().string();
    r.imported_ms = mtimeMillis(st);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const StaticRelease& a, const StaticRelease& b) {
    return a.imported_ms != b.imported_ms ? a.imported_ms < b.imported_ms : a.version < b.version;
  });
  return out;
}

Result<std::string> StaticReleases::path(const std::string& app,
                                         const std::string& version) const {
  if (!config::validName(app) || app[0] == '.' || !validVersion(version)) {
    return Status::notFound("no release " + quoteName(version) + " of " + quoteName(app));
  }
  std::string p = root_ + "/" + app + "/" + version;
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::notFound("no release " + version + " of " + app + " in " + root_);
  }
  return fs::absolute(p).lexically_normal().string();
}

Result<std::vector<std::string>> StaticReleases::prune(
    const std::string& app, size_t keep_releases,
    const std::set<std::string>& protected_versions) {
  std::vector<StaticRelease> all = list(app);
  std::vector<std::string> removed;
  if (all.size() <= keep_releases) return removed;
  MutexLock lock(mu_);
  size_t removable = all.size() - keep_releases;  // the oldest `removable` are candidates
  std::error_code ec;
  for (size_t i = 0; i < removable; ++i) {
    const StaticRelease& r = all[i];
    if (protected_versions.count(r.version) != 0) continue;
    std::string aside = root_ + "/" + app + "/" + kRemovePrefix + r.version;
    if (::rename(r.path.c_str(), aside.c_str()) != 0) {
      return Status::fromErrno("cannot remove release " + r.version + " of " + app, errno);
    }
    // Read-only files are removable (the directory is writable); make dirs writable just in case.
    fs::remove_all(aside, ec);
    if (ec) {
      log::warn("runtime: could not delete " + aside + ": " + ec.message() +
                " (removed at the next start)");
    }
    removed.push_back(r.version);
  }
  return removed;
}

}  // namespace shipgate::runtime
