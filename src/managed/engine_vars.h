// VarTable: the engine collections of one transaction (TX, and IP, GLOBAL, ... kept per
// transaction), "collection.name" (lower-case) -> value, for one Scratch (one thread).
//
// Built for reuse across requests: a name keeps its slot, and the slot its string buffers, after
// clear(), so a warm table allocates nothing for the names the rule set sets on every request
// (tx.anomaly_score, tx.sql_injection_score, ...). Names come and go per request (setvar,
// setvar:!name, the capture variables tx.0-tx.9); clear() forgets every value. Names built from
// request data (tx.header_name_<name>) would grow the table without bound across requests, so
// clear() drops every slot once the table holds more than kMaxSlots names.
//
// Lookups take the key's hash (VarTable::hash(key)), which callers compute once at load for
// the names written in the rules. Iteration (forEachSlot, forEach) visits the live names in the
// order this transaction made them live, not in slot order (which the names earlier transactions
// gave the table decide): a walk of TX, and the MATCHED_VAR_NAME it leaves, follow the request.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace shipgate::managed::engine_internal {

class VarTable {
 public:
  static constexpr size_t kMaxSlots = 4096;

  static uint64_t hash(std::string_view key) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ key.size();
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, key.data() + i, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdULL;
      h ^= h >> 32;
    }
    uint64_t w = 0;
    std::memcpy(&w, key.data() + i, key.size() - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return h;
  }

  // Forgets every value (and, past kMaxSlots names, every name but the pinned ones).
  void clear() {
    if (slots_.size() > kMaxSlots) {
      ++layout_;
      slots_.clear();
      index_.assign(index_.size(), 0);
      for (Pin& p : pins_) p.slot = static_cast<uint32_t>(insert(p.key, p.hash) - slots_.data());
    }
    for (Slot& s : slots_) s.live = false;
    live_order_.clear();
  }

  // Slot numbers stay valid until clear() forgets the names (past kMaxSlots), which changes
  // layout(): a caller that keeps slot numbers checks it first.
  uint32_t layout() const { return layout_; }
  // The slot number of `key` (given a slot if it had none).
  uint32_t slotOf(std::string_view key, uint64_t h) {
    Slot* s = slot(key, h);
    if (!s) s = insert(key, h);
    return static_cast<uint32_t>(s - slots_.data());
  }
  // set() of the name in slot number `i`.
  std::string& setSlot(uint32_t i) { return makeLive(slots_[i]); }

  // Gives `key` a slot for good (clear() keeps it) and returns its pin number, for setPinned and
  // erasePinned, which reach it without hashing or probing: the capture variables tx.0-tx.9 are
  // set and erased on every match of a capturing rule (CRS 920450 matches every header name).
  size_t pin(std::string_view key, uint64_t h) {
    Slot* s = slot(key, h);
    if (!s) s = insert(key, h);
    pins_.push_back(Pin{std::string(key), h, static_cast<uint32_t>(s - slots_.data())});
    return pins_.size() - 1;
  }
  size_t pinCount() const { return pins_.size(); }

  // find(), set() and erase() of pinned name p.
  const std::string* findPinned(size_t p) const {
    const Slot& s = slots_[pins_[p].slot];
    return s.live ? &s.value : nullptr;
  }
  std::string& setPinned(size_t p) { return makeLive(slots_[pins_[p].slot]); }
  void erasePinned(size_t p) { slots_[pins_[p].slot].live = false; }

  // The value of a live name, or null.
  const std::string* find(std::string_view key, uint64_t h) const {
    const Slot* s = slot(key, h);
    return s && s->live ? &s->value : nullptr;
  }

  // The value of `key`, made live (an empty string when it was not).
  std::string& set(std::string_view key, uint64_t h) {
    Slot* s = slot(key, h);
    if (!s) s = insert(key, h);
    return makeLive(*s);
  }

  void erase(std::string_view key, uint64_t h) {
    Slot* s = slot(key, h);
    if (s) s->live = false;
  }

  size_t slotCount() const { return slots_.size(); }

  // f(slot number, key, value) for every live name, in the order this transaction made them
  // live (a name erased and set again comes where it was set again).
  template <typename F>
  void forEachSlot(F&& f) const {
    for (size_t pos = 0; pos < live_order_.size(); ++pos) {
      const uint32_t i = live_order_[pos];
      const Slot& s = slots_[i];
      if (s.live && s.order == pos) f(i, std::string_view(s.key), std::string_view(s.value));
    }
  }

  // f(key, value) for every live name, in the same order.
  template <typename F>
  void forEach(F&& f) const {
    forEachSlot([&](uint32_t, std::string_view k, std::string_view v) { f(k, v); });
  }

 private:
  struct Slot {
    std::string key, value;
    uint64_t hash = 0;
    uint32_t order = 0;  // its place in live_order_ while live
    bool live = false;
  };

  std::string& makeLive(Slot& s) {
    if (!s.live) {
      s.live = true;
      s.value.clear();
      s.order = static_cast<uint32_t>(live_order_.size());
      live_order_.push_back(static_cast<uint32_t>(&s - slots_.data()));
    }
    return s.value;
  }

  Slot* slot(std::string_view key, uint64_t h) const {
    if (index_.empty()) return nullptr;
    size_t mask = index_.size() - 1;
    for (size_t i = h & mask; index_[i] != 0; i = (i + 1) & mask) {
      const Slot& s = slots_[index_[i] - 1];
      if (s.hash == h && s.key == key) return const_cast<Slot*>(&s);
    }
    return nullptr;
  }

  Slot* insert(std::string_view key, uint64_t h) {
    if ((slots_.size() + 1) * 2 > index_.size()) {
      index_.assign(index_.empty() ? 256 : index_.size() * 2, 0);
      size_t mask = index_.size() - 1;
      for (size_t k = 0; k < slots_.size(); ++k) {
        size_t i = slots_[k].hash & mask;
        while (index_[i] != 0) i = (i + 1) & mask;
        index_[i] = static_cast<uint32_t>(k + 1);
      }
    }
    slots_.emplace_back();
    Slot& s = slots_.back();
    s.key.assign(key);
    s.hash = h;
    size_t mask = index_.size() - 1;
    size_t i = h & mask;
    while (index_[i] != 0) i = (i + 1) & mask;
    index_[i] = static_cast<uint32_t>(slots_.size());
    return &s;
  }

  struct Pin {
    std::string key;
    uint64_t hash;
    uint32_t slot;  // index into slots_
  };

  std::vector<Slot> slots_;
  std::vector<Pin> pins_;
  std::vector<uint32_t> index_;  // open addressing: slot index + 1, 0 = empty
  // The slots in the order they were made live since clear(); an entry whose slot was erased,
  // or made live again later (its `order` is another place), is skipped.
  std::vector<uint32_t> live_order_;
  uint32_t layout_ = 0;
};

}  // namespace shipgate::managed::engine_internal
