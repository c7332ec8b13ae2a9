#include "staticsite/file_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "temp_tree.h"

namespace shipgate::staticsite {
namespace {

using testing::TempTree;

class FileCacheTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    site_.write("index.html", "<h1>hi</h1>");
    site_.write("big.bin", std::string(100'000, 'x'));
    site_.write("sub/inner.txt", "inner");
    outside_.write("secret.txt", "TOP SECRET");
    site_.symlink(outside_.at("secret.txt"), "escape-abs.txt");
    site_.symlink(
        "../" + std::filesystem::path(outside_.path()).filename().string() + "/secret.txt",
        "escape-rel.txt");
    site_.symlink(outside_.path(), "escape-dir");
    site_.symlink("sub/inner.txt", "inside-link.txt");
    ::mkfifo(site_.at("fifo").c_str(), 0600);
  }

  std::unique_ptr<FileCache> open() {
    FileCacheOptions options;
    options.use_openat2 = GetParam();
    auto cache = FileCache::open(site_.path(), clock_, options);
    EXPECT_TRUE(cache.isOk()) << cache.status().toString();
    return std::move(cache).value();
  }

  TempTree site_;
  TempTree outside_;
  SimulatedClock clock_;
};

TEST_P(FileCacheTest, ResolvesFilesAndDirectories) {
  auto cache = open();
  auto index = cache->lookup("index.html");
  ASSERT_EQ(index->kind, FileInfo::Kind::kFile);
  ASSERT_TRUE(index->content);  // small: held in memory
  EXPECT_EQ(*index->content, "<h1>hi</h1>");
  EXPECT_EQ(index->size, 11);
  EXPECT_FALSE(index->etag.empty());
  EXPECT_EQ(index->last_modified.substr(index->last_modified.size() - 4), " GMT");

  auto big = cache->lookup("big.bin");
  ASSERT_EQ(big->kind, FileInfo::Kind::kFile);
  ASSERT_TRUE(big->file);  // large: an open fd
  EXPECT_FALSE(big->content);
  EXPECT_GE(big->file->fd, 0);
  EXPECT_EQ(big->file->size, 100'000);

  EXPECT_EQ(cache->lookup("")->kind, FileInfo::Kind::kDirectory);
  EXPECT_EQ(cache->lookup("sub")->kind, FileInfo::Kind::kDirectory);
  EXPECT_EQ(cache->lookup("nope.html")->kind, FileInfo::Kind::kMissing);
  EXPECT_EQ(cache->lookup("index.html/x")->kind, FileInfo::Kind::kMissing);
  EXPECT_EQ(cache->lookup("fifo")->kind, FileInfo::Kind::kMissing);
}

TEST_P(FileCacheTest, SymlinksOutsideTheRootAreMissing) {
  auto cache = open();
  EXPECT_EQ(cache->lookup("escape-abs.txt")->kind, FileInfo::Kind::kMissing);
  EXPECT_EQ(cache->lookup("escape-rel.txt")->kind, FileInfo::Kind::kMissing);
  EXPECT_EQ(cache->lookup("escape-dir/secret.txt")->kind, FileInfo::Kind::kMissing);
  EXPECT_EQ(cache->lookup("escape-dir")->kind, FileInfo::Kind::kMissing);
  // A relative symlink that stays inside the root is followed.
  auto inside = cache->lookup("inside-link.txt");
  ASSERT_EQ(inside->kind, FileInfo::Kind::kFile);
  EXPECT_EQ(*inside->content, "inner");
}

TEST_P(FileCacheTest, RevalidatesAfterTheValidPeriod) {
  auto cache = open();
  site_.setMtime("index.html", 1'600'000'000);
  auto first = cache->lookup("index.html");
  EXPECT_EQ(*first->content, "<h1>hi</h1>");

  site_.write("index.html", "<h1>changed</h1>");
  site_.setMtime("index.html", 1'600'000'100);
  EXPECT_EQ(cache->lookup("index.html"), first);  // still trusted

  clock_.advance(std::chrono::milliseconds(2001));
  auto second = cache->lookup("index.html");
  EXPECT_NE(second, first);
  EXPECT_EQ(*second->content, "<h1>changed</h1>");
  EXPECT_NE(second->etag, first->etag);

  clock_.advance(std::chrono::milliseconds(2001));
  EXPECT_EQ(cache->lookup("index.html"), second);  // unchanged file keeps its entry

  // Negative results are cached too, and revalidated the same way.
  EXPECT_EQ(cache->lookup("later.txt")->kind, FileInfo::Kind::kMissing);
  site_.write("later.txt", "now here");
  EXPECT_EQ(cache->lookup("later.txt")->kind, FileInfo::Kind::kMissing);
  clock_.advance(std::chrono::milliseconds(2001));
  EXPECT_EQ(cache->lookup("later.txt")->kind, FileInfo::Kind::kFile);
}

TEST_P(FileCacheTest, PrecompressedSiblingsComeWithTheirFile) {
  site_.write("app.js", "identity");
  site_.write("app.js.br", "br-bytes");
  // Written in the same clock tick with the same size (as here, often): the tags still differ.
  std::filesystem::last_write_time(site_.at("app.js.br"),
                                   std::filesystem::last_write_time(site_.at("app.js")));
  site_.symlink(outside_.at("secret.txt"), "app.js.gz");  // escapes: not a sibling
  auto cache = open();
  auto app = cache->lookup("app.js");
  ASSERT_EQ(app->kind, FileInfo::Kind::kFile);
  ASSERT_TRUE(app->br);
  EXPECT_EQ(*app->br->content, "br-bytes");
  EXPECT_NE(app->br->etag, app->etag);
  EXPECT_FALSE(app->gz);
  EXPECT_FALSE(cache->lookup("app.js.br")->br);  // siblings have no siblings

  // A sibling appearing later is picked up at revalidation, although the file itself is unchanged.
  std::filesystem::remove(site_.at("app.js.gz"));
  site_.write("app.js.gz", "gz-bytes");
  clock_.advance(std::chrono::milliseconds(2001));
  auto again = cache->lookup("app.js");
  ASSERT_TRUE(again->gz);
  EXPECT_EQ(*again->gz->content, "gz-bytes");
}

TEST_P(FileCacheTest, OpenFdOutlivesReplacementOfTheFile) {
  auto cache = open();
  auto big = cache->lookup("big.bin");
  ASSERT_TRUE(big->file);
  std::filesystem::remove(site_.at("big.bin"));
  clock_.advance(std::chrono::milliseconds(2001));
  EXPECT_EQ(cache->lookup("big.bin")->kind, FileInfo::Kind::kMissing);
  char c = 0;
  EXPECT_EQ(::pread(big->file->fd, &c, 1, 99'999), 1);  // the response in flight still reads
  EXPECT_EQ(c, 'x');
}

TEST_P(FileCacheTest, EntryCountIsBounded) {
  FileCacheOptions options;
  options.use_openat2 = GetParam();
  options.max_entries = 16;
  auto cache = FileCache::open(site_.path(), clock_, options).value();
  for (int i = 0; i < 500; ++i) (void)cache->lookup("missing-" + std::to_string(i));
  EXPECT_LE(cache->entryCountForTest(), 16u + 8u);
  EXPECT_GT(cache->entryCountForTest(), 0u);
}

TEST_P(FileCacheTest, RootMustBeADirectory) {
  EXPECT_FALSE(FileCache::open(site_.at("index.html"), clock_, {}).isOk());
  EXPECT_FALSE(FileCache::open(site_.at("no-such-dir"), clock_, {}).isOk());
  EXPECT_FALSE(FileCache::open("", clock_, {}).isOk());
}

INSTANTIATE_TEST_SUITE_P(Resolvers, FileCacheTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "openat2" : "procCheck"; });

TEST(MakeEtagTest, HashedNamesUseTheirHash) {
  EXPECT_EQ(makeEtag("app.3f9a1c2b.js", 255, 1, 2), "\"3f9a1c2b-ff\"");
  EXPECT_EQ(makeEtag("app.3f9a1c2b.js.gz", 16, 1, 2), "\"3f9a1c2b-10-gz\"");
  EXPECT_EQ(makeEtag("app.3f9a1c2b.js.br", 16, 1, 2), "\"3f9a1c2b-10-br\"");
  EXPECT_EQ(makeEtag("app.js", 255, 16, 1), "\"10.1-ff\"");
}

}  // namespace
}  // namespace shipgate::staticsite
