// KeyTable (src/shield/key_table.h): collision chains, backward-shift deletion, wraparound,
// growth, idle expiry, CLOCK eviction at the limit, and a randomized differential run against
// std::unordered_map. Hashes are forced with RateKey::withHashForTest to build the collisions.
#include "key_table.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace shipgate::shield {
namespace {

// A hash whose low 32 bits put a key's home at `slot` of a table of `slots` slots.
uint64_t hashForSlot(size_t slot, size_t slots) {
  // home = (low * slots) >> 32: the smallest low at or above slot * 2^32 / slots.
  const uint64_t low = ((static_cast<uint64_t>(slot) << 32) + slots - 1) / slots;
  return 0xabcdef0000000000ULL | low;
}

RateKey at(std::string_view key, size_t slot, size_t slots) {
  return RateKey::withHashForTest(key, hashForSlot(slot, slots));
}

WindowCounter counted(int64_t n, int64_t window = 100) { return {window, n, 0, 0}; }

// A table of 64 keys at most, grown to its full 128 slots (growth rehashes, so tests that place
// keys by slot start from the final size).
std::unique_ptr<KeyTable> fullSizeTable() {
  auto t = std::make_unique<KeyTable>(64);
  for (int i = 0; i < 64; ++i) t->insert(RateKey("fill" + std::to_string(i)), counted(1), 100, 0);
  for (int i = 0; i < 64; ++i) EXPECT_TRUE(t->eraseForTest(RateKey("fill" + std::to_string(i))));
  EXPECT_EQ(t->slots(), 128u);
  EXPECT_EQ(t->size(), 0u);
  return t;
}

TEST(KeyTableTest, HomeSlotsFollowTheHash) {
  auto t = fullSizeTable();
  for (size_t slot : {0u, 1u, 63u, 127u}) EXPECT_EQ(t->homeForTest(hashForSlot(slot, 128)), slot);
}

TEST(KeyTableTest, CollidingKeysFormAChainAndKeepTheirCounters) {
  auto t = fullSizeTable();
  for (int i = 0; i < 5; ++i) t->insert(at("k" + std::to_string(i), 10, 128), counted(i), 100, 0);
  for (int i = 0; i < 5; ++i) {
    const RateKey k = at("k" + std::to_string(i), 10, 128);
    ASSERT_EQ(t->slotOfForTest(k), 10u + i) << i;  // linear probing from the shared home
    ASSERT_NE(t->find(k), nullptr);
    EXPECT_EQ(t->find(k)->current, i);
  }
  // Same hash, different key; same key bytes, different hash: both absent.
  EXPECT_EQ(t->find(at("k5", 10, 128)), nullptr);
  EXPECT_EQ(t->find(at("k1", 11, 128)), nullptr);
  EXPECT_EQ(t->size(), 5u);
}

TEST(KeyTableTest, KeysDifferingInLengthOrByDigestAreDistinct) {
  KeyTable t(16);
  const uint64_t h = 42;
  t.insert(RateKey::withHashForTest("ab", h), counted(1), 100, 0);
  t.insert(RateKey::withHashForTest(std::string_view("ab\0", 3), h), counted(2), 100, 0);
  t.insert(RateKey::withHashForTest("", h), counted(3), 100, 0);
  // A key over 26 bytes is stored as its digest, never equal to a raw 26-byte key.
  const std::string long_key(27, 'x');
  t.insert(RateKey::withHashForTest(long_key, h), counted(4), 100, 0);
  t.insert(RateKey::withHashForTest(std::string(26, 'x'), h), counted(5), 100, 0);
  EXPECT_EQ(t.find(RateKey::withHashForTest("ab", h))->current, 1);
  EXPECT_EQ(t.find(RateKey::withHashForTest(std::string_view("ab\0", 3), h))->current, 2);
  EXPECT_EQ(t.find(RateKey::withHashForTest("", h))->current, 3);
  EXPECT_EQ(t.find(RateKey::withHashForTest(long_key, h))->current, 4);
  EXPECT_EQ(t.find(RateKey::withHashForTest(std::string(26, 'x'), h))->current, 5);
  EXPECT_EQ(t.find(RateKey::withHashForTest(std::string(28, 'x'), h)), nullptr);
}

// Every key length, through each of RateKey's copy paths (up to 3, 4-7, 8-15, 16-26 bytes, and
// digests beyond): prefixes of one another are distinct keys, and the same text is the same key.
TEST(KeyTableTest, KeysOfEveryLengthAreTheirOwn) {
  const std::string text = "0123456789abcdefghijklmnopqrstuvwxyz";
  KeyTable t(64);
  for (size_t n = 0; n <= text.size(); ++n) {
    t.insert(RateKey(std::string_view(text).substr(0, n)), counted(static_cast<int64_t>(n)), 100,
             0);
  }
  for (size_t n = 0; n <= text.size(); ++n) {
    const std::string copy = text.substr(0, n);  // other memory, same bytes
    const WindowCounter* c = t.find(RateKey(copy));
    ASSERT_NE(c, nullptr) << n;
    EXPECT_EQ(c->current, static_cast<int64_t>(n));
    EXPECT_EQ(RateKey(copy).hash(), RateKey(std::string_view(text).substr(0, n)).hash());
  }
  EXPECT_EQ(t.size(), text.size() + 1);
  EXPECT_EQ(t.find(RateKey("0123456789abcdeX")), nullptr);
}

TEST(KeyTableTest, BackwardShiftKeepsEveryChainReachable) {
  auto t = fullSizeTable();
  // Home 20: a, b, c (slots 20, 21, 22); home 21: d (23); home 23: e (24); home 26: f (26).
  t->insert(at("a", 20, 128), counted(1), 100, 0);
  t->insert(at("b", 20, 128), counted(2), 100, 0);
  t->insert(at("c", 20, 128), counted(3), 100, 0);
  t->insert(at("d", 21, 128), counted(4), 100, 0);
  t->insert(at("e", 23, 128), counted(5), 100, 0);
  t->insert(at("f", 26, 128), counted(6), 100, 0);
  EXPECT_EQ(t->slotOfForTest(at("e", 23, 128)), 24u);
  // Removing a: b, c, d move back one; e (home 23, now at 24) moves to 23; f stays home.
  ASSERT_TRUE(t->eraseForTest(at("a", 20, 128)));
  EXPECT_EQ(t->slotOfForTest(at("b", 20, 128)), 20u);
  EXPECT_EQ(t->slotOfForTest(at("c", 20, 128)), 21u);
  EXPECT_EQ(t->slotOfForTest(at("d", 21, 128)), 22u);
  EXPECT_EQ(t->slotOfForTest(at("e", 23, 128)), 23u);
  EXPECT_EQ(t->slotOfForTest(at("f", 26, 128)), 26u);
  // Removing d: e must not move before its home.
  ASSERT_TRUE(t->eraseForTest(at("d", 21, 128)));
  EXPECT_EQ(t->slotOfForTest(at("e", 23, 128)), 23u);
  EXPECT_FALSE(t->slotOfForTest(at("d", 21, 128)).has_value());
  EXPECT_FALSE(t->eraseForTest(at("d", 21, 128)));
  for (auto [key, n] : {std::pair{"b", 2}, {"c", 3}}) {
    EXPECT_EQ(t->find(at(key, 20, 128))->current, n) << key;
  }
  EXPECT_EQ(t->find(at("e", 23, 128))->current, 5);
  EXPECT_EQ(t->find(at("f", 26, 128))->current, 6);
  EXPECT_EQ(t->size(), 4u);
}

TEST(KeyTableTest, ChainsWrapAroundTheEndAndShiftBackAcrossIt) {
  auto t = fullSizeTable();
  // Home 126: x (126), y (127), z (0: wrapped); home 0: w (1).
  t->insert(at("x", 126, 128), counted(1), 100, 0);
  t->insert(at("y", 126, 128), counted(2), 100, 0);
  t->insert(at("z", 126, 128), counted(3), 100, 0);
  t->insert(at("w", 0, 128), counted(4), 100, 0);
  EXPECT_EQ(t->slotOfForTest(at("z", 126, 128)), 0u);
  EXPECT_EQ(t->slotOfForTest(at("w", 0, 128)), 1u);
  ASSERT_TRUE(t->eraseForTest(at("y", 126, 128)));
  EXPECT_EQ(t->slotOfForTest(at("z", 126, 128)), 127u);  // back across the end
  EXPECT_EQ(t->slotOfForTest(at("w", 0, 128)), 0u);      // and home
  ASSERT_TRUE(t->eraseForTest(at("x", 126, 128)));
  EXPECT_EQ(t->slotOfForTest(at("z", 126, 128)), 126u);
  EXPECT_EQ(t->find(at("z", 126, 128))->current, 3);
  EXPECT_EQ(t->find(at("w", 0, 128))->current, 4);
}

TEST(KeyTableTest, GrowsByDoublingUpToItsLimitAtHalfLoad) {
  KeyTable t(100);
  EXPECT_EQ(t.slots(), 0u);
  std::vector<size_t> sizes;
  for (int i = 0; i < 100; ++i) {
    t.insert(RateKey("g" + std::to_string(i)), counted(i), 100, 0);
    if (sizes.empty() || sizes.back() != t.slots()) sizes.push_back(t.slots());
    EXPECT_LE(2 * t.size(), t.slots());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{16, 32, 64, 128, 200}));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(t.find(RateKey("g" + std::to_string(i)))->current, i);
  EXPECT_EQ(t.evictions(), 0u);
}

TEST(KeyTableTest, IdleKeysExpireWithoutEvictions) {
  KeyTable t(8);
  for (int i = 0; i < 8; ++i) t.insert(RateKey("old" + std::to_string(i)), counted(1, 5), 5, 0);
  // Window 7: keys last counted in window 5 are idle (older than the previous window).
  for (int i = 0; i < 8; ++i) t.insert(RateKey("new" + std::to_string(i)), counted(1, 7), 7, 0);
  EXPECT_EQ(t.size(), 8u);
  EXPECT_EQ(t.evictions(), 0u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(t.find(RateKey("old" + std::to_string(i))), nullptr);
  // A blocked key is never idle, however old its window.
  KeyTable b(1);
  b.insert(RateKey("blocked"), WindowCounter{1, 0, 0, 1'000}, 1, 0);
  b.insert(RateKey("next"), counted(1, 9), 9, 999);  // still blocked at 999: evicted, not dropped
  EXPECT_EQ(b.evictions(), 1u);
  b.insert(RateKey("after"), counted(1, 20), 20, 5'000);  // "next" idle by window 20
  EXPECT_EQ(b.evictions(), 1u);
}

TEST(KeyTableTest, AtTheLimitKeysFoundAgainOutliveNewOnes) {
  KeyTable t(16);
  for (int i = 0; i < 16; ++i) t.insert(RateKey("k" + std::to_string(i)), counted(i), 100, 0);
  for (int i = 0; i < 4; ++i) ASSERT_NE(t.find(RateKey("k" + std::to_string(i))), nullptr);
  // New keys in the live window: each evicts one key, and the four found again survive. (Each
  // insert also moves the hand one slot without lowering it, when looking for an idle key: the
  // hand's second sweep meets the twelve keys seen once, and six inserts skip at most six.)
  for (int i = 0; i < 6; ++i) t.insert(RateKey("n" + std::to_string(i)), counted(1), 100, 0);
  EXPECT_EQ(t.size(), 16u);
  EXPECT_EQ(t.evictions(), 6u);
  for (int i = 0; i < 4; ++i) {
    ASSERT_NE(t.find(RateKey("k" + std::to_string(i))), nullptr) << i;
    EXPECT_EQ(t.find(RateKey("k" + std::to_string(i)))->current, i);
  }
}

// Random inserts, counts and removals over a small hash space (long collision chains that wrap
// around), checked against std::unordered_map after every step: every key the model holds is
// found with its count, no other key is found. Then at a limit with evictions: whatever the table
// still holds has the model's count, and every missing key is one eviction.
TEST(KeyTableTest, MatchesAnUnorderedMapModel) {
  std::mt19937_64 rng(20261203);
  for (size_t limit : {size_t{500}, size_t{40}}) {
    KeyTable t(limit);
    const bool evicting = limit < 300;
    std::unordered_map<std::string, int64_t> model;
    auto key = [&](int id) {
      const std::string text = "client-" + std::to_string(id);
      // 64 distinct hashes for 300 keys, their homes spread over the last quarter of the table
      // (chains run into each other and wrap around the end).
      return std::pair{text, RateKey::withHashForTest(text, ~uint64_t{0} - (id % 64) * (1u << 24))};
    };
    for (int step = 0; step < 20'000; ++step) {
      const int id = static_cast<int>(rng() % 300);
      auto [text, k] = key(id);
      switch (rng() % 4) {
        case 0:
        case 1:
          if (WindowCounter* c = t.find(k)) {
            ASSERT_EQ(model.count(text), 1u) << text;
            ++c->current;
            ++model[text];
          } else {
            if (!evicting) {
              ASSERT_EQ(model.count(text), 0u) << text;
            }
            model.erase(text);  // evicted (limit 40) or never added
            t.insert(k, counted(1), 100, 0);
            model[text] = 1;
          }
          break;
        case 2:
          if (t.eraseForTest(k)) {
            ASSERT_EQ(model.erase(text), 1u) << text;
          } else {
            if (!evicting) {
              ASSERT_EQ(model.count(text), 0u) << text;
            }
            model.erase(text);
          }
          break;
        default:
          if (const WindowCounter* c = t.find(k)) {
            ASSERT_EQ(model.count(text), 1u) << text;
            ASSERT_EQ(c->current, model[text]) << text;
          } else if (!evicting) {
            ASSERT_EQ(model.count(text), 0u) << text;
          }
          break;
      }
      ASSERT_LE(t.size(), limit);
      ASSERT_LE(2 * t.size(), t.slots());
    }
    size_t held = 0;
    for (const auto& [text, n] : model) {
      auto [unused, k] = key(std::stoi(text.substr(7)));
      if (const WindowCounter* c = t.find(k)) {
        EXPECT_EQ(c->current, n) << text;
        ++held;
      }
    }
    EXPECT_EQ(held, t.size());
    if (limit == 500) {
      EXPECT_EQ(held, model.size());  // nothing evicted below the limit
      EXPECT_EQ(t.evictions(), 0u);
    } else {
      EXPECT_GT(t.evictions(), 0u);
    }
  }
}

}  // namespace
}  // namespace shipgate::shield
