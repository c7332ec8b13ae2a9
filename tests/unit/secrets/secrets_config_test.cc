// The secrets: section through the real loader: key file and access rules, located errors, and
// mayRead by environment and prefix.
#include "shipgate/secrets/secrets_config.h"

#include <gtest/gtest.h>

#include "shipgate/config/loader.h"

namespace shipgate::secrets {
namespace {

const std::string kBase = "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n";

config::LoadResult load(const std::string& yaml) {
  static auto section = secretsSection();
  return config::loadString(kBase + yaml, "/etc/shipgate/s.yaml", {section.get()});
}

TEST(SecretsConfig, WithoutTheSectionThereAreNoSecrets) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(secretsConfigOf(*r.config), nullptr);
}

TEST(SecretsConfig, ReadsTheKeyFileAndRules) {
  auto r = load(
      "secrets:\n"
      "  key_file: keys/root.key\n"
      "  access:\n"
      "    - {environment: production, prefix: /coinestate/prod/}\n"
      "    - {environment: staging, prefix: /coinestate/staging}\n"
      "    - {environment: production, prefix: /shared}\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  auto c = secretsConfigOf(*r.config);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->key_file, "/etc/shipgate/keys/root.key");
  ASSERT_EQ(c->access.size(), 3u);
  EXPECT_EQ(c->access[0].prefix.str(), "/coinestate/prod");
  auto path = [](const char* p) { return *SecretPath::parse(p); };
  EXPECT_TRUE(c->mayRead("production", path("/coinestate/prod/db/url")));
  EXPECT_TRUE(c->mayRead("production", path("/shared/x")));
  EXPECT_FALSE(c->mayRead("production", path("/coinestate/staging/db/url")));
  EXPECT_FALSE(c->mayRead("production", path("/coinestate/production/x")));
  EXPECT_TRUE(c->mayRead("staging", path("/coinestate/staging/db/url")));
  EXPECT_FALSE(c->mayRead("staging", path("/coinestate/prod/db/url")));
  EXPECT_FALSE(c->mayRead("dev", path("/coinestate/prod/db/url")));
}

TEST(SecretsConfig, ErrorsAreLocated) {
  auto r = load(
      "secrets:\n"
      "  access:\n"
      "    - {environment: production, prefix: /a/../b}\n"
      "    - {environment: \"bad env\", prefix: /x}\n"
      "    - {prefix: /y}\n"
      "    - {environment: production, prefix: /z, extra: 1}\n");
  ASSERT_FALSE(r.ok());
  const std::string text = r.toString();
  EXPECT_NE(text.find("s.yaml:3:3: error: secrets.key_file: missing (the root key file, mode "
                      "0600)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("s.yaml:4:41: error: secrets.access[0].prefix: secret prefix \"/a/../b\": "
                      "segment 2 (at byte 4) is '..': relative segments are not allowed"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("secrets.access[1].environment: \"bad env\" is not an environment name"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("secrets.access[2].environment: missing"), std::string::npos) << text;
  EXPECT_NE(text.find("extra"), std::string::npos) << text;
}

TEST(SecretsConfig, ARepeatedRuleIsAWarning) {
  auto r = load(
      "secrets:\n"
      "  key_file: /k\n"
      "  access:\n"
      "    - {environment: production, prefix: /a/}\n"
      "    - {environment: production, prefix: /a}\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_NE(r.toString().find("secrets.access[1]: repeats the rule for production on /a"),
            std::string::npos)
      << r.toString();
  EXPECT_EQ(secretsConfigOf(*r.config)->access.size(), 1u);
}

}  // namespace
}  // namespace shipgate::secrets
