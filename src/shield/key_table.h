// KeyTable: the keys of one RateLimiter shard and their sliding-window counters, in one flat
// open-addressing table. Private to shield (rate_limiter.cc and its tests).
//
// Layout: linear probing over 64-byte entries, one cache line each, stored in the table itself
// (a lookup touches the lines of its probe sequence only: one, usually). An entry holds the
// counter, the key as RateKey prepared it (26 bytes, zero-padded, with its size and digest flag)
// and the low 32 bits of its hash; the home slot is (hash_low * slots) >> 32, so a key is hashed
// once per request whatever the table's size. Load factor at most 1/2: the table has two slots
// per key of capacity and grows by doubling (from 8 keys) up to `limit` keys.
//
// Deletion: backward shift (no tombstones): the entries after the emptied slot move back into
// it unless their home lies cyclically between the gap and themselves, so every probe sequence
// stays unbroken and lookups stop at the first empty slot.
//
// Room for a new key (insert): each new key moves a CLOCK hand one slot and drops the entry
// under it when idle (counters older than the previous window and not blocked: they would read
// as zero; not an eviction). Below capacity, that is all; at capacity below `limit`, the table
// doubles; at `limit`, the hand sweeps, lowering each key's level by one (a new key starts at 1,
// a key found again goes to 2), and evicts the first idle key or key at level 0 (an eviction).
// So a key in use outlives keys seen once, and a flood of new keys evicts its own kind first.
//
// Thread-safety: none; the RateLimiter's shard lock guards every method except prefetch(),
// which reads an atomically published (data, size) pair and may be called without the lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "shipgate/shield/rate_limiter.h"

namespace shipgate::shield {

struct WindowCounter {
  int64_t window = 0;         // index of the current fixed window
  int64_t current = 0;        // requests counted in the current window
  int64_t previous = 0;       // requests counted in the previous window
  int64_t blocked_until = 0;  // monotonic ns; 0 = not blocked
};

class KeyTable {
 public:
  // One key: one cache line. `key` is RateKey::bytes_ (26 key bytes, zero-padded, then the tag:
  // size | digest << 5 | used << 6); an empty slot has tag 0.
  struct alignas(64) Entry {
    WindowCounter counter;
    unsigned char key[RateKey::kKeyBytes + 1] = {};
    // CLOCK level: 1 for a new key, 2 once found again; the hand lowers it by one each time it
    // passes and evicts a key at 0.
    uint8_t level = 0;
    uint32_t hash_low = 0;  // the hash's low 32 bits: the entry's home slot
    bool used() const { return key[RateKey::kKeyBytes] != 0; }
  };

  // REQUIRES: limit > 0 (the most keys the table holds).
  explicit KeyTable(size_t limit);
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // The counter of `key`, or null. Marks the key as used again (its CLOCK level goes to 2).
  WindowCounter* find(const RateKey& key);
  // Adds `key` (REQUIRES: not present) with `counter`, making room first as the file comment
  // says, at `window` / `now` (for idleness). The returned reference is valid until the next
  // insert.
  WindowCounter& insert(const RateKey& key, const WindowCounter& counter, int64_t window,
                        int64_t now);
  // Starts loading the line where `key`'s probe sequence begins. Lock-free (see above).
  void prefetch(const RateKey& key) const;

  size_t size() const { return count_; }                 // keys held
  size_t capacity() const { return table_.size() / 2; }  // keys before the next growth
  size_t limit() const { return limit_; }
  size_t slots() const { return table_.size(); }
  uint64_t evictions() const { return evictions_; }
  size_t memoryBytes() const;
  static constexpr size_t kEntryBytes = 64;

  // Test hooks: the slot `key` is stored in, and removal of a key (backward shift).
  std::optional<size_t> slotOfForTest(const RateKey& key) const;
  bool eraseForTest(const RateKey& key);
  // The slot a key with this hash starts probing at.
  size_t homeForTest(uint64_t hash) const { return home(static_cast<uint32_t>(hash)); }

 private:
  size_t home(uint32_t hash_low) const {
    return static_cast<size_t>((static_cast<uint64_t>(hash_low) * table_.size()) >> 32);
  }
  size_t next(size_t i) const { return i + 1 == table_.size() ? 0 : i + 1; }
  std::optional<size_t> findSlot(const RateKey& key) const;
  void erase(size_t i);
  void dropAt(size_t at);
  void grow();
  void makeRoom(int64_t window, int64_t now);

  std::vector<Entry> table_;
  size_t count_ = 0;
  size_t hand_ = 0;  // CLOCK hand into table_
  uint64_t evictions_ = 0;
  size_t limit_;
  // The table's address and size as prefetch() reads them without the lock (published by
  // grow(); a stale pair only makes the hint useless, never wrong: prefetching cannot fault).
  std::atomic<const void*> published_data_{nullptr};
  std::atomic<size_t> published_size_{0};
};

}  // namespace shipgate::shield
