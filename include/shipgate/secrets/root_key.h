// RootKey: the key that wraps the secrets store's data keys. It never encrypts a value itself,
// so replacing it (rotate-key) re-wraps a handful of data keys instead of every value.
//
// Two sources:
//   - a key file, written by writeKeyFile (mode 0600) in this format:
//         shipgate-secrets-root-key v1\n
//         <64 hex digits: the 32 key bytes>\n
//     The header names the format and its version so a file of another kind (a TLS key, a token)
//     is refused by name, not read as key bytes. The final newline is optional; nothing else is
//     accepted (no comments, no blank lines). A file that is not a regular file, or that its
//     group or others may read or write (mode & 077), is refused with its mode in the message.
//   - a passphrase through Argon2id (crypto_pwhash), with a random salt and the cost recorded in
//     the store as KdfParams text: "argon2id13$<opslimit>$<memlimit>$<32 hex digits of salt>".
//
// The key id, 16 hex digits, is a keyed BLAKE2b hash of a fixed label under the key: it names the
// key (the store records which root key wrapped its data keys) and reveals nothing about it.
//
// Error messages name files, lines and modes, never key bytes or passphrases.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"
#include "shipgate/secrets/secret_bytes.h"

namespace shipgate::secrets {

inline constexpr std::string_view kKeyFileHeader = "shipgate-secrets-root-key v1";

struct KdfParams {
  uint64_t opslimit = 0;
  size_t memlimit = 0;
  std::string salt;  // crypto_pwhash_SALTBYTES raw bytes (not secret)

  // Fresh random salt with the given cost (libsodium's bounds apply).
  static KdfParams fresh(uint64_t opslimit, size_t memlimit);
  std::string toText() const;
  static Result<KdfParams> parse(std::string_view text);
};

class RootKey {
 public:
  static constexpr size_t kSize = 32;

  // The key in a key file's contents (see above).
  static Result<RootKey> parseKeyFile(std::string_view contents);
  // Reads and parses `path`, refusing loose permissions.
  static Result<RootKey> loadKeyFile(const std::string& path);
  // Writes a new random key to `path` (created, never overwritten; mode 0600).
  static Status writeKeyFile(const std::string& path);
  // The key Argon2id derives from `passphrase` with `params`.
  static Result<RootKey> fromPassphrase(const SecretBytes& passphrase, const KdfParams& params);
  // A random key (tests, and rotate-key to a fresh key file).
  static RootKey random();

  const std::string& id() const { return id_; }
  const SecretBytes& bytes() const { return key_; }
  // The KdfParams text when derived from a passphrase, else empty.
  const std::string& kdf() const { return kdf_; }

 private:
  RootKey(SecretBytes key, std::string kdf);

  SecretBytes key_;
  std::string id_;
  std::string kdf_;
};

}  // namespace shipgate::secrets
