#include "shipgate/net/ticket_keys.h"

#include <openssl/rand.h>

#include <memory>

namespace shipgate::net {
namespace {

bool randomKey(TicketKey* key) {
  return RAND_bytes(key->name.data(), static_cast<int>(key->name.size())) == 1 &&
         RAND_bytes(key->aes_key.data(), static_cast<int>(key->aes_key.size())) == 1 &&
         RAND_bytes(key->hmac_key.data(), static_cast<int>(key->hmac_key.size())) == 1;
}

}  // namespace

Result<std::unique_ptr<TicketKeyRing>> TicketKeyRing::create(Clock& clock,
                                                             std::chrono::nanoseconds rotation) {
  if (rotation <= std::chrono::nanoseconds::zero()) {
    return Status::invalidArgument("ticket key rotation must be positive");
  }
  std::unique_ptr<TicketKeyRing> ring(new TicketKeyRing(clock, rotation));
  MutexLock lock(ring->mu_);
  if (!randomKey(&ring->current_)) return Status::internal("RAND_bytes failed for a ticket key");
  ring->next_rotation_ = clock.now() + rotation;
  return ring;
}

bool TicketKeyRing::rotateIfDue() {
  const Clock::time_point now = clock_.now();
  if (now < next_rotation_) return true;
  const auto periods = (now - next_rotation_) / rotation_ + 1;
  TicketKey fresh;
  if (!randomKey(&fresh)) return false;
  if (periods == 1) {
    previous_ = current_;
  } else {
    previous_.reset();  // the current key is older than a whole period: open nothing it sealed
  }
  current_ = fresh;
  next_rotation_ += periods * rotation_;
  return true;
}

std::optional<TicketKey> TicketKeyRing::sealingKey() {
  MutexLock lock(mu_);
  if (!rotateIfDue()) return std::nullopt;
  return current_;
}

std::optional<TicketKey> TicketKeyRing::openingKey(const std::array<unsigned char, 16>& name,
                                                   bool* renew) {
  MutexLock lock(mu_);
  (void)rotateIfDue();
  if (name == current_.name) {
    *renew = false;
    return current_;
  }
  if (previous_ && name == previous_->name) {
    *renew = true;
    return previous_;
  }
  return std::nullopt;
}

}  // namespace shipgate::net
