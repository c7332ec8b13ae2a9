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
#include "tree_writer.h"

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
  return Status::success();
}

// libarchive's message for the last error; it may have none (null).
std::string archiveError(archive* a) {
  const char* why = archive_error_string(a);
  return why != nullptr ? why : "unknown error (libarchive gave no message)";
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
    return Status::invalidArgument(source + ": cannot open as .tar.gz: " + archiveError(a.get()));
  }
  TreeWriter tree(dest, limits, source);
  archive_entry* entry = nullptr;
  while (true) {
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return Status::invalidArgument(source + ": not a valid .tar.gz after " +
                                     std::to_string(tree.entries()) +
                                     " entries: " + archiveError(a.get()));
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
            s = Status::invalidArgument(source + ": cannot read entry " + quoteName(raw) + ": " +
                                        archiveError(a.get()));
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
  return Status::success();
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
