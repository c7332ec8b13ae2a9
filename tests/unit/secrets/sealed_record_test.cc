// Sealed records: the encoding round-trips, the decoder refuses what is not a record, and a
// record opens only under its key and associated data (path, version, key id).
#include "shipgate/secrets/sealed_record.h"

#include <gtest/gtest.h>

namespace shipgate::secrets {
namespace {

TEST(SealedRecord, EncodingRoundTrips) {
  const SecretBytes key = SecretBytes::random(32);
  const SealedRecord r =
      seal(key, 0x01020304, valueAd("/a/b", 3, 0x01020304), SecretBytes::copyOf("hunter2"));
  const std::string bytes = r.encode();
  EXPECT_EQ(bytes.substr(0, 8), std::string("SGS1\x01\x02\x03\x04"));
  EXPECT_EQ(bytes.size(), SealedRecord::kHeaderSize + 7 + SealedRecord::kTagSize);
  // The value is not in the record in clear.
  EXPECT_EQ(bytes.find("hunter2"), std::string::npos);
  Result<SealedRecord> back = SealedRecord::decode(bytes);
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(back->key_id, 0x01020304u);
  EXPECT_EQ(back->nonce, r.nonce);
  EXPECT_EQ(back->ciphertext, r.ciphertext);
  Result<SecretBytes> plain = open(key, *back, valueAd("/a/b", 3, 0x01020304), "v");
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(plain->view(), "hunter2");
}

TEST(SealedRecord, DecoderRefusesWhatIsNotARecord) {
  EXPECT_EQ(SealedRecord::decode("").status().message(),
            "sealed record: does not start with \"SGS1\" (not a sealed record, or of another "
            "format version)");
  EXPECT_FALSE(SealedRecord::decode("SGS2" + std::string(60, 'x')).isOk());
  EXPECT_EQ(SealedRecord::decode("SGS1" + std::string(10, 'x')).status().message(),
            "sealed record: 14 bytes, shorter than the 48 of a header and an authentication tag");
  EXPECT_TRUE(SealedRecord::decode("SGS1" + std::string(44, 'x')).isOk());
}

TEST(SealedRecord, OpensOnlyUnderItsKeyAndAssociatedData) {
  const SecretBytes key = SecretBytes::random(32);
  const SealedRecord r = seal(key, 1, valueAd("/a/b", 1, 1), SecretBytes::copyOf("v1"));
  const std::string expected =
      "value of /a/b: failed authentication: the stored record was tampered with, copied from "
      "another place, or the key is wrong";
  EXPECT_EQ(open(key, r, valueAd("/a/c", 1, 1), "value of /a/b").status().message(), expected);
  EXPECT_FALSE(open(key, r, valueAd("/a/b", 2, 1), "x").isOk());
  EXPECT_FALSE(open(key, r, valueAd("/a/b", 1, 2), "x").isOk());
  EXPECT_FALSE(open(SecretBytes::random(32), r, valueAd("/a/b", 1, 1), "x").isOk());
  for (size_t i = 0; i < r.ciphertext.size(); ++i) {
    SealedRecord flipped = r;
    flipped.ciphertext[i] = static_cast<char>(flipped.ciphertext[i] ^ 0x01);
    EXPECT_FALSE(open(key, flipped, valueAd("/a/b", 1, 1), "x").isOk()) << i;
  }
  SealedRecord nonce = r;
  nonce.nonce[0] = static_cast<char>(nonce.nonce[0] ^ 0x80);
  EXPECT_FALSE(open(key, nonce, valueAd("/a/b", 1, 1), "x").isOk());
  // An empty value seals and opens too.
  const SealedRecord empty = seal(key, 1, "ad", SecretBytes());
  Result<SecretBytes> opened = open(key, empty, "ad", "x");
  ASSERT_TRUE(opened.isOk());
  EXPECT_TRUE(opened->empty());
}

}  // namespace
}  // namespace shipgate::secrets
