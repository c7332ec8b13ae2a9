// Challenge: the managed challenge. A client that must prove it runs a browser gets a page
// (status 403, as on Cloudflare) whose script finds a proof of work for a server-issued nonce
// and stores it in the cookie `sg_clearance=<nonce>.<counter>` (Path=/, SameSite=Lax,
// Max-Age=ttl, Secure on https), then reloads. The next request carries the cookie and
// verifyCookie() lets it through. Clients that run no script never get the cookie and keep
// receiving the page.
//
// Nonce (all ASCII, cookie-safe):  v1.<bits>.<exp>.<salt>.<iptag>.<uatag>.<mac>
//   bits   required leading zero bits of the proof of work (decimal)
//   exp    expiry, Unix seconds (issue time + ttl)
//   salt   16 hex digits of randomness
//   iptag  first 16 hex digits of HMAC-SHA256(secret, "ip|" + canonical client IP)
//   uatag  first 16 hex digits of HMAC-SHA256(secret, "ua|" + User-Agent)
//   mac    64 hex digits of HMAC-SHA256(secret, "sg_clearance|" + everything before the mac)
// Proof of work: the cookie value `<nonce>.<counter>` (counter in decimal, no leading zeros)
// whose SHA-256 starts with `bits` zero bits. Expected cost 2^bits hashes (16 bits: ~65k, a
// fraction of a second in a browser); verification costs one SHA-256 and three HMACs.
//
// verifyCookie checks, in order, and reports the first failure:
//   malformed (syntax, lengths) -> bad_signature (mac) -> expired -> wrong_ip -> wrong_user_agent
//   -> insufficient_work (bits below the configured difficulty, or the hash lacks the zeros).
// All secret-dependent comparisons are constant time (CRYPTO_memcmp).
//
// Secret: ChallengeConfig::secret (>= 16 bytes) or, when empty, 32 random bytes drawn at
// create(); then cookies do not survive a restart and are not shared between instances.
//
// Thread-safety: immutable after create(); every method is const and may be called from any
// thread. The Clock must outlive the Challenge.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"

namespace shipgate::shield {

inline constexpr std::string_view kClearanceCookieName = "sg_clearance";

struct ChallengeConfig {
  std::string secret;              // HMAC key; empty = random per process
  int difficulty_bits = 16;        // 1..32
  std::chrono::seconds ttl{3600};  // lifetime of a clearance (and of an issued nonce)
};

enum class CookieVerdict {
  kValid,
  kMalformed,
  kBadSignature,
  kExpired,
  kWrongIp,
  kWrongUserAgent,
  kInsufficientWork,
};
// "valid", "malformed", "bad_signature", "expired", "wrong_ip", "wrong_user_agent",
// "insufficient_work".
std::string_view toString(CookieVerdict verdict);

struct CookieCheck {
  bool valid = false;
  CookieVerdict reason = CookieVerdict::kMalformed;
};

struct ChallengePage {
  int status = 403;
  std::string content_type = "text/html; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // Cache-Control, CSP, ...
  std::string body;
};

class Challenge {
 public:
  // invalidArgument for a short secret, bits outside 1..32 or ttl <= 0.
  static Result<std::unique_ptr<Challenge>> create(ChallengeConfig config, const Clock& clock);
  ~Challenge();

  // A fresh nonce bound to the client, expiring ttl from now (Clock::wallMillis when omitted).
  std::string issueNonce(std::string_view client_ip, std::string_view user_agent) const;
  std::string issueNonce(std::string_view client_ip, std::string_view user_agent,
                         int64_t now_wall_ms) const;
  // The challenge page for this client (issues a nonce).
  ChallengePage page(std::string_view client_ip, std::string_view user_agent) const;

  // Checks the value of the sg_clearance cookie (without the name). now: Clock::wallMillis.
  CookieCheck verifyCookie(std::string_view cookie_value, std::string_view client_ip,
                           std::string_view user_agent) const;
  CookieCheck verifyCookie(std::string_view cookie_value, std::string_view client_ip,
                           std::string_view user_agent, int64_t now_wall_ms) const;

  int difficultyBits() const { return config_.difficulty_bits; }
  std::chrono::seconds ttl() const { return config_.ttl; }

 private:
  Challenge(ChallengeConfig config, const Clock& clock);
  std::string tag(std::string_view domain, std::string_view value) const;
  std::string mac(std::string_view signed_part) const;

  ChallengeConfig config_;
  const Clock& clock_;
};

// The page served for `nonce` (HTML with the inline solver script) and its headers; the CSP
// allows exactly that inline script by hash. Used by Challenge::page; public for tests.
ChallengePage renderChallengePage(std::string_view nonce, int difficulty_bits,
                                  std::chrono::seconds ttl);

// Leading zero bits of a 32-byte SHA-256 digest.
int leadingZeroBits(const unsigned char* digest);
// Searches counters 0..max_iterations-1 for one where SHA-256("<nonce>.<counter>") has `bits`
// leading zero bits: the same algorithm as the page's script. nullopt when none was found.
std::optional<uint64_t> solveProofOfWork(std::string_view nonce, int bits,
                                         uint64_t max_iterations = uint64_t{1} << 36);

// The value of the sg_clearance cookie in a Cookie header ("a=1; sg_clearance=...; b=2"), or
// nullopt. The first occurrence wins. The view points into `cookie_header`, which must outlive
// it (beware of headers returned by value).
std::optional<std::string_view> findClearanceCookie(std::string_view cookie_header);

}  // namespace shipgate::shield
