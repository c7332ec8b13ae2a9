// Sealed records: how a secret value (or a wrapped data key) is stored. The record is
//
//   "SGS1" | key id (4 bytes, big-endian) | nonce (24 bytes) | ciphertext with its 16-byte tag
//
// sealed with crypto_aead_xchacha20poly1305_ietf (random nonce) under the key the id names, with
// associated data binding it to where it belongs: for a value, valueAd(path, version, key id), so
// a record copied to another path or version, or relabelled with another key id, fails to open.
// decode() is the parser of untrusted stored bytes; open() reports a record that fails
// authentication as tampered and returns nothing of it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"
#include "shipgate/secrets/secret_bytes.h"

namespace shipgate::secrets {

inline constexpr std::string_view kSealedMagic = "SGS1";

struct SealedRecord {
  static constexpr size_t kNonceSize = 24;
  static constexpr size_t kTagSize = 16;
  static constexpr size_t kHeaderSize = 4 + 4 + kNonceSize;

  uint32_t key_id = 0;
  std::string nonce;
  std::string ciphertext;  // includes the tag

  std::string encode() const;
  // InvalidArgument naming what is wrong (magic, length) and where.
  static Result<SealedRecord> decode(std::string_view bytes);
};

// The associated data of a value: "shipgate-secret-value\0<path>\0<version>\0<key id>".
std::string valueAd(std::string_view path, int64_t version, uint32_t key_id);
// The associated data of a data key wrapped by a root key: its id and purpose ("value",
// "audit") and the root key's id, so a wrapped key cannot be moved to another id or role.
std::string wrapAd(uint32_t key_id, std::string_view purpose, std::string_view root_key_id);

// Seals `plaintext` under `key` (32 bytes) as data key `key_id`.
SealedRecord seal(const SecretBytes& key, uint32_t key_id, std::string_view ad,
                  const SecretBytes& plaintext);
// Opens `record`; Internal "failed authentication" (what = e.g. "value of /a/b version 3") when
// the record, its associated data or the key does not match.
Result<SecretBytes> open(const SecretBytes& key, const SealedRecord& record, std::string_view ad,
                         std::string_view what);

}  // namespace shipgate::secrets
