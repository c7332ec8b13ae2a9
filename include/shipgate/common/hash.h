// A fast, non-cryptographic hash of a byte string, for the slot of a small cache whose entries
// keep the exact key (a collision costs a recomputation, never a wrong answer). Thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace shipgate {

// 16 bytes per step through a 64x64->128-bit multiply, folded (the last step reads the last 16
// bytes, overlapping); the length is mixed in first. Not for keys an attacker can choose to
// collide where a collision costs more than a recomputation.
inline uint64_t hashBytes(std::string_view s) {
  constexpr uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
  auto fold = [](uint64_t a, uint64_t b) {
    const unsigned __int128 m = static_cast<unsigned __int128>(a) * b;
    return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  };
  auto load = [](const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = k0 ^ (n * k1);
  if (n < 16) {
    uint64_t a = 0, b = 0;
    if (n >= 8) {
      a = load(p);
      b = load(p + n - 8);
    } else {
      for (size_t i = 0; i < n; ++i) a |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    }
    return fold(a ^ k0, b ^ h);
  }
  for (; n > 16; p += 16, n -= 16) h = fold(load(p) ^ k0, load(p + 8) ^ h);
  return fold(load(p + n - 16) ^ k1, load(p + n - 8) ^ h);
}

}  // namespace shipgate
