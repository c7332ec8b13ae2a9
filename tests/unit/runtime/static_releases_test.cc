// StaticReleases on real files: archives are written by libarchive in the test (no fixtures),
// folders are built in temp dirs; every refused import must leave nothing behind.
#include "shipgate/runtime/static_releases.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/paths.h"

namespace shipgate::runtime {
namespace {

namespace fs = std::filesystem;
using testsupport::readFile;
using testsupport::TempDir;

struct Entry {
  enum Type { kFile, kDir, kSymlink, kHardlink, kFifo, kCharDevice } type = kFile;
  std::string path;
  std::string data;  // kFile: content; kSymlink / kHardlink: target
  int perm = 0644;
};

Entry file(std::string path, std::string data, int perm = 0644) {
  return {Entry::kFile, std::move(path), std::move(data), perm};
}
Entry dir(std::string path) { return {Entry::kDir, std::move(path), "", 0755}; }
Entry symlink(std::string path, std::string target) {
  return {Entry::kSymlink, std::move(path), std::move(target), 0777};
}
Entry hardlink(std::string path, std::string target) {
  return {Entry::kHardlink, std::move(path), std::move(target), 0644};
}

// Writes a .tar.gz (pax) with exactly these entries, in order.
std::string writeTarGz(const TempDir& dir, const std::string& name,
                       const std::vector<Entry>& entries) {
  std::string path = dir.file(name);
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  EXPECT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const Entry& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_perm(ae, e.perm);
    switch (e.type) {
      case Entry::kFile:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
        break;
      case Entry::kDir:
        archive_entry_set_filetype(ae, AE_IFDIR);
        break;
      case Entry::kSymlink:
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_symlink(ae, e.data.c_str());
        break;
      case Entry::kHardlink:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_hardlink(ae, e.data.c_str());
        archive_entry_set_size(ae, 0);
        break;
      case Entry::kFifo:
        archive_entry_set_filetype(ae, AE_IFIFO);
        break;
      case Entry::kCharDevice:
        archive_entry_set_filetype(ae, AE_IFCHR);
        archive_entry_set_rdev(ae, makedev(1, 3));
        break;
    }
    EXPECT_EQ(archive_write_header(a, ae), ARCHIVE_OK) << e.path << ": "
                                                        << archive_error_string(a);
    if (e.type == Entry::kFile && !e.data.empty()) {
      archive_write_data(a, e.data.data(), e.data.size());
    }
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

// What is in <root>/<app>, dot entries included (leftover temporary directories).
std::vector<std::string> appDirEntries(const std::string& root, const std::string& app) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root + "/" + app, ec)) {
    out.push_back(e.path().filename().string());
  }
  return out;
}

class StaticReleasesTest : public ::testing::Test {
 protected:
  TempDir work_{"static-work"};
  TempDir root_{"static-root"};
};

TEST_F(StaticReleasesTest, GoodArchiveIsUnpackedWithItsInsideLinks) {
  std::string tgz = writeTarGz(work_, "site.tar.gz",
                               {dir("./"), file("./index.html", "<h1>v1</h1>"), dir("assets"),
                                file("assets/app.js", "console.log(1)"),
                                file("bin/run.sh", "#!/bin/sh\n", 0755),
                                symlink("latest.js", "assets/app.js"),
                                symlink("assets/home.html", "../index.html"),
                                hardlink("copy.html", "index.html")});
  StaticReleases releases(root_.path());
  auto r = releases.importArchive("front", "v1", tgz, StaticLimits{});
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  std::string p = root_.path() + "/front/v1";
  EXPECT_EQ(r->path, p);
  EXPECT_EQ(r->version, "v1");
  EXPECT_EQ(r->bytes, 11u + 14u + 10u);
  EXPECT_EQ(readFile(p + "/index.html"), "<h1>v1</h1>");
  EXPECT_EQ(readFile(p + "/assets/app.js"), "console.log(1)");
  EXPECT_TRUE(fs::is_symlink(p + "/latest.js"));
  EXPECT_EQ(fs::read_symlink(p + "/latest.js"), "assets/app.js");
  EXPECT_EQ(readFile(p + "/latest.js"), "console.log(1)");
  EXPECT_EQ(readFile(p + "/assets/home.html"), "<h1>v1</h1>");
  EXPECT_EQ(readFile(p + "/copy.html"), "<h1>v1</h1>");
  // Immutable: files are read-only; executables stay executable.
  struct stat st {};
  ASSERT_EQ(::stat((p + "/index.html").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  ASSERT_EQ(::stat((p + "/bin/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0555u);

  auto listed = releases.list("front");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].version, "v1");
  EXPECT_EQ(listed[0].path, p);
  auto path = releases.path("front", "v1");
  ASSERT_TRUE(path.isOk());
  EXPECT_EQ(*path, p);
  EXPECT_EQ(releases.path("front", "v2").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(appDirEntries(root_.path(), "front"), std::vector<std::string>{"v1"});
}

struct BadArchive {
  const char* name;
  std::vector<Entry> entries;
  const char* expect;  // in the message
  StaticLimits limits;
};

class BadArchiveTest : public StaticReleasesTest,
                       public ::testing::WithParamInterface<BadArchive> {};

TEST_P(BadArchiveTest, IsRefusedNamingTheEntryAndLeavesNothing) {
  const BadArchive& bad = GetParam();
  // Good entries first, so the refusal comes after some files were written.
  std::vector<Entry> entries = {file("index.html", "ok"), dir("assets"),
                                file("assets/a.css", "body{}")};
  entries.insert(entries.end(), bad.entries.begin(), bad.entries.end());
  std::string tgz = writeTarGz(work_, "bad.tar.gz", entries);
  StaticReleases releases(root_.path());
  auto r = releases.importArchive("front", "v1", tgz, bad.limits);
  ASSERT_FALSE(r.isOk()) << bad.name << " was accepted";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(bad.expect), std::string::npos)
      << bad.name << ": " << r.status().message();
  EXPECT_NE(r.status().message().find(tgz), std::string::npos) << r.status().message();
  EXPECT_TRUE(appDirEntries(root_.path(), "front").empty())
      << bad.name << " left " << appDirEntries(root_.path(), "front").front();
  EXPECT_TRUE(releases.list("front").empty());
  EXPECT_FALSE(fs::exists(root_.path() + "/outside"));
  EXPECT_FALSE(fs::exists(work_.path() + "/x"));
  // Nothing half-written stands in the way of a good import of the same version.
  std::string good = writeTarGz(work_, "good.tar.gz", {file("index.html", "fine")});
  auto ok = releases.importArchive("front", "v1", good, StaticLimits{});
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(readFile(ok->path + "/index.html"), "fine");
}

StaticLimits limits(uint64_t bytes, uint64_t entries) {
  StaticLimits l;
  l.max_bytes = bytes;
  l.max_entries = entries;
  return l;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, BadArchiveTest,
    ::testing::Values(
        BadArchive{"absolute", {file("/tmp/shipgate-abs-x", "x")}, "\"/tmp/shipgate-abs-x\" is an absolute path", {}},
        BadArchive{"dotdot", {file("../x", "x")}, "\"../x\" is a \"..\" component", {}},
        BadArchive{"inner dotdot", {file("assets/../../x", "x")}, "a \"..\" component", {}},
        BadArchive{"symlink up", {symlink("evil", "../../outside")}, "leaves the release tree", {}},
        BadArchive{"symlink deep up", {symlink("assets/evil", "../../x")}, "leaves the release tree", {}},
        BadArchive{"symlink absolute", {symlink("passwd", "/etc/passwd")}, "to an absolute path", {}},
        BadArchive{"hardlink outside", {hardlink("h", "../outside")}, "outside the release tree", {}},
        BadArchive{"hardlink absolute", {hardlink("h", "/etc/passwd")}, "outside the release tree", {}},
        BadArchive{"hardlink to nothing", {hardlink("h", "later.html")}, "not a file unpacked before it", {}},
        BadArchive{"write through link", {symlink("d", "assets"), file("d/x.css", "x")}, "inside a symbolic link", {}},
        BadArchive{"device", {Entry{Entry::kCharDevice, "null", "", 0666}}, "device file", {}},
        BadArchive{"fifo", {Entry{Entry::kFifo, "pipe", "", 0644}}, "device file, FIFO", {}},
        BadArchive{"duplicate", {file("index.html", "again")}, "duplicate entry", {}},
        BadArchive{"too large", {file("big.bin", std::string(3000, 'b'))}, "unpacks to more than 2000 bytes (limit static.max_archive_bytes)", limits(2000, 100)},
        BadArchive{"too many entries", {file("b.html", "b"), file("c.html", "c")}, "more than 4 entries (limit static.max_entries)", limits(1 << 20, 4)}),
    [](const ::testing::TestParamInfo<BadArchive>& info) {
      std::string n = info.param.name;
      for (char& c : n) {
        if (c == ' ') c = '_';
      }
      return n;
    });

TEST_F(StaticReleasesTest, CorruptArchiveIsRefusedAndLeavesNothing) {
  std::string tgz = writeTarGz(work_, "site.tar.gz",
                               {file("index.html", std::string(50000, 'a')),
                                file("b.html", std::string(50000, 'b'))});
  std::string bytes = readFile(tgz);
  std::string cut = work_.writeFile("cut.tar.gz", bytes.substr(0, bytes.size() / 2));
  std::string junk = work_.writeFile("junk.tar.gz", "this is not an archive at all");
  StaticReleases releases(root_.path());
  for (const std::string& p : {cut, junk}) {
    auto r = releases.importArchive("front", "v1", p, StaticLimits{});
    ASSERT_FALSE(r.isOk()) << p;
    EXPECT_NE(r.status().message().find(p), std::string::npos) << r.status().message();
    EXPECT_TRUE(appDirEntries(root_.path(), "front").empty());
  }
}

TEST_F(StaticReleasesTest, AReleaseIsNeverReplaced) {
  StaticReleases releases(root_.path());
  std::string a = writeTarGz(work_, "a.tar.gz", {file("index.html", "first")});
  std::string b = writeTarGz(work_, "b.tar.gz", {file("index.html", "second")});
  ASSERT_TRUE(releases.importArchive("front", "v1", a, StaticLimits{}).isOk());
  auto again = releases.importArchive("front", "v1", b, StaticLimits{});
  ASSERT_FALSE(again.isOk());
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  EXPECT_NE(again.status().message().find("use a new version"), std::string::npos);
  EXPECT_EQ(readFile(root_.path() + "/front/v1/index.html"), "first");
  EXPECT_EQ(appDirEntries(root_.path(), "front"), std::vector<std::string>{"v1"});
}

TEST_F(StaticReleasesTest, FolderIsCopiedWithInsideLinksAndRefusedWithEscapingOnes) {
  work_.writeFile("site/index.html", "<h1>folder</h1>");
  work_.writeFile("site/css/main.css", "body{}");
  fs::create_symlink("css/main.css", work_.file("site/style.css"));
  fs::create_directories(work_.file("site/empty"));
  StaticReleases releases(root_.path());
  auto r = releases.import("front", "v1", work_.file("site"), StaticLimits{});
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(readFile(r->path + "/index.html"), "<h1>folder</h1>");
  EXPECT_EQ(readFile(r->path + "/css/main.css"), "body{}");
  EXPECT_TRUE(fs::is_symlink(r->path + "/style.css"));
  EXPECT_EQ(readFile(r->path + "/style.css"), "body{}");
  EXPECT_TRUE(fs::is_directory(r->path + "/empty"));
  EXPECT_EQ(r->entries, 5u);
  // The copy is independent of the source.
  work_.writeFile("site/index.html", "changed");
  EXPECT_EQ(readFile(r->path + "/index.html"), "<h1>folder</h1>");

  work_.writeFile("outside.txt", "secret");
  fs::create_symlink("../outside.txt", work_.file("site/leak.txt"));
  auto leak = releases.import("front", "v2", work_.file("site"), StaticLimits{});
  ASSERT_FALSE(leak.isOk());
  EXPECT_NE(leak.status().message().find("\"leak.txt\""), std::string::npos)
      << leak.status().message();
  EXPECT_NE(leak.status().message().find("leaves the release tree"), std::string::npos);
  fs::remove(work_.file("site/leak.txt"));

  fs::create_symlink(work_.file("outside.txt"), work_.file("site/abs.txt"));
  auto abs = releases.import("front", "v2", work_.file("site"), StaticLimits{});
  ASSERT_FALSE(abs.isOk());
  EXPECT_NE(abs.status().message().find("absolute path"), std::string::npos);
  fs::remove(work_.file("site/abs.txt"));

  ASSERT_EQ(::mkfifo(work_.file("site/pipe").c_str(), 0644), 0);
  auto fifo = releases.import("front", "v2", work_.file("site"), StaticLimits{});
  ASSERT_FALSE(fifo.isOk());
  EXPECT_NE(fifo.status().message().find("FIFO"), std::string::npos);
  fs::remove(work_.file("site/pipe"));

  auto big = releases.import("front", "v2", work_.file("site"), limits(10, 100));
  ASSERT_FALSE(big.isOk());
  EXPECT_NE(big.status().message().find("static.max_archive_bytes"), std::string::npos);

  EXPECT_EQ(appDirEntries(root_.path(), "front"), std::vector<std::string>{"v1"});
  auto v2 = releases.import("front", "v2", work_.file("site/"), StaticLimits{});
  ASSERT_TRUE(v2.isOk()) << v2.status().toString();
  EXPECT_EQ(readFile(v2->path + "/index.html"), "changed");
}

TEST_F(StaticReleasesTest, ArtifactKindsAndNamesAreChecked) {
  StaticReleases releases(root_.path());
  std::string txt = work_.writeFile("notes.txt", "x");
  EXPECT_EQ(releases.import("front", "v1", txt, StaticLimits{}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(releases.import("front", "v1", work_.file("nope.tar.gz"), StaticLimits{})
                .status()
                .code(),
            Status::Code::kNotFound);
  std::string tgz = writeTarGz(work_, "a.tgz", {file("index.html", "x")});
  for (const char* v : {"../v1", ".hidden", "", "v 1", "a/b"}) {
    auto r = releases.import("front", v, tgz, StaticLimits{});
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << v;
  }
  EXPECT_EQ(releases.import("../front", "v1", tgz, StaticLimits{}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_TRUE(releases.import("front", "v1", tgz, StaticLimits{}).isOk());
}

TEST_F(StaticReleasesTest, PruneKeepsTheNewestAndTheProtectedOnes) {
  SimulatedClock clock;
  StaticReleases releases(root_.path(), &clock);
  std::string tgz = writeTarGz(work_, "a.tar.gz", {file("index.html", "x")});
  // Imported in this order; names do not sort in import order on purpose.
  std::vector<std::string> order = {"v9", "v10", "v2", "v11", "v3", "v12"};
  for (const auto& v : order) {
    ASSERT_TRUE(releases.importArchive("front", v, tgz, StaticLimits{}).isOk()) << v;
    clock.advance(std::chrono::seconds(60));
  }
  std::vector<std::string> listed;
  for (const auto& r : releases.list("front")) listed.push_back(r.version);
  EXPECT_EQ(listed, order) << "oldest first, by import time";

  // Keep 2 (v3, v12); v9 is live, v2 the previous: protected.
  auto removed = releases.prune("front", 2, {"v9", "v2"});
  ASSERT_TRUE(removed.isOk()) << removed.status().toString();
  EXPECT_EQ(*removed, (std::vector<std::string>{"v10", "v11"}));
  listed.clear();
  for (const auto& r : releases.list("front")) listed.push_back(r.version);
  EXPECT_EQ(listed, (std::vector<std::string>{"v9", "v2", "v3", "v12"}));
  EXPECT_FALSE(fs::exists(root_.path() + "/front/v10"));
  EXPECT_EQ(appDirEntries(root_.path(), "front").size(), 4u) << "nothing set aside remains";

  auto again = releases.prune("front", 2, {"v9", "v2"});
  ASSERT_TRUE(again.isOk());
  EXPECT_TRUE(again->empty());
  auto all = releases.prune("front", 1, {});
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(*all, (std::vector<std::string>{"v9", "v2", "v3"}));
  EXPECT_EQ(releases.list("front").size(), 1u);
}

TEST_F(StaticReleasesTest, LeftoversOfAnInterruptedImportAreRemovedAtStart) {
  work_.writeFile("x", "");
  std::string leftover = root_.path() + "/front/.import-v3-abc123";
  fs::create_directories(leftover + "/assets");
  std::ofstream(leftover + "/assets/half.js") << "half";
  fs::create_directories(root_.path() + "/front/.remove-v1");
  fs::create_directories(root_.path() + "/front/v2");
  StaticReleases releases(root_.path());
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_FALSE(fs::exists(root_.path() + "/front/.remove-v1"));
  auto listed = releases.list("front");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].version, "v2");
}

}  // namespace
}  // namespace shipgate::runtime
