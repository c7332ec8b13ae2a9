// The managed-challenge page: HTML plus an inline script that computes the proof of work with a
// self-contained SHA-256 (crypto.subtle exists only on secure origins, and this page must also
// work over plain http), sets the sg_clearance cookie and reloads. The script is ES5 plus typed
// arrays and Math.clz32, so any current browser and node's vm module run it unchanged.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <string>

#include "shipgate/shield/challenge.h"

namespace shipgate::shield {
namespace {

// Global functions (sgUtf8, sgSha256, sgHex, sgLeadingZeroBits, sgSolve) followed by the
// bootstrap. The tests run this very text under node.
constexpr std::string_view kSolverScript = R"JS(
var SG_K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2];
function sgUtf8(s) {
  var b = [];
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    if (c < 0x80) { b.push(c); continue; }
    if (c < 0x800) { b.push(0xc0 | (c >> 6), 0x80 | (c & 63)); continue; }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      var d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        i++;
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        b.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        continue;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    b.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return b;
}
var SG_IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
// One SHA-256 compression of the 64-byte block m[off..off+63] into H (Int32Array(8)).
function sgCompress(H, m, off, W) {
  var i, t1, t2, x, y;
  for (i = 0; i < 16; i++) {
    x = off + 4 * i;
    W[i] = (m[x] << 24) | (m[x + 1] << 16) | (m[x + 2] << 8) | m[x + 3];
  }
  for (i = 16; i < 64; i++) {
    x = W[i - 15]; y = W[i - 2];
    W[i] = W[i - 16] + ((x >>> 7 | x << 25) ^ (x >>> 18 | x << 14) ^ (x >>> 3)) + W[i - 7] +
           ((y >>> 17 | y << 15) ^ (y >>> 19 | y << 13) ^ (y >>> 10));
  }
  var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (i = 0; i < 64; i++) {
    t1 = (h + ((e >>> 6 | e << 26) ^ (e >>> 11 | e << 21) ^ (e >>> 25 | e << 7)) +
          ((e & f) ^ (~e & g)) + SG_K[i] + W[i]) | 0;
    t2 = (((a >>> 2 | a << 30) ^ (a >>> 13 | a << 19) ^ (a >>> 22 | a << 10)) +
          ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
}
// Writes the padding and the bit length of a `total`-byte message whose last `len` bytes sit at
// the start of m (zeroed beyond them); returns the number of blocks to compress.
function sgPad(m, len, total) {
  var blocks = len + 9 > 64 ? 2 : 1, end = blocks * 64, i;
  for (i = len; i < end; i++) m[i] = 0;
  m[len] = 0x80;
  var hi = Math.floor(total / 0x20000000), lo = (total * 8) >>> 0;
  m[end - 8] = hi >>> 24; m[end - 7] = (hi >>> 16) & 255;
  m[end - 6] = (hi >>> 8) & 255; m[end - 5] = hi & 255;
  m[end - 4] = lo >>> 24; m[end - 3] = (lo >>> 16) & 255;
  m[end - 2] = (lo >>> 8) & 255; m[end - 1] = lo & 255;
  return blocks;
}
// SHA-256 of a byte array; returns the state as 8 signed 32-bit words.
function sgSha256(bytes) {
  var H = new Int32Array(SG_IV), W = new Int32Array(64), m = new Uint8Array(128);
  var n = bytes.length, full = n - (n % 64), off, i;
  for (off = 0; off < full; off += 64) {
    for (i = 0; i < 64; i++) m[i] = bytes[off + i];
    sgCompress(H, m, 0, W);
  }
  for (i = full; i < n; i++) m[i - full] = bytes[i];
  var blocks = sgPad(m, n - full, n);
  for (i = 0; i < blocks; i++) sgCompress(H, m, 64 * i, W);
  return H;
}
function sgHex(H) {
  var s = '';
  for (var i = 0; i < 8; i++) s += ('0000000' + (H[i] >>> 0).toString(16)).slice(-8);
  return s;
}
function sgLeadingZeroBits(H) {
  for (var i = 0, z = 0; i < 8; i++) {
    if (H[i] === 0) { z += 32; continue; }
    return z + Math.clz32(H[i]);
  }
  return z;
}
// First counter c in [from, to) with SHA-256(nonce + '.' + c) starting with `bits` zero bits,
// or -1. The constant prefix is compressed once (midstate); each try hashes 1-2 blocks.
function sgSolve(nonce, bits, from, to) {
  var p = sgUtf8(nonce + '.'), full = p.length - (p.length % 64), i, c, k;
  var mid = new Int32Array(SG_IV), W = new Int32Array(64), m = new Uint8Array(128);
  for (var off = 0; off < full; off += 64) {
    for (i = 0; i < 64; i++) m[i] = p[off + i];
    sgCompress(mid, m, 0, W);
  }
  var tail = p.length - full, H = new Int32Array(8);
  for (c = from; c < to; c++) {
    var digits = String(c), len = tail + digits.length;
    for (i = 0; i < tail; i++) m[i] = p[full + i];
    for (i = 0; i < digits.length; i++) m[tail + i] = digits.charCodeAt(i);
    var blocks = sgPad(m, len, p.length + digits.length);
    H.set(mid);
    for (k = 0; k < blocks; k++) sgCompress(H, m, 64 * k, W);
    if (sgLeadingZeroBits(H) >= bits) return c;
  }
  return -1;
}
(function () {
  var nonce = '@NONCE@', bits = @BITS@, ttl = @TTL@, next = 0, tries = 1;
  // Count attempts within a minute, so that a client whose cookie keeps being refused (cookies
  // off, changing IP) stops instead of reloading forever.
  try {
    var last = (sessionStorage.getItem('sg_tries') || '0:0').split(':');
    if (Date.now() - Number(last[1]) < 60000) tries = Number(last[0]) + 1;
    sessionStorage.setItem('sg_tries', tries + ':' + Date.now());
  } catch (err) {}
  function say(text) {
    var el = typeof document.getElementById === 'function' && document.getElementById('sg-msg');
    if (el) el.textContent = text;
  }
  if (tries > 3) { say('Verification failed. Check that cookies are enabled, then reload.'); return; }
  function step() {
    var found = sgSolve(nonce, bits, next, next + 4096);
    if (found < 0) { next += 4096; setTimeout(step, 0); return; }
    document.cookie = 'sg_clearance=' + nonce + '.' + found + '; Path=/; Max-Age=' + ttl +
        '; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
    location.reload();
  }
  setTimeout(step, 0);
})();
)JS";

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

std::string base64(const unsigned char* p, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(len < 0 ? 0 : static_cast<size_t>(len));
  return out;
}

}  // namespace

ChallengePage renderChallengePage(std::string_view nonce, int bits, std::chrono::seconds ttl) {
  // The nonce comes from issueNonce ([0-9a-z.]); anything else is dropped so that it can never
  // break out of the string literal.
  std::string safe_nonce;
  for (char c : nonce) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.') safe_nonce.push_back(c);
  }
  std::string script(kSolverScript);
  replaceAll(script, "@NONCE@", safe_nonce);
  replaceAll(script, "@BITS@", std::to_string(bits));
  replaceAll(script, "@TTL@", std::to_string(ttl.count()));

  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);

  ChallengePage page;
  page.status = 403;
  page.headers = {
      {"Cache-Control", "private, no-store, max-age=0"},
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'sha256-" + base64(digest, sizeof(digest)) +
           "'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
           "frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "same-origin"},
      {"X-Robots-Tag", "noindex, nofollow"},
  };
  page.body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex, nofollow\">"
      "<title>Just a moment...</title>"
      "<style>body{font-family:system-ui,sans-serif;margin:0;display:flex;min-height:100vh;"
      "align-items:center;justify-content:center;background:#f6f7f9;color:#222}"
      "main{max-width:32rem;padding:2rem;text-align:center}</style></head>\n"
      "<body><main><h1>Checking your browser</h1>"
      "<p id=\"sg-msg\">This takes less than a second; the page reloads by itself.</p>"
      "<noscript><p>Please enable JavaScript and cookies to continue.</p></noscript>"
      "</main>\n<script>" +
      script + "</script>\n</body></html>\n";
  return page;
}

}  // namespace shipgate::shield
