#include "shipgate/secrets/sealed_record.h"

#include <sodium.h>

namespace shipgate::secrets {

std::string SealedRecord::encode() const {
  std::string out(kSealedMagic);
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((key_id >> shift) & 0xff);
  out += nonce;
  out += ciphertext;
  return out;
}

Result<SealedRecord> SealedRecord::decode(std::string_view bytes) {
  if (bytes.size() < kSealedMagic.size() || bytes.substr(0, kSealedMagic.size()) != kSealedMagic) {
    return Status::invalidArgument("sealed record: does not start with \"" +
                                   std::string(kSealedMagic) + "\" (not a sealed record, or of " +
                                   "another format version)");
  }
  if (bytes.size() < kHeaderSize + kTagSize) {
    return Status::invalidArgument(
        "sealed record: " + std::to_string(bytes.size()) + " bytes, shorter than the " +
        std::to_string(kHeaderSize + kTagSize) + " of a header and an authentication tag");
  }
  SealedRecord out;
  for (size_t i = 4; i < 8; ++i) {
    out.key_id = (out.key_id << 8) | static_cast<unsigned char>(bytes[i]);
  }
  out.nonce = std::string(bytes.substr(8, kNonceSize));
  out.ciphertext = std::string(bytes.substr(kHeaderSize));
  return out;
}

std::string valueAd(std::string_view path, int64_t version, uint32_t key_id) {
  // NUL separators: no field can contain one (paths are checked), so the encoding is unambiguous.
  std::string ad = "shipgate-secret-value";
  ad += '\0';
  ad += path;
  ad += '\0';
  ad += std::to_string(version);
  ad += '\0';
  ad += std::to_string(key_id);
  return ad;
}

std::string wrapAd(uint32_t key_id, std::string_view purpose, std::string_view root_key_id) {
  std::string ad = "shipgate-secret-data-key";
  ad += '\0';
  ad += std::to_string(key_id);
  ad += '\0';
  ad += purpose;
  ad += '\0';
  ad += root_key_id;
  return ad;
}

SealedRecord seal(const SecretBytes& key, uint32_t key_id, std::string_view ad,
                  const SecretBytes& plaintext) {
  static_assert(SealedRecord::kNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  static_assert(SealedRecord::kTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);
  SealedRecord out;
  out.key_id = key_id;
  out.nonce.resize(SealedRecord::kNonceSize);
  randombytes_buf(out.nonce.data(), out.nonce.size());
  out.ciphertext.resize(plaintext.size() + SealedRecord::kTagSize);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.ciphertext.data()), &written, plaintext.data(),
      plaintext.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      reinterpret_cast<const unsigned char*>(out.nonce.data()), key.data());
  out.ciphertext.resize(written);
  return out;
}

Result<SecretBytes> open(const SecretBytes& key, const SealedRecord& record, std::string_view ad,
                         std::string_view what) {
  if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES ||
      record.nonce.size() != SealedRecord::kNonceSize ||
      record.ciphertext.size() < SealedRecord::kTagSize) {
    return Status::internal(std::string(what) + ": malformed sealed record or key");
  }
  SecretBytes plain(record.ciphertext.size() - SealedRecord::kTagSize);
  unsigned long long written = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      plain.data(), &written, nullptr,
      reinterpret_cast<const unsigned char*>(record.ciphertext.data()), record.ciphertext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
      reinterpret_cast<const unsigned char*>(record.nonce.data()), key.data());
  if (rc != 0) {
    return Status::internal(std::string(what) +
                            ": failed authentication: the stored record was tampered with, "
                            "copied from another place, or the key is wrong");
  }
  plain.shrink(written);
  return plain;
}

}  // namespace shipgate::secrets
