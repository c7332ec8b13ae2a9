// The `flags:` section: defaults, every key, and located errors.
#include "shipgate/flags/flags_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "shipgate/config/loader.h"

namespace shipgate::flags {
namespace {

config::LoadResult load(const std::string& yaml) {
  static const auto section = flagsSection();
  return config::loadString("listeners: [{name: http, address: \"127.0.0.1:0\"}]\n" + yaml,
                            "/tmp/sg-flags-config-test.yaml", {section.get()});
}

std::string firstError(const config::LoadResult& r) {
  for (const auto& d : r.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kError) return d.toString();
  }
  return "";
}

TEST(FlagsConfig, Defaults) {
  auto r = load("");
  ASSERT_NE(r.config, nullptr) << firstError(r);
  auto c = flagsConfigOf(*r.config);
  EXPECT_EQ(c->environment, "production");
  EXPECT_TRUE(c->ofrep);
  EXPECT_EQ(c->token, "");
  EXPECT_EQ(c->max_body_bytes, 64u * 1024);
  EXPECT_EQ(c->poll_interval, Millis(500));
}

TEST(FlagsConfig, EveryKey) {
  { std::ofstream("/tmp/sg-flags-config-test.token") << "tok-123\n"; }
  auto r = load(
      "flags:\n  environment: staging\n  ofrep: false\n  token_file: sg-flags-config-test.token\n"
      "  max_body_bytes: 8KiB\n  poll_interval: 200ms\n");
  ASSERT_NE(r.config, nullptr) << firstError(r);
  auto c = flagsConfigOf(*r.config);
  EXPECT_EQ(c->environment, "staging");
  EXPECT_FALSE(c->ofrep);
  EXPECT_EQ(c->token, "tok-123");
  EXPECT_EQ(c->max_body_bytes, 8192u);
  EXPECT_EQ(c->poll_interval, Millis(200));
}

TEST(FlagsConfig, LocatedErrors) {
  auto r = load("flags:\n  environment: Prod!\n");
  EXPECT_EQ(r.config, nullptr);
  EXPECT_EQ(firstError(r),
            "/tmp/sg-flags-config-test.yaml:3:16: error: flags.environment: \"Prod!\" is not an "
            "environment name (lowercase letters, digits, _ and -)");
  r = load("flags:\n  poll_interval: 10ms\n");
  EXPECT_NE(firstError(r).find("flags.poll_interval: between 50ms and 60s"), std::string::npos);
  r = load("flags:\n  enviroment: staging\n");
  EXPECT_NE(firstError(r).find("enviroment"), std::string::npos) << firstError(r);
  r = load("flags:\n  token_file: /nonexistent/ofrep.token\n");
  EXPECT_NE(firstError(r).find("flags.token_file: /nonexistent/ofrep.token cannot be read"),
            std::string::npos) << firstError(r);
}

}  // namespace
}  // namespace shipgate::flags
