// Encodings, hashes and bit-level transforms of the `t:` action.
#include <openssl/evp.h>

#include <cstring>

#include "transform_impl.h"

namespace shipgate::managed::detail {
namespace {

using uchar = unsigned char;

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The value of a base64 alphabet byte, -1 for any other byte.
int base64Value(uchar c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes the base64 alphabet bytes of `in`; at any other byte it stops (skipInvalid false) or
// skips it (true). A final group of 2 or 3 symbols yields its 1 or 2 whole bytes; a lone symbol
// left over yields nothing.
bool base64DecodeImpl(std::string_view in, std::string& out, bool skipInvalid) {
  out.resize(in.size() / 4 * 3 + 3);
  char* d = out.data();
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v = base64Value(static_cast<uchar>(ch));
    if (v < 0) {
      if (skipInvalid) continue;
      break;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *d++ = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  out.resize(static_cast<size_t>(d - out.data()));
  return std::string_view(out) != in;
}

// The digest `name` fetched from OpenSSL's default provider once per process: EVP_Digest with
// EVP_sha1() looks the algorithm up and allocates a context on every call, which cost ten times
// the hash of a User-Agent (CRS 901318 hashes one per request).
const EVP_MD* fetchedDigest(const char* name) {
  static const EVP_MD* const kMd5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static const EVP_MD* const kSha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return std::strcmp(name, "MD5") == 0 ? kMd5 : kSha1;
}

// A digest context per thread, reset by each use.
class DigestContext {
 public:
  DigestContext() : ctx_(EVP_MD_CTX_new()) {}
  ~DigestContext() { EVP_MD_CTX_free(ctx_); }
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;
  EVP_MD_CTX* get() const { return ctx_; }

 private:
  EVP_MD_CTX* ctx_;
};

bool digest(const char* name, std::string_view in, std::string& out) {
  thread_local DigestContext context;
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* md = fetchedDigest(name);
  EVP_MD_CTX* ctx = context.get();
  bool ok = md != nullptr && ctx != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1 &&
            EVP_DigestUpdate(ctx, in.data(), in.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, buf, &len) == 1;
  if (!ok) len = 0;
  out.assign(reinterpret_cast<const char*>(buf), len);
  return std::string_view(out) != in;
}

}  // namespace

// base64Decode: standard alphabet; decoding stops at the first byte outside it (padding '=',
// whitespace, '-' ...), keeping what was decoded so far.
bool base64Decode(std::string_view in, std::string& out) {
  return base64DecodeImpl(in, out, false);
}

// base64DecodeExt: forgiving; bytes outside the alphabet (padding, whitespace, '.') are skipped.
bool base64DecodeExt(std::string_view in, std::string& out) {
  return base64DecodeImpl(in, out, true);
}

// base64Encode: RFC 4648 with '=' padding, no line breaks.
bool base64Encode(std::string_view in, std::string& out) {
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  out.resize((n + 2) / 3 * 4);
  char* d = out.data();
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8) | s[i + 2];
    *d++ = kBase64Alphabet[v >> 18];
    *d++ = kBase64Alphabet[(v >> 12) & 63];
    *d++ = kBase64Alphabet[(v >> 6) & 63];
    *d++ = kBase64Alphabet[v & 63];
  }
  if (i < n) {
    uint32_t v = uint32_t{s[i]} << 16;
    if (i + 1 < n) v |= uint32_t{s[i + 1]} << 8;
    *d++ = kBase64Alphabet[v >> 18];
    *d++ = kBase64Alphabet[(v >> 12) & 63];
    *d++ = (i + 1 < n) ? kBase64Alphabet[(v >> 6) & 63] : '=';
    *d++ = '=';
  }
  return std::string_view(out) != in;
}

// hexDecode: each pair of hex digits (either case) becomes its byte. Pairs are read from the
// start; a pair that is not two hex digits, and an odd last byte, are kept as written.
bool hexDecode(std::string_view in, std::string& out) {
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  out.resize(n);
  char* d = out.data();
  size_t i = 0;
  for (; i + 1 < n; i += 2) {
    if (isHex(s[i]) && isHex(s[i + 1])) {
      *d++ = static_cast<char>(hexByte(s[i], s[i + 1]));
    } else {
      *d++ = static_cast<char>(s[i]);
      *d++ = static_cast<char>(s[i + 1]);
    }
  }
  if (i < n) *d++ = static_cast<char>(s[i]);
  out.resize(static_cast<size_t>(d - out.data()));
  return std::string_view(out) != in;
}

// hexEncode: every byte as two lowercase hex digits.
bool hexEncode(std::string_view in, std::string& out) {
  out.resize(in.size() * 2);
  char* d = out.data();
  for (char ch : in) {
    auto c = static_cast<uchar>(ch);
    *d++ = kHexDigits[c >> 4];
    *d++ = kHexDigits[c & 15];
  }
  return !in.empty();
}

// urlEncode: ASCII letters, digits and '*' kept, space to '+', every other byte to %hh
// (lowercase hex), as libmodsecurity 3 does.
bool urlEncode(std::string_view in, std::string& out) {
  out.resize(in.size() * 3);
  char* d = out.data();
  for (char ch : in) {
    auto c = static_cast<uchar>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*') {
      *d++ = ch;
    } else if (c == ' ') {
      *d++ = '+';
    } else {
      *d++ = '%';
      *d++ = kHexDigits[c >> 4];
      *d++ = kHexDigits[c & 15];
    }
  }
  out.resize(static_cast<size_t>(d - out.data()));
  return std::string_view(out) != in;
}

// utf8toUnicode, as libmodsecurity 3 does it: each 2-, 3- or 4-byte UTF-8 sequence whose
// continuation bytes are all 10xxxxxx becomes %u and its code point in lowercase hex, at least
// four digits (U+00E9 -> %u00e9, U+1F600 -> %u1f600). Quirks kept for agreement with the CRS's
// reference: a lead byte without its continuation bytes is dropped (the bytes after it are read
// again on their own); an overlong form or a surrogate is emitted as its code point followed by
// its lead byte ("\xC0\xAF" -> "%u002f\xC0"); a lead byte F5-F7 is copied before its sequence.
// ASCII (NUL included), stray continuation bytes and F8-FF are copied as they are.
bool utf8ToUnicode(std::string_view in, std::string& out) {
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  // The first byte with the high bit set, eight bytes a step.
  size_t first = 0;
  for (uint64_t w = 0; first + 8 <= n; first += 8) {
    std::memcpy(&w, s + first, 8);
    if ((w & 0x8080808080808080ULL) != 0) break;
  }
  while (first < n && s[first] < 0x80) ++first;
  if (first == n) return unchanged();
  out.resize(n * 4 + 8);  // "\xC0\x80" becomes "%u0000\xC0": 7 bytes for 2
  char* d = out.data();
  std::memcpy(d, s, first);
  d += first;
  size_t i = first;
  while (i < n) {
    uchar c = s[i];
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
      if (c >= 0xF5) *d++ = static_cast<char>(c);
    }
    if (len == 0) {  // ASCII, a stray continuation byte, or F8-FF
      *d++ = static_cast<char>(c);
      ++i;
      continue;
    }
    bool ok = i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (!ok) {  // the lead byte is dropped
      ++i;
      continue;
    }
    *d++ = '%';
    *d++ = 'u';
    int digits = cp > 0xFFFFF ? 6 : cp > 0xFFFF ? 5 : 4;
    for (int k = digits - 1; k >= 0; --k) *d++ = kHexDigits[(cp >> (4 * k)) & 15];
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF)) *d++ = static_cast<char>(c);
    i += len;
  }
  out.resize(static_cast<size_t>(d - out.data()));
  return std::string_view(out) != in;
}

// md5 / sha1: the raw binary digest (16 / 20 bytes), as the CRS's t:sha1,t:hexEncode expects.
bool md5(std::string_view in, std::string& out) { return digest("MD5", in, out); }
bool sha1(std::string_view in, std::string& out) { return digest("SHA1", in, out); }

// parityEven7bit / parityOdd7bit: bit 7 of each byte set so that the byte has even / odd parity
// over its low seven bits plus bit 7; parityZero7bit: bit 7 cleared. (libmodsecurity 3 counts
// the incoming bit 7 in the parity too; for ASCII input the results are the same.)
bool parity7bit(std::string_view in, std::string& out, int mode) {
  out.assign(in.data(), in.size());
  for (char& ch : out) {
    auto c = static_cast<uchar>(static_cast<uchar>(ch) & 0x7f);
    if (mode != 2) {
      bool odd = __builtin_parity(c) != 0;
      if ((mode == 0 && odd) || (mode == 1 && !odd)) c |= 0x80;
    }
    ch = static_cast<char>(c);
  }
  return std::string_view(out) != in;
}

}  // namespace shipgate::managed::detail
