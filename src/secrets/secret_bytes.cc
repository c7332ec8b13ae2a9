#include "shipgate/secrets/secret_bytes.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace shipgate::secrets {

Status sodiumReady() {
  // sodium_init is thread-safe and returns 1 once it has run; -1 means no usable entropy.
  static const int kInit = sodium_init();
  if (kInit < 0) return Status::internal("libsodium cannot start (no entropy source?)");
  return Status::success();
}

SecretBytes::SecretBytes(size_t size) : size_(size) {
  (void)sodiumReady();
  // sodium_malloc(0) is allowed but gives nothing to write into; one byte keeps data() valid.
  data_ = static_cast<unsigned char*>(sodium_malloc(size == 0 ? 1 : size));
  if (data_ == nullptr) std::abort();
  sodium_memzero(data_, size == 0 ? 1 : size);
}

SecretBytes SecretBytes::copyOf(std::string_view bytes) {
  SecretBytes out(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data_, bytes.data(), bytes.size());
  return out;
}

SecretBytes SecretBytes::random(size_t size) {
  SecretBytes out(size);
  randombytes_buf(out.data_, size);
  return out;
}

SecretBytes::~SecretBytes() { release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

bool SecretBytes::equals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data_, size_) == 0;
}

void SecretBytes::shrink(size_t size) {
  if (size >= size_) return;
  sodium_memzero(data_ + size, size_ - size);
  size_ = size;
}

void SecretBytes::release() {
  if (data_ == nullptr) return;
  // sodium_free wipes too; the explicit wipe states the contract rather than relying on it.
  sodium_memzero(data_, size_ == 0 ? 1 : size_);
  sodium_free(data_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace shipgate::secrets
