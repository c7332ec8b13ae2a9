// The shared sliding window's Lua script and keys (see shared_window.h).
#include "shipgate/shield/shared_window.h"

#include <openssl/sha.h>

#include <algorithm>

namespace shipgate::shield {
namespace {

// Mirrors RateLimiter::run() in milliseconds. Numbers stay below 2^53 for any valid config
// (limit <= 10^12 requests, period <= one year), so Lua's doubles are exact where it matters.
constexpr std::string_view kScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 * i - 2])
  local period = tonumber(ARGV[3 * i - 1])
  local mit = tonumber(ARGV[3 * i])
  local win = math.floor(now / period)
  local elapsed = now - win * period
  local v = redis.call('HMGET', key, 'w', 'c', 'p', 'b')
  local w = tonumber(v[1]) or win
  local c = tonumber(v[2]) or 0
  local p = tonumber(v[3]) or 0
  local b = tonumber(v[4]) or 0
  local limited, retry, remaining, reset = 0, 0, 0, 0
  if b > now then
    limited = 1
    retry = b - now
    reset = retry
  else
    if b ~= 0 then w, c, p, b = win, 0, 0, 0 end
    if w ~= win then
      if w == win - 1 then p = c else p = 0 end
      c = 0
      w = win
    end
    local scaled = p * (period - elapsed) + c * period
    local scaled_limit = limit * period
    if scaled >= scaled_limit then
      limited = 1
      if mit > 0 then
        b = now + mit
        retry = mit
      elseif c < limit then
        retry = (period - math.floor(period * (limit - c) / p)) + 1 - elapsed
      else
        retry = (period - elapsed) + (period - math.floor(period * limit / c)) + 1
      end
      reset = retry
    else
      c = c + 1
      local left = scaled_limit - (scaled + period)
      if left > 0 then remaining = math.floor(left / period) end
      reset = period - elapsed
    end
    redis.call('HSET', key, 'w', string.format('%.0f', w), 'c', string.format('%.0f', c),
               'p', string.format('%.0f', p), 'b', string.format('%.0f', b))
    redis.call('PEXPIRE', key, 2 * period + mit)
  end
  out[i] = {limited, retry, remaining, reset}
end
return out
)lua";

int64_t ceilSecondsFromMs(int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; }

}  // namespace

std::string sharedWindowKey(std::string_view rule, std::string_view client_key) {
  std::string out = "shipgate:rl:";
  out.append(rule);
  out += ':';
  if (client_key.size() <= kMaxClientKeyBytes) {
    out.append(client_key);
    return out;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(client_key.data()), client_key.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  out += "sha256:";
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string_view sharedWindowScript() { return kScript; }

RateDecision sharedWindowDecision(int64_t limit, int64_t limited, int64_t retry_after_ms,
                                  int64_t remaining, int64_t reset_ms) {
  RateDecision d;
  d.limit = limit;
  d.limited = limited != 0;
  if (d.limited) {
    d.retry_after_s = std::max<int64_t>(1, ceilSecondsFromMs(retry_after_ms));
    d.reset_s = d.retry_after_s;
    return d;
  }
  d.remaining = std::max<int64_t>(0, remaining);
  d.reset_s = std::max<int64_t>(1, ceilSecondsFromMs(reset_ms));
  return d;
}

}  // namespace shipgate::shield
