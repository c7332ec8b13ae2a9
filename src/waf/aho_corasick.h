// Private: Aho-Corasick multi-pattern substring matcher ("does the text contain any of these
// literals?") over a byte-class-compressed DFA. Immutable after construction; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shipgate::waf {

class AhoCorasick {
 public:
  explicit AhoCorasick(const std::vector<std::string>& patterns);
  // True when `text` contains at least one pattern. Linear in text size.
  bool containsAny(std::string_view text) const;
  size_t stateCount() const { return accepting_.size(); }

 private:
  std::array<uint16_t, 256> byte_class_{};
  uint32_t classes_ = 1;
  std::vector<uint32_t> delta_;  // state * classes_ + class -> next state
  std::vector<uint8_t> accepting_;
  // delta_ with targets pre-multiplied by classes_, plus kAcceptBit on accepting targets.
  static constexpr uint32_t kAcceptBit = 1u << 31;
  std::vector<uint32_t> row_delta_;
  bool matches_empty_ = false;
};

}  // namespace shipgate::waf
