// FileCache: resolves normalised relative paths below one root directory and caches the result
// (an open fd or the bytes of a small file, stat facts, ETag and Last-Modified) for a short
// revalidation period, like nginx's open_file_cache. Lookups never leave the root: the kernel's
// openat2(RESOLVE_BENEATH) refuses any path or symlink that resolves outside it; where openat2 is
// unavailable, the opened fd's /proc path is checked against the root's real path instead.
// Thread-safe; lookup() is called per request. REQUIRES: the clock outlives the cache.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/staticsite/static_site.h"

namespace shipgate::staticsite {

struct FileInfo {
  enum class Kind {
    kMissing,  // absent, outside the root, or not a regular file or directory
    kFile,
    kDirectory,
    kError,  // an I/O error other than "not there" (e.g. out of fds)
  };
  Kind kind = Kind::kMissing;
  std::shared_ptr<const OpenFile> file;        // kFile and not inlined
  std::shared_ptr<const std::string> content;  // kFile and size <= inline limit
  off_t size = 0;
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t mtime_s = 0;
  int64_t mtime_ns = 0;
  std::string etag;           // quoted strong entity tag
  std::string last_modified;  // IMF-fixdate of mtime
  // kFile, from its name, worked out once: its media type (static storage) and whether it is a
  // content-hashed asset that is not HTML (long-lived, immutable Cache-Control).
  std::string_view content_type;
  bool immutable = false;
  // Precompressed siblings ("<name>.br", "<name>.gz"), resolved together with a kFile whose own
  // name does not end in .br/.gz; null when absent. Their own br/gz are always null.
  std::shared_ptr<const FileInfo> br;
  std::shared_ptr<const FileInfo> gz;
};

// Fds held: one per cached file above inline_max_bytes (and per such sibling), so at most about
// 3 * max_entries per site: the process should raise RLIMIT_NOFILE to its hard limit.
struct FileCacheOptions {
  Millis valid{2000};                  // how long a lookup result is trusted before re-checking
  size_t max_entries = 1024;           // across all shards; least recently used go first
  off_t inline_max_bytes = 16 * 1024;  // files up to this size are held in memory
  bool use_openat2 = true;             // false forces the /proc check path (tests)
};

class FileCache {
 public:
  // Opens root (must be a directory) and remembers its real path.
  static Result<std::unique_ptr<FileCache>> open(const std::string& root, const Clock& clock,
                                                 FileCacheOptions options);
  ~FileCache();
  FileCache(const FileCache&) = delete;
  FileCache& operator=(const FileCache&) = delete;

  // relative: a path from normalizeRequestPath() (no leading '/', "" = the root). Never null.
  std::shared_ptr<const FileInfo> lookup(const std::string& relative) const;

  const std::string& rootRealPath() const { return root_real_; }
  size_t entryCountForTest() const;

 private:
  struct Shard;
  FileCache(int root_fd, std::string root_real, const Clock& clock, FileCacheOptions options);
  std::shared_ptr<const FileInfo> resolve(const std::string& relative, bool with_siblings) const;
  int openBeneath(const std::string& relative) const;

  int root_fd_;
  std::string root_real_;
  const Clock& clock_;
  FileCacheOptions options_;
  std::unique_ptr<Shard[]> shards_;
};

// The ETag for a file: "<hash>-<size>[-gz|-br]" when the name carries a content hash, otherwise
// "<mtime>-<size>" (hex).
std::string makeEtag(const std::string& relative, off_t size, int64_t mtime_s, int64_t mtime_ns);

}  // namespace shipgate::staticsite
