// SecretBytes: a secret (a value, a key, a passphrase) in libsodium's guarded memory. The buffer
// is sodium_malloc'd (guard pages around it, mlock'd where the system allows), wiped with
// sodium_memzero and freed when the object dies or is moved from. It is move-only, has no
// operator<< and no conversion to a string, so a secret cannot reach a log line or a Status
// message by accident; code that must hand the bytes on does so through data()/size().
//
// Thread-safety: like a std::vector (one writer or many readers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::secrets {

// Initialises libsodium once for the process (thread-safe). Internal unless libsodium cannot
// start (no entropy source), which every entry point of this library reports.
Status sodiumReady();

class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zero bytes. Aborts only when guarded memory cannot be allocated at all (out of
  // memory), as new would.
  explicit SecretBytes(size_t size);
  // A copy of `bytes` (the caller wipes its own copy).
  static SecretBytes copyOf(std::string_view bytes);
  // `size` random bytes (randombytes_buf).
  static SecretBytes random(size_t size);

  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The bytes as a view, for handing them to a sink that wipes or never stores them.
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  // Constant-time comparison (sodium_memcmp); different sizes compare unequal.
  bool equals(const SecretBytes& other) const;
  // Keeps the first `size` bytes (size <= size()); the tail is wiped.
  void shrink(size_t size);

 private:
  void release();

  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace shipgate::secrets
