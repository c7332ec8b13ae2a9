// Challenge: nonce issuing and clearance-cookie verification. See challenge.h.
#include "shipgate/shield/challenge.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

#include "cidr.h"
#include "shipgate/http/cookies.h"

namespace shipgate::shield {
namespace {

constexpr size_t kMaxCookieBytes = 512;
constexpr size_t kTagHex = 16;
constexpr size_t kSaltHex = 16;
constexpr size_t kMacHex = 64;
constexpr std::string_view kVersion = "v1";

std::string toHex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

bool isLowerHex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Decimal without sign or leading zeros ("0" allowed), at most max_digits, fits in uint64.
std::optional<uint64_t> parseDecimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

bool equalConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view toString(CookieVerdict v) {
  switch (v) {
    case CookieVerdict::kValid:
      return "valid";
    case CookieVerdict::kMalformed:
      return "malformed";
    case CookieVerdict::kBadSignature:
      return "bad_signature";
    case CookieVerdict::kExpired:
      return "expired";
    case CookieVerdict::kWrongIp:
      return "wrong_ip";
    case CookieVerdict::kWrongUserAgent:
      return "wrong_user_agent";
    case CookieVerdict::kInsufficientWork:
      return "insufficient_work";
  }
  return "unknown";
}

int leadingZeroBits(const unsigned char* digest) {
  int z = 0;
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    if (digest[i] == 0) {
      z += 8;
      continue;
    }
    return z + __builtin_clz(static_cast<unsigned>(digest[i])) - 24;
  }
  return z;
}

std::optional<uint64_t> solveProofOfWork(std::string_view nonce, int bits,
                                         uint64_t max_iterations) {
  std::string buf(nonce);
  buf.push_back('.');
  const size_t prefix = buf.size();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  for (uint64_t c = 0; c < max_iterations; ++c) {
    buf.resize(prefix);
    buf += std::to_string(c);
    SHA256(reinterpret_cast<const unsigned char*>(buf.data()), buf.size(), digest);
    if (leadingZeroBits(digest) >= bits) return c;
  }
  return std::nullopt;
}

std::optional<std::string_view> findClearanceCookie(std::string_view header) {
  // Cookie names match exactly, so a header without the name's bytes holds no clearance: most
  // requests are ruled out by one substring search instead of parsing every cookie.
  if (header.find(kClearanceCookieName) == std::string_view::npos) return std::nullopt;
  return http::findCookie(header, kClearanceCookieName);
}

Challenge::Challenge(ChallengeConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}
Challenge::~Challenge() { OPENSSL_cleanse(config_.secret.data(), config_.secret.size()); }

Result<std::unique_ptr<Challenge>> Challenge::create(ChallengeConfig config, const Clock& clock) {
  if (config.difficulty_bits < 1 || config.difficulty_bits > 32) {
    return Status::invalidArgument("challenge: difficulty_bits must be in 1..32, got " +
                                   std::to_string(config.difficulty_bits));
  }
  if (config.ttl.count() <= 0 || config.ttl.count() > 366LL * 86400) {
    return Status::invalidArgument("challenge: ttl must be in 1 s..366 days");
  }
  if (config.secret.empty()) {
    config.secret.resize(32);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(config.secret.data()), 32) != 1) {
      return Status::internal("challenge: RAND_bytes failed");
    }
  } else if (config.secret.size() < 16) {
    return Status::invalidArgument("challenge: secret must be at least 16 bytes");
  }
  return std::unique_ptr<Challenge>(new Challenge(std::move(config), clock));
}

std::string Challenge::mac(std::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), config_.secret.data(), static_cast<int>(config_.secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return toHex(out, len);
}

std::string Challenge::tag(std::string_view domain, std::string_view value) const {
  std::string msg(domain);
  msg += '|';
  msg.append(value);
  return mac(msg).substr(0, kTagHex);
}

std::string Challenge::issueNonce(std::string_view ip, std::string_view ua) const {
  return issueNonce(ip, ua, clock_.wallMillis());
}

std::string Challenge::issueNonce(std::string_view ip, std::string_view ua,
                                  int64_t now_wall_ms) const {
  unsigned char salt[kSaltHex / 2];
  if (RAND_bytes(salt, sizeof(salt)) != 1) {
    // Fall back to a hash of the time: the nonce stays unique enough and still signed.
    std::string t = std::to_string(now_wall_ms);
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(t.data()), t.size(), d);
    std::copy(d, d + sizeof(salt), salt);
  }
  int64_t exp = now_wall_ms / 1000 + config_.ttl.count();
  std::string nonce(kVersion);
  nonce += '.' + std::to_string(config_.difficulty_bits);
  nonce += '.' + std::to_string(exp);
  nonce += '.' + toHex(salt, sizeof(salt));
  nonce += '.' + tag("ip", canonicalIp(ip));
  nonce += '.' + tag("ua", ua);
  nonce += '.' + mac("sg_clearance|" + nonce);
  return nonce;
}

ChallengePage Challenge::page(std::string_view ip, std::string_view ua) const {
  return renderChallengePage(issueNonce(ip, ua), config_.difficulty_bits, config_.ttl);
}

CookieCheck Challenge::verifyCookie(std::string_view value, std::string_view ip,
                                    std::string_view ua) const {
  return verifyCookie(value, ip, ua, clock_.wallMillis());
}

CookieCheck Challenge::verifyCookie(std::string_view value, std::string_view ip,
                                    std::string_view ua, int64_t now_wall_ms) const {
  auto fail = [](CookieVerdict v) { return CookieCheck{false, v}; };
  if (value.empty() || value.size() > kMaxCookieBytes) return fail(CookieVerdict::kMalformed);
  // v1 . bits . exp . salt . iptag . uatag . mac . counter
  std::array<std::string_view, 8> parts;
  size_t pos = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    size_t dot = value.find('.', pos);
    if (i + 1 == parts.size()) {
      if (dot != std::string_view::npos) return fail(CookieVerdict::kMalformed);
      parts[i] = value.substr(pos);
    } else {
      if (dot == std::string_view::npos) return fail(CookieVerdict::kMalformed);
      parts[i] = value.substr(pos, dot - pos);
      pos = dot + 1;
    }
  }
  auto bits = parseDecimal(parts[1], 2);
  auto exp = parseDecimal(parts[2], 12);
  auto counter = parseDecimal(parts[7], 20);
  if (parts[0] != kVersion || !bits || !exp || !counter || !isLowerHex(parts[3], kSaltHex) ||
      !isLowerHex(parts[4], kTagHex) || !isLowerHex(parts[5], kTagHex) ||
      !isLowerHex(parts[6], kMacHex)) {
    return fail(CookieVerdict::kMalformed);
  }
  const size_t mac_start = static_cast<size_t>(parts[6].data() - value.data());
  std::string_view signed_part = value.substr(0, mac_start - 1);
  if (!equalConstantTime(mac("sg_clearance|" + std::string(signed_part)), parts[6])) {
    return fail(CookieVerdict::kBadSignature);
  }
  if (static_cast<int64_t>(*exp) <= now_wall_ms / 1000) return fail(CookieVerdict::kExpired);
  if (!equalConstantTime(tag("ip", canonicalIp(ip)), parts[4])) {
    return fail(CookieVerdict::kWrongIp);
  }
  if (!equalConstantTime(tag("ua", ua), parts[5])) return fail(CookieVerdict::kWrongUserAgent);
  if (static_cast<int>(*bits) < config_.difficulty_bits) {
    return fail(CookieVerdict::kInsufficientWork);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(value.data()), value.size(), digest);
  if (leadingZeroBits(digest) < static_cast<int>(*bits)) {
    return fail(CookieVerdict::kInsufficientWork);
  }
  return CookieCheck{true, CookieVerdict::kValid};
}

}  // namespace shipgate::shield
