// RootKey: the key file format (header, hex line, nothing else), permissions refused by mode,
// the key id, and Argon2id from a passphrase with its stored parameters. No message holds key
// bytes.
#include "shipgate/secrets/root_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/paths.h"

namespace shipgate::secrets {
namespace {

const std::string kHex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

std::string keyFile(const std::string& hex = kHex) {
  return std::string(kKeyFileHeader) + "\n" + hex + "\n";
}

std::string parseError(std::string_view contents) {
  Result<RootKey> k = RootKey::parseKeyFile(contents);
  EXPECT_FALSE(k.isOk());
  return k.isOk() ? "" : k.status().message();
}

TEST(RootKeyFile, ParsesTheHeaderAndTheHexLine) {
  Result<RootKey> k = RootKey::parseKeyFile(keyFile());
  ASSERT_TRUE(k.isOk()) << k.status().message();
  ASSERT_EQ(k->bytes().size(), 32u);
  EXPECT_EQ(k->bytes().data()[0], 0x00);
  EXPECT_EQ(k->bytes().data()[1], 0x11);
  EXPECT_EQ(k->bytes().data()[31], 0xff);
  EXPECT_EQ(k->id().size(), 16u);
  EXPECT_TRUE(k->kdf().empty());
  // The final newline is optional; the same key has the same id.
  Result<RootKey> again = RootKey::parseKeyFile(keyFile().substr(0, keyFile().size() - 1));
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->id(), k->id());
  EXPECT_TRUE(again->bytes().equals(k->bytes()));
}

TEST(RootKeyFile, RefusesAnythingElseByLineWithoutQuotingTheKey) {
  EXPECT_EQ(parseError(""),
            "line 1: expected the header \"shipgate-secrets-root-key v1\" (not a "
            "shipgate secrets key file)");
  EXPECT_EQ(parseError("-----BEGIN PRIVATE KEY-----\n" + kHex + "\n"),
            "line 1: expected the header \"shipgate-secrets-root-key v1\" (not a shipgate "
            "secrets key file)");
  EXPECT_EQ(parseError(std::string(kKeyFileHeader)), "line 2: missing (the key's 64 hex digits)");
  EXPECT_EQ(parseError(keyFile(kHex.substr(0, 62))),
            "line 2: expected 64 hex digits, found 62 characters");
  std::string bad = kHex;
  bad[9] = 'g';
  const std::string message = parseError(keyFile(bad));
  EXPECT_EQ(message, "line 2: column 10 is not a hex digit");
  EXPECT_EQ(parseError(keyFile() + "# comment\n"), "line 3: unexpected content after the key line");
  EXPECT_EQ(parseError(keyFile() + "\n"), "line 3: unexpected content after the key line");
  EXPECT_EQ(parseError(std::string(kKeyFileHeader) + "\r\n" + kHex),
            "line 1: expected the header \"shipgate-secrets-root-key v1\" (not a shipgate "
            "secrets key file)");
}

TEST(RootKeyFile, WrittenFilesAreOwnerOnlyAndLoad) {
  testsupport::TempDir dir;
  const std::string path = dir.file("root.key");
  ASSERT_TRUE(RootKey::writeKeyFile(path).isOk());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<RootKey> k = RootKey::loadKeyFile(path);
  ASSERT_TRUE(k.isOk()) << k.status().message();
  // Never overwritten.
  Status again = RootKey::writeKeyFile(path);
  EXPECT_FALSE(again.isOk());
  EXPECT_NE(again.message().find("File exists"), std::string::npos) << again.message();
  EXPECT_EQ(RootKey::loadKeyFile(path)->id(), k->id());
  // Two new keys differ.
  ASSERT_TRUE(RootKey::writeKeyFile(dir.file("other.key")).isOk());
  EXPECT_NE(RootKey::loadKeyFile(dir.file("other.key"))->id(), k->id());
}

TEST(RootKeyFile, LoosePermissionsAreRefusedWithTheMode) {
  testsupport::TempDir dir;
  const std::string path = dir.writeFile("root.key", keyFile());
  for (mode_t mode : {0640, 0604, 0620, 0660, 0644}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    Result<RootKey> k = RootKey::loadKeyFile(path);
    ASSERT_FALSE(k.isOk()) << mode;
    EXPECT_EQ(k.status().code(), Status::Code::kPermissionDenied);
    char expected[16];
    std::snprintf(expected, sizeof expected, "mode %04o", static_cast<unsigned>(mode));
    EXPECT_EQ(k.status().message(), "secrets key file " + path + " has " + expected +
                                        ": its group or others may access it; run chmod 600 " +
                                        path);
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(RootKey::loadKeyFile(path).isOk());
}

TEST(RootKeyFile, LoadErrorsNameTheFile) {
  testsupport::TempDir dir;
  Result<RootKey> missing = RootKey::loadKeyFile(dir.file("none.key"));
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find(dir.file("none.key")), std::string::npos);
  const std::string path = dir.writeFile("short.key", keyFile(kHex.substr(0, 10)));
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  Result<RootKey> bad = RootKey::loadKeyFile(path);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            "secrets key file " + path + ": line 2: expected 64 hex digits, found 10 characters");
  ASSERT_EQ(::mkdir(dir.file("d.key").c_str(), 0700), 0);
  Result<RootKey> directory = RootKey::loadKeyFile(dir.file("d.key"));
  ASSERT_FALSE(directory.isOk());
  EXPECT_EQ(directory.status().message(),
            "secrets key file " + dir.file("d.key") + ": not a regular file");
}

TEST(RootKeyPassphrase, Argon2idIsDeterministicForTheSameSaltAndParameters) {
  const KdfParams params = KdfParams::fresh(1, 8192);
  const SecretBytes pass = SecretBytes::copyOf("correct horse battery staple");
  Result<RootKey> a = RootKey::fromPassphrase(pass, params);
  ASSERT_TRUE(a.isOk()) << a.status().message();
  Result<RootKey> b = RootKey::fromPassphrase(pass, *KdfParams::parse(params.toText()));
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(a->id(), b->id());
  EXPECT_EQ(a->kdf(), params.toText());
  EXPECT_NE(RootKey::fromPassphrase(SecretBytes::copyOf("wrong"), params)->id(), a->id());
  EXPECT_NE(RootKey::fromPassphrase(pass, KdfParams::fresh(1, 8192))->id(), a->id());
  EXPECT_FALSE(RootKey::fromPassphrase(SecretBytes(), params).isOk());
}

TEST(RootKeyPassphrase, ParametersTextIsParsedStrictly) {
  const std::string salt(32, 'a');
  EXPECT_TRUE(KdfParams::parse("argon2id13$2$67108864$" + salt).isOk());
  EXPECT_EQ(KdfParams::parse("scrypt$2$67108864$" + salt).status().message(),
            "passphrase parameters: algorithm is not argon2id13");
  EXPECT_EQ(KdfParams::parse("argon2id13$2$67108864").status().message(),
            "passphrase parameters: expected 4 '$'-separated fields");
  EXPECT_EQ(KdfParams::parse("argon2id13$2$67108864$" + salt + "$x").status().message(),
            "passphrase parameters: expected 4 '$'-separated fields");
  EXPECT_FALSE(KdfParams::parse("argon2id13$0$67108864$" + salt).isOk());
  EXPECT_FALSE(KdfParams::parse("argon2id13$2$99999999999999$" + salt).isOk());
  EXPECT_EQ(KdfParams::parse("argon2id13$2$67108864$" + salt.substr(1) + "z").status().message(),
            "passphrase parameters: field 4 (salt) has a non-hex digit at 31");
}

}  // namespace
}  // namespace shipgate::secrets
