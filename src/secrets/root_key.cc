#include "shipgate/secrets/root_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <vector>

namespace shipgate::secrets {
namespace {

constexpr size_t kIdBytes = 8;
constexpr size_t kMaxKeyFileBytes = 4096;
constexpr std::string_view kIdLabel = "shipgate-secrets root key id";
constexpr std::string_view kKdfName = "argon2id13";

std::string toHex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string modeText(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

template <typename T>
bool parseNumber(std::string_view text, T& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

}  // namespace

KdfParams KdfParams::fresh(uint64_t opslimit, size_t memlimit) {
  (void)sodiumReady();
  KdfParams out;
  out.opslimit = opslimit;
  out.memlimit = memlimit;
  out.salt.resize(crypto_pwhash_SALTBYTES);
  randombytes_buf(out.salt.data(), out.salt.size());
  return out;
}

std::string KdfParams::toText() const {
  return std::string(kKdfName) + "$" + std::to_string(opslimit) + "$" + std::to_string(memlimit) +
         "$" + toHex(salt);
}

Result<KdfParams> KdfParams::parse(std::string_view text) {
  const std::string what = "passphrase parameters";
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() <= 4) {
    const size_t dollar = text.find('$', start);
    parts.push_back(text.substr(start, dollar == std::string_view::npos ? dollar : dollar - start));
    if (dollar == std::string_view::npos) break;
    start = dollar + 1;
  }
  if (parts.size() != 4) return Status::invalidArgument(what + ": expected 4 '$'-separated fields");
  if (parts[0] != kKdfName) {
    return Status::invalidArgument(what + ": algorithm is not " + std::string(kKdfName));
  }
  KdfParams out;
  if (!parseNumber(parts[1], out.opslimit) || out.opslimit < crypto_pwhash_OPSLIMIT_MIN ||
      out.opslimit > crypto_pwhash_OPSLIMIT_MAX) {
    return Status::invalidArgument(what + ": field 2 (opslimit) is not a number in " +
                                   std::to_string(crypto_pwhash_OPSLIMIT_MIN) + ".." +
                                   std::to_string(crypto_pwhash_OPSLIMIT_MAX));
  }
  // A stored memlimit is bounded far below libsodium's maximum: the file is not trusted to
  // make this process allocate terabytes.
  constexpr size_t kMaxMem = size_t{4} << 30;
  if (!parseNumber(parts[2], out.memlimit) || out.memlimit < crypto_pwhash_MEMLIMIT_MIN ||
      out.memlimit > kMaxMem) {
    return Status::invalidArgument(what + ": field 3 (memlimit) is not a number in " +
                                   std::to_string(crypto_pwhash_MEMLIMIT_MIN) + ".." +
                                   std::to_string(kMaxMem));
  }
  if (parts[3].size() != crypto_pwhash_SALTBYTES * 2) {
    return Status::invalidArgument(what + ": field 4 (salt) is not " +
                                   std::to_string(crypto_pwhash_SALTBYTES * 2) + " hex digits");
  }
  for (size_t i = 0; i < parts[3].size(); i += 2) {
    const int hi = hexDigit(parts[3][i]);
    const int lo = hexDigit(parts[3][i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::invalidArgument(what + ": field 4 (salt) has a non-hex digit at " +
                                     std::to_string(i + 1));
    }
    out.salt += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

RootKey::RootKey(SecretBytes key, std::string kdf) : key_(std::move(key)), kdf_(std::move(kdf)) {
  unsigned char id[kIdBytes];
  crypto_generichash(id, sizeof id, reinterpret_cast<const unsigned char*>(kIdLabel.data()),
                     kIdLabel.size(), key_.data(), key_.size());
  id_ = toHex(std::string_view(reinterpret_cast<const char*>(id), sizeof id));
}

RootKey RootKey::random() {
  (void)sodiumReady();
  return RootKey(SecretBytes::random(kSize), "");
}

Result<RootKey> RootKey::parseKeyFile(std::string_view contents) {
  SG_RETURN_IF_ERROR(sodiumReady());
  const size_t eol = contents.find('\n');
  if (contents.substr(0, eol) != kKeyFileHeader) {
    return Status::invalidArgument("line 1: expected the header \"" + std::string(kKeyFileHeader) +
                                   "\" (not a shipgate secrets key file)");
  }
  if (eol == std::string_view::npos) {
    return Status::invalidArgument("line 2: missing (the key's " + std::to_string(kSize * 2) +
                                   " hex digits)");
  }
  std::string_view key_line = contents.substr(eol + 1);
  const size_t end = key_line.find('\n');
  if (end != std::string_view::npos) {
    if (end + 1 != key_line.size()) {
      return Status::invalidArgument("line 3: unexpected content after the key line");
    }
    key_line = key_line.substr(0, end);
  }
  if (key_line.size() != kSize * 2) {
    return Status::invalidArgument("line 2: expected " + std::to_string(kSize * 2) +
                                   " hex digits, found " + std::to_string(key_line.size()) +
                                   " characters");
  }
  SecretBytes key(kSize);
  for (size_t i = 0; i < kSize; ++i) {
    const int hi = hexDigit(key_line[2 * i]);
    const int lo = hexDigit(key_line[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      // The position only: the characters around it are key material.
      return Status::invalidArgument("line 2: column " + std::to_string(2 * i + (hi < 0 ? 1 : 2)) +
                                     " is not a hex digit");
    }
    key.data()[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return RootKey(std::move(key), "");
}

Result<RootKey> RootKey::loadKeyFile(const std::string& path) {
  const std::string what = "secrets key file " + path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::fromErrno(what, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::fromErrno(what, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::invalidArgument(what + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::permissionDenied(what + " has mode " + modeText(st.st_mode) +
                                    ": its group or others may access it; run chmod 600 " + path);
  }
  if (st.st_size > static_cast<off_t>(kMaxKeyFileBytes)) {
    ::close(fd);
    return Status::invalidArgument(what + ": " + std::to_string(st.st_size) +
                                   " bytes, too large for a key file");
  }
  SecretBytes buf(kMaxKeyFileBytes);
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::fromErrno(what, err);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  buf.shrink(got);
  Result<RootKey> key = parseKeyFile(buf.view());
  if (!key.isOk()) return Status::invalidArgument(what + ": " + key.status().message());
  return key;
}

Status RootKey::writeKeyFile(const std::string& path) {
  SG_RETURN_IF_ERROR(sodiumReady());
  const std::string what = "secrets key file " + path;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::fromErrno(what, errno);
  SecretBytes key = SecretBytes::random(kSize);
  const size_t text_size = kKeyFileHeader.size() + 1 + kSize * 2 + 1;
  SecretBytes text(text_size + 1);  // sodium_bin2hex writes a terminating NUL
  char* out = reinterpret_cast<char*>(text.data());
  std::copy(kKeyFileHeader.begin(), kKeyFileHeader.end(), out);
  out[kKeyFileHeader.size()] = '\n';
  sodium_bin2hex(out + kKeyFileHeader.size() + 1, kSize * 2 + 1, key.data(), key.size());
  out[text_size - 1] = '\n';
  size_t done = 0;
  while (done < text_size) {
    const ssize_t n = ::write(fd, out + done, text_size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return Status::fromErrno(what, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return Status::fromErrno(what, err);
  }
  return Status::success();
}

Result<RootKey> RootKey::fromPassphrase(const SecretBytes& passphrase, const KdfParams& params) {
  SG_RETURN_IF_ERROR(sodiumReady());
  if (passphrase.empty()) return Status::invalidArgument("passphrase: empty");
  if (params.salt.size() != crypto_pwhash_SALTBYTES) {
    return Status::invalidArgument("passphrase parameters: the salt is not " +
                                   std::to_string(crypto_pwhash_SALTBYTES) + " bytes");
  }
  SecretBytes key(kSize);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), reinterpret_cast<const unsigned char*>(params.salt.data()),
                    params.opslimit, params.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::internal("passphrase: Argon2id failed (out of memory for memlimit " +
                            std::to_string(params.memlimit) + "?)");
  }
  return RootKey(std::move(key), params.toText());
}

}  // namespace shipgate::secrets
