#include "staticsite/file_cache.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <unordered_map>

#include "shipgate/common/mutex.h"
#include "staticsite/content_meta.h"

namespace shipgate::staticsite {

OpenFile::~OpenFile() {
  if (fd >= 0) ::close(fd);
}

namespace {

constexpr size_t kShards = 8;

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool sameFile(const FileInfo* a, const FileInfo* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return a->kind == b->kind && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
         a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
         sameFile(a->br.get(), b->br.get()) && sameFile(a->gz.get(), b->gz.get());
}

// The path the kernel reports for an open fd ("" when /proc is unavailable).
std::string fdPath(int fd) {
  char link[64];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  char buf[PATH_MAX];
  ssize_t n = ::readlink(link, buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

struct FileCache::Shard {
  struct Entry {
    std::shared_ptr<const FileInfo> info;
    Clock::time_point checked;
    std::list<std::string>::iterator lru;
  };
  mutable Mutex mu;
  std::unordered_map<std::string, Entry> map GUARDED_BY(mu);
  std::list<std::string> lru GUARDED_BY(mu);  // most recent first
};

std::string makeEtag(const std::string& relative, off_t size, int64_t mtime_s, int64_t mtime_ns) {
  char buf[96];
  std::string_view hash = hashSegmentOf(relative);
  // A precompressed sibling is another representation: its tag differs from its file's even when
  // both were written in the same clock tick with the same size.
  const char* suffix = endsWith(relative, ".gz") ? "-gz" : endsWith(relative, ".br") ? "-br" : "";
  if (!hash.empty()) {
    snprintf(buf, sizeof(buf), "\"%.*s-%llx%s\"", static_cast<int>(hash.size()), hash.data(),
             static_cast<unsigned long long>(size), suffix);
  } else {
    snprintf(buf, sizeof(buf), "\"%llx.%llx-%llx%s\"", static_cast<unsigned long long>(mtime_s),
             static_cast<unsigned long long>(mtime_ns), static_cast<unsigned long long>(size),
             suffix);
  }
  return buf;
}

Result<std::unique_ptr<FileCache>> FileCache::open(const std::string& root, const Clock& clock,
                                                   FileCacheOptions options) {
  if (root.empty()) return Status::invalidArgument("static site root is empty");
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::fromErrno("static site root " + root, errno);
  char real[PATH_MAX];
  if (::realpath(root.c_str(), real) == nullptr) {
    int err = errno;
    ::close(fd);
    return Status::fromErrno("static site root " + root, err);
  }
  if (options.use_openat2) {
    struct open_how how {};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    long probe = ::syscall(SYS_openat2, fd, ".", &how, sizeof(how));
    if (probe >= 0) {
      ::close(static_cast<int>(probe));
    } else {
      options.use_openat2 = false;
    }
  }
  return std::unique_ptr<FileCache>(new FileCache(fd, real, clock, options));
}

FileCache::FileCache(int root_fd, std::string root_real, const Clock& clock,
                     FileCacheOptions options)
    : root_fd_(root_fd),
      root_real_(std::move(root_real)),
      clock_(clock),
      options_(options),
      shards_(new Shard[kShards]) {}

FileCache::~FileCache() { ::close(root_fd_); }

int FileCache::openBeneath(const std::string& relative) const {
  const char* path = relative.empty() ? "." : relative.c_str();
  constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (options_.use_openat2) {
    struct open_how how {};
    how.flags = kFlags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, root_fd_, path, &how, sizeof(how));
    return fd >= 0 ? static_cast<int>(fd) : -errno;
  }
  // openat2 unavailable (old kernel or seccomp): open, then check where the fd really points.
  int fd = ::openat(root_fd_, path, kFlags);
  if (fd < 0) return -errno;
  std::string where = fdPath(fd);
  bool inside = where == root_real_ || (where.size() > root_real_.size() &&
                                        where.compare(0, root_real_.size(), root_real_) == 0 &&
                                        (root_real_ == "/" || where[root_real_.size()] == '/'));
  if (!inside) {
    ::close(fd);
    return -EXDEV;
  }
  return fd;
}

std::shared_ptr<const FileInfo> FileCache::resolve(const std::string& relative,
                                                   bool with_siblings) const {
  auto info = std::make_shared<FileInfo>();
  int fd = openBeneath(relative);
  if (fd < 0) {
    int err = -fd;
    bool missing = err == ENOENT || err == ENOTDIR || err == EXDEV || err == ELOOP ||
                   err == EACCES || err == ENAMETOOLONG || err == EISDIR || err == ENXIO;
    info->kind = missing ? FileInfo::Kind::kMissing : FileInfo::Kind::kError;
    return info;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    info->kind = FileInfo::Kind::kError;
    return info;
  }
  info->dev = st.st_dev;
  info->ino = st.st_ino;
  info->size = st.st_size;
  info->mtime_s = st.st_mtim.tv_sec;
  info->mtime_ns = st.st_mtim.tv_nsec;
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    info->kind = FileInfo::Kind::kDirectory;
    return info;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    info->kind = FileInfo::Kind::kMissing;
    return info;
  }
  info->kind = FileInfo::Kind::kFile;
  info->etag = makeEtag(relative, st.st_size, info->mtime_s, info->mtime_ns);
  info->last_modified = formatHttpDate(info->mtime_s);
  info->content_type = contentTypeFor(relative);
  const std::string_view ext = extensionOf(relative);
  info->immutable = !hashSegmentOf(relative).empty() && ext != "html" && ext != "htm";
  if (with_siblings && !endsWith(relative, ".br") && !endsWith(relative, ".gz")) {
    for (auto [suffix, slot] : {std::pair{".br", &info->br}, std::pair{".gz", &info->gz}}) {
      auto sibling = resolve(relative + suffix, false);
      if (sibling->kind == FileInfo::Kind::kFile) *slot = std::move(sibling);
    }
  }
  if (st.st_size <= options_.inline_max_bytes) {
    auto content = std::make_shared<std::string>(static_cast<size_t>(st.st_size), '\0');
    size_t done = 0;
    while (done < content->size()) {
      ssize_t n =
          ::pread(fd, content->data() + done, content->size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    if (done != content->size()) {
      info->kind = FileInfo::Kind::kError;  // shrank or failed while reading
      return info;
    }
    info->content = std::move(content);
    return info;
  }
  auto file = std::make_shared<OpenFile>();
  file->fd = fd;
  file->size = st.st_size;
  info->file = std::move(file);
  return info;
}

std::shared_ptr<const FileInfo> FileCache::lookup(const std::string& relative) const {
  Shard& shard = shards_[std::hash<std::string>{}(relative) % kShards];
  const Clock::time_point now = clock_.now();
  std::shared_ptr<const FileInfo> stale;
  {
    MutexLock lock(shard.mu);
    auto it = shard.map.find(relative);
    if (it != shard.map.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
      if (now - it->second.checked < options_.valid) return it->second.info;
      stale = it->second.info;
    }
  }
  // Resolve outside the lock: file system calls must not serialise other lookups.
  std::shared_ptr<const FileInfo> fresh = resolve(relative, true);
  // An unchanged file keeps its entry (open fd, loaded bytes); transient errors are not cached.
  if (stale && sameFile(stale.get(), fresh.get())) fresh = stale;
  if (fresh->kind == FileInfo::Kind::kError) return fresh;
  const size_t per_shard = options_.max_entries / kShards + 1;
  MutexLock lock(shard.mu);
  auto it = shard.map.find(relative);
  if (it != shard.map.end()) {
    it->second.info = fresh;
    it->second.checked = now;
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
    return fresh;
  }
  while (shard.map.size() >= per_shard && !shard.lru.empty()) {
    shard.map.erase(shard.lru.back());
    shard.lru.pop_back();
  }
  shard.lru.push_front(relative);
  shard.map.emplace(relative, Shard::Entry{fresh, now, shard.lru.begin()});
  return fresh;
}

size_t FileCache::entryCountForTest() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    MutexLock lock(shards_[i].mu);
    n += shards_[i].map.size();
  }
  return n;
}

}  // namespace shipgate::staticsite
