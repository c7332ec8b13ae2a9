// Fuzzes StaticReleases::importArchive, which unpacks untrusted release artifacts. Input: the
// bytes of an archive (gzip-compressed or plain tar). Invariants: an import either succeeds or
// leaves nothing in the app's directory; a successful release holds only directories, regular
// files and symbolic links, every link resolving inside the release, within the byte and entry
// limits (a hard-linked file's bytes count once); nothing is ever written outside the releases' root (a sibling sentinel directory stays
// empty).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "shipgate/runtime/static_releases.h"

namespace {

namespace fs = std::filesystem;

void check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  fprintf(stderr, "static_archive_fuzz invariant violated: %s %s\n", what, detail.c_str());
  abort();
}

struct Sandbox {
  std::string base;
  Sandbox() {
    char tmpl[] = "/tmp/static-archive-fuzz-XXXXXX";
    char* d = ::mkdtemp(tmpl);
    if (d == nullptr) abort();
    base = d;
    fs::create_directories(base + "/inside/deeper/root");
    fs::create_directories(base + "/sentinel");
  }
  ~Sandbox() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Sandbox box;
  // The root sits three levels deep, so "../../.." from a release would land in the sandbox.
  const std::string root = box.base + "/inside/deeper/root";
  const std::string archive = box.base + "/input.tar.gz";
  {
    std::ofstream out(archive, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  shipgate::runtime::StaticLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_entries = 200;
  shipgate::runtime::StaticReleases releases(root);
  auto r = releases.importArchive("app", "v1", archive, limits);
  std::error_code ec;
  if (!r.isOk()) {
    check(fs::is_empty(root + "/app", ec), "a failed import left something behind",
          r.status().message());
  } else {
    std::string rel = r->path;
    fs::path canon = fs::canonical(rel, ec);
    uint64_t bytes = 0, entries = 0;
    std::set<ino_t> inodes;
    for (auto it = fs::recursive_directory_iterator(rel, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      ++entries;
      fs::file_status st = it->symlink_status(ec);
      if (fs::is_symlink(st)) {
        std::string target = fs::weakly_canonical(it->path(), ec).string();
        check(target.rfind(canon.string(), 0) == 0, "a link resolves outside", target);
      } else if (fs::is_regular_file(st)) {
        struct stat sb {};
        // A hard-linked file is one file: its bytes count once.
        if (::lstat(it->path().c_str(), &sb) == 0 && inodes.insert(sb.st_ino).second) {
          bytes += static_cast<uint64_t>(sb.st_size);
        }
      } else {
        check(fs::is_directory(st), "a special file was created", it->path().string());
      }
    }
    check(bytes <= limits.max_bytes, "over the byte limit");
    check(r->entries <= limits.max_entries, "over the entry limit");
    check(r->bytes == bytes, "byte count differs from the files written");
  }
  check(fs::is_empty(box.base + "/sentinel", ec), "wrote outside the root");
  size_t outside = 0;
  for (const auto& e : fs::directory_iterator(box.base, ec)) {
    (void)e;
    ++outside;
  }
  check(outside == 3, "created an entry next to the root's ancestors");  // inside, sentinel, input
  for (const auto& e : fs::directory_iterator(box.base + "/inside/deeper", ec)) {
    check(e.path().filename() == "root", "created an entry beside the root",
          e.path().string());
  }
  fs::remove_all(root + "/app", ec);
  return 0;
}
