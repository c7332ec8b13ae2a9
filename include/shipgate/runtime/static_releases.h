// StaticReleases: the releases of apps whose runtime kind is `static`. A release is an immutable
// directory <root>/<app>/<version>/, imported once from a folder (copied) or a .tar.gz / .tgz /
// .tar archive (unpacked with libarchive), then served as it is by the static site code; the
// release controller switches by pointing the site at another version's directory.
//
// Import is safe and atomic: the tree is built in a private temporary directory beside the
// releases (<root>/<app>/.import-<version>-XXXXXX) and renamed into place only when complete, so
// a failed import leaves nothing behind (temporary directories a crash left are removed when a
// StaticReleases is constructed). Refused, with the offending entry and the limit named:
// absolute paths, `..` components, symbolic links whose target is absolute or leaves the tree,
// hard links to anything outside the tree (or to a path not yet unpacked), device files, FIFOs
// and sockets, duplicate entries, and trees whose total file bytes exceed
// StaticLimits::max_bytes (static.max_archive_bytes) or whose entry count exceeds max_entries
// (static.max_entries). Relative symlinks that stay inside are preserved (also checked resolved
// for real once the tree is complete); parents are never written through a link. Files are made
// read-only (0444, or 0555 when executable), directories 0755; nothing setuid. Re-importing an existing version is refused (AlreadyExists): a release never changes.
//
// The import time (the Clock's wallMillis, stored as the release directory's mtime) orders the
// releases: list() returns them oldest first; prune() removes the oldest beyond keep_releases,
// never a protected one (the live and the previous release).
//
// Versions and app names: letters, digits, '-', '_', '.', not starting with '.'.
// Thread-safety: every method is thread-safe (one mutex serialises imports and prunes of this
// object); two objects on the same root must not import the same app at once.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"

namespace shipgate::runtime {

struct StaticLimits {
  uint64_t max_bytes = 512ull * 1024 * 1024;  // total bytes of regular files
  uint64_t max_entries = 100'000;             // files + directories + links
};

struct StaticRelease {
  std::string app;
  std::string version;
  std::string path;          // absolute: <root>/<app>/<version>
  int64_t imported_ms = 0;   // wall-clock milliseconds
  uint64_t bytes = 0;        // total bytes of regular files (filled by import only)
  uint64_t entries = 0;      // entries imported (filled by import only)
};

class StaticReleases {
 public:
  // `root` is created when missing. REQUIRES: clock (when given) outlives this.
  explicit StaticReleases(std::string root, Clock* clock = nullptr);

  const std::string& root() const { return root_; }

  // Imports `artifact`: a directory is copied (importFolder), a file ending in .tar.gz, .tgz or
  // .tar is unpacked (importArchive); anything else is InvalidArgument.
  Result<StaticRelease> import(const std::string& app, const std::string& version,
                               const std::string& artifact, const StaticLimits& limits);
  Result<StaticRelease> importFolder(const std::string& app, const std::string& version,
                                     const std::string& source_dir, const StaticLimits& limits);
  Result<StaticRelease> importArchive(const std::string& app, const std::string& version,
                                      const std::string& archive_path,
                                      const StaticLimits& limits);

  // The app's releases, oldest first (ties by version name).
  std::vector<StaticRelease> list(const std::string& app) const;
  // <root>/<app>/<version>; NotFound when that release does not exist.
  Result<std::string> path(const std::string& app, const std::string& version) const;
  // Keeps the newest `keep_releases` releases and every one named in `protected_versions` (the
  // live and the previous release, however old); removes the rest. A release is first renamed
  // aside, then deleted, so a crash never leaves a half-deleted release listed. Returns the
  // versions removed, oldest first.
  Result<std::vector<std::string>> prune(const std::string& app, size_t keep_releases,
                                         const std::set<std::string>& protected_versions);

 private:
  Result<StaticRelease> importWith(const std::string& app, const std::string& version,
                                   const std::string& what,
                                   Status (*fill)(const std::string& source,
                                                  const std::string& dest,
                                                  const StaticLimits& limits,
                                                  StaticRelease& counts),
                                   const std::string& source, const StaticLimits& limits);

  const std::string root_;
  Clock& clock_;
  mutable Mutex mu_;
};

}  // namespace shipgate::runtime
