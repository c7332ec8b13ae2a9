// KeyTable: open addressing, backward-shift deletion, CLOCK eviction. See key_table.h.
#include "key_table.h"

#include <algorithm>
#include <cstring>

namespace shipgate::shield {
namespace {

constexpr size_t kMinKeys = 8;  // a table's first capacity
constexpr size_t kTagAt = RateKey::kKeyBytes;

static_assert(sizeof(KeyTable::Entry) == KeyTable::kEntryBytes);
static_assert(RateKey::kKeyBytes < 32);  // the size takes 5 bits of the tag

uint64_t load8(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The 27 bytes of key and tag, compared as four overlapping 8-byte words.
bool sameKey(const unsigned char* a, const unsigned char* b) {
  static_assert(kTagAt + 1 == 27);
  return ((load8(a) ^ load8(b)) | (load8(a + 8) ^ load8(b + 8)) | (load8(a + 16) ^ load8(b + 16)) |
          (load8(a + 19) ^ load8(b + 19))) == 0;
}

// Idle for two windows and not blocked: its counters would read as zero.
bool idle(const WindowCounter& c, int64_t window, int64_t now) {
  return c.window < window - 1 && c.blocked_until <= now;
}

}  // namespace

KeyTable::KeyTable(size_t limit) : limit_(limit) {}

std::optional<size_t> KeyTable::findSlot(const RateKey& key) const {
  if (table_.empty()) return std::nullopt;
  const auto low = static_cast<uint32_t>(key.hash_);
  for (size_t i = home(low);; i = next(i)) {
    const Entry& e = table_[i];
    if (!e.used()) return std::nullopt;
    if (e.hash_low == low && sameKey(e.key, key.bytes_)) return i;
  }
}

WindowCounter* KeyTable::find(const RateKey& key) {
  const std::optional<size_t> at = findSlot(key);
  if (!at) return nullptr;
  Entry& e = table_[*at];
  e.level = 2;
  return &e.counter;
}

WindowCounter& KeyTable::insert(const RateKey& key, const WindowCounter& counter, int64_t window,
                                int64_t now) {
  makeRoom(window, now);
  const auto low = static_cast<uint32_t>(key.hash_);
  size_t i = home(low);
  while (table_[i].used()) i = next(i);
  Entry& e = table_[i];
  e.counter = counter;
  std::memcpy(e.key, key.bytes_, sizeof e.key);
  e.level = 1;
  e.hash_low = low;
  ++count_;
  return e.counter;
}

void KeyTable::prefetch(const RateKey& key) const {
  const auto* data = static_cast<const Entry*>(published_data_.load(std::memory_order_relaxed));
  const size_t size = published_size_.load(std::memory_order_relaxed);
  if (data == nullptr) return;
  const auto low = static_cast<uint64_t>(static_cast<uint32_t>(key.hash_));
  __builtin_prefetch(data + ((low * size) >> 32));
}

size_t KeyTable::memoryBytes() const { return sizeof(*this) + table_.capacity() * sizeof(Entry); }

std::optional<size_t> KeyTable::slotOfForTest(const RateKey& key) const { return findSlot(key); }

bool KeyTable::eraseForTest(const RateKey& key) {
  const std::optional<size_t> at = findSlot(key);
  if (!at) return false;
  erase(*at);
  return true;
}

void KeyTable::erase(size_t i) {
  for (size_t j = next(i);; j = next(j)) {
    if (!table_[j].used()) break;
    const size_t k = home(table_[j].hash_low);
    // The entry at j may move to i unless its home lies cyclically in (i, j].
    const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    table_[i] = table_[j];
    i = j;
  }
  table_[i] = Entry{};
  --count_;
}

// Erases slot `at` and leaves the hand on it: backward shifting may have moved a key the hand
// has not seen yet into it.
void KeyTable::dropAt(size_t at) {
  erase(at);
  hand_ = at;
}

void KeyTable::grow() {
  const size_t cap = std::min(limit_, std::max(kMinKeys, 2 * capacity()));
  std::vector<Entry> old(2 * cap);
  old.swap(table_);
  hand_ = 0;
  for (const Entry& e : old) {
    if (!e.used()) continue;
    size_t i = home(e.hash_low);
    while (table_[i].used()) i = next(i);
    table_[i] = e;
  }
  published_data_.store(table_.data(), std::memory_order_relaxed);
  published_size_.store(table_.size(), std::memory_order_relaxed);
}

void KeyTable::makeRoom(int64_t window, int64_t now) {
  if (!table_.empty()) {
    if (hand_ >= table_.size()) hand_ = 0;
    const size_t at = hand_++;
    if (table_[at].used() && idle(table_[at].counter, window, now)) return dropAt(at);
  }
  if (count_ < capacity()) return;
  if (capacity() < limit_) return grow();
  for (;;) {  // at most three sweeps: each lowers every level by one
    if (hand_ >= table_.size()) hand_ = 0;
    const size_t at = hand_++;
    Entry& e = table_[at];
    if (!e.used()) continue;
    if (idle(e.counter, window, now)) return dropAt(at);
    if (e.level > 0) {
      --e.level;
      continue;
    }
    ++evictions_;
    return dropAt(at);
  }
}

}  // namespace shipgate::shield
