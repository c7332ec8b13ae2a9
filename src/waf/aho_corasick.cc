// Aho-Corasick: trie, failure links by BFS, then a full DFA over byte classes.
#include "aho_corasick.h"

#include <deque>

namespace shipgate::waf {

AhoCorasick::AhoCorasick(const std::vector<std::string>& patterns) {
  // Byte classes: every byte that occurs in a pattern gets its own class; all others share 0.
  for (const std::string& p : patterns) {
    if (p.empty()) matches_empty_ = true;
    for (char c : p) {
      auto u = static_cast<unsigned char>(c);
      if (byte_class_[u] == 0) byte_class_[u] = static_cast<uint16_t>(classes_++);
    }
  }
  constexpr uint32_t kNone = UINT32_MAX;
  // Trie with sparse children in the dense rows (kNone = absent).
  delta_.assign(classes_, kNone);
  accepting_.assign(1, 0);
  for (const std::string& p : patterns) {
    uint32_t s = 0;
    for (char c : p) {
      uint32_t cls = byte_class_[static_cast<unsigned char>(c)];
      uint32_t& next = delta_[s * classes_ + cls];
      if (next == kNone) {
        next = static_cast<uint32_t>(accepting_.size());
        accepting_.push_back(0);
        delta_.resize(delta_.size() + classes_, kNone);
      }
      s = delta_[s * classes_ + cls];
    }
    accepting_[s] = 1;
  }
  // BFS: fill missing transitions from the failure state; propagate accepting flags.
  std::vector<uint32_t> fail(accepting_.size(), 0);
  std::deque<uint32_t> queue;
  for (uint32_t c = 0; c < classes_; ++c) {
    uint32_t& next = delta_[c];
    if (next == kNone) {
      next = 0;
    } else {
      fail[next] = 0;
      queue.push_back(next);
    }
  }
  while (!queue.empty()) {
    uint32_t s = queue.front();
    queue.pop_front();
    if (accepting_[fail[s]]) accepting_[s] = 1;
    for (uint32_t c = 0; c < classes_; ++c) {
      uint32_t& next = delta_[s * classes_ + c];
      if (next == kNone) {
        next = delta_[fail[s] * classes_ + c];
      } else {
        fail[next] = delta_[fail[s] * classes_ + c];
        queue.push_back(next);
      }
    }
  }
  row_delta_.resize(delta_.size());
  for (size_t i = 0; i < delta_.size(); ++i) {
    row_delta_[i] = delta_[i] * classes_ | (accepting_[delta_[i]] ? kAcceptBit : 0);
  }
}

bool AhoCorasick::containsAny(std::string_view text) const {
  if (matches_empty_) return true;
  // States are row offsets (state * classes_): one load and one add per byte.
  // Accepting targets carry kAcceptBit, so one dependent load per byte.
  uint32_t s = 0;
  const uint32_t* row = row_delta_.data();
  const uint16_t* cls = byte_class_.data();
  for (char c : text) {
    s = row[s + cls[static_cast<unsigned char>(c)]];
    if (s & kAcceptBit) return true;
  }
  return false;
}

}  // namespace shipgate::waf
