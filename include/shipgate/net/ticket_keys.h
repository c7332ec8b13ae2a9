// Session-ticket keys: what seals and opens the TLS 1.2 and TLS 1.3 session tickets of every TLS
// listener, so a client resumes its session on any worker, after a reload, and (with a shared
// source) on any node.
//
// TicketKeySource is the seam: TlsServerContext asks it for the key to seal a new ticket with and
// for the key a presented ticket names. TicketKeyRing is the process-local source: random keys
// made at start (RAND_bytes), rotated every `rotation` (a new current key; the previous one still
// opens tickets for one more period, then is forgotten). A source backed by the shared state of
// several nodes is a second implementation of the same interface.
// Thread-safety: every method of both types is thread-safe (called from every worker's
// handshakes).
#pragma once

#include <array>
#include <chrono>
#include <optional>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"

namespace shipgate::net {

// One ticket key: its name (sent in the clear inside each ticket), the AES-256-CBC key and the
// HMAC-SHA256 key.
struct TicketKey {
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> aes_key{};
  std::array<unsigned char, 32> hmac_key{};
};

class TicketKeySource {
 public:
  virtual ~TicketKeySource() = default;
  // The key to seal a new ticket with; nullopt = issue no ticket (session IDs still resume).
  virtual std::optional<TicketKey> sealingKey() = 0;
  // The key named `name` while tickets sealed with it are accepted, else nullopt (the client
  // gets a full handshake). *renew is set when it is not the sealing key: the client then gets
  // a fresh ticket.
  virtual std::optional<TicketKey> openingKey(const std::array<unsigned char, 16>& name,
                                              bool* renew) = 0;
};

class TicketKeyRing final : public TicketKeySource {
 public:
  static constexpr std::chrono::hours kDefaultRotation{12};

  // Fails only when the random generator does.
  static Result<std::unique_ptr<TicketKeyRing>> create(
      Clock& clock, std::chrono::nanoseconds rotation = kDefaultRotation);

  std::optional<TicketKey> sealingKey() override;
  std::optional<TicketKey> openingKey(const std::array<unsigned char, 16>& name,
                                      bool* renew) override;

 private:
  TicketKeyRing(Clock& clock, std::chrono::nanoseconds rotation)
      : clock_(clock), rotation_(rotation) {}
  // Makes the keys due by now: one rotation moves current to previous; two or more (a clock
  // that jumped) replace both. False when the random generator fails (the old keys stay).
  bool rotateIfDue() REQUIRES(mu_);

  Clock& clock_;
  const std::chrono::nanoseconds rotation_;
  Mutex mu_;
  TicketKey current_ GUARDED_BY(mu_);
  std::optional<TicketKey> previous_ GUARDED_BY(mu_);
  Clock::time_point next_rotation_ GUARDED_BY(mu_);
};

}  // namespace shipgate::net
