// The value syntaxes: durations, sizes, addresses, URLs.
#include <gtest/gtest.h>

#include "shipgate/config/loader.h"

namespace shipgate::config {
namespace {

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(parseDuration("500ms")->count(), 500);
  EXPECT_EQ(parseDuration("2s")->count(), 2000);
  EXPECT_EQ(parseDuration("5m")->count(), 300'000);
  EXPECT_EQ(parseDuration("1h")->count(), 3'600'000);
  EXPECT_EQ(parseDuration("365d")->count(), 365LL * 86'400'000);
  EXPECT_EQ(parseDuration("1m30s")->count(), 90'000);
  EXPECT_EQ(parseDuration("1.5s")->count(), 1500);
  EXPECT_EQ(parseDuration("0")->count(), 0);
  EXPECT_EQ(parseDuration(" 2s ")->count(), 2000);
}

TEST(ParseDuration, RejectsBareNumbersAndJunk) {
  auto bare = parseDuration("30");
  ASSERT_FALSE(bare.isOk());
  EXPECT_NE(bare.status().message().find("a unit is required"), std::string::npos);
  auto unit = parseDuration("3w");
  ASSERT_FALSE(unit.isOk());
  EXPECT_NE(unit.status().message().find("unknown unit \"w\""), std::string::npos);
  EXPECT_FALSE(parseDuration("").isOk());
  EXPECT_FALSE(parseDuration("-1s").isOk());
  EXPECT_FALSE(parseDuration("s").isOk());
  EXPECT_FALSE(parseDuration("1.s").isOk());
  EXPECT_FALSE(parseDuration("999999999999999h").isOk());
}

TEST(ParseSize, AcceptsBinaryDecimalAndNginxUnits) {
  EXPECT_EQ(*parseSize("16KiB"), 16u * 1024);
  EXPECT_EQ(*parseSize("10MiB"), 10u * 1024 * 1024);
  EXPECT_EQ(*parseSize("1GiB"), 1024u * 1024 * 1024);
  EXPECT_EQ(*parseSize("2KB"), 2000u);
  EXPECT_EQ(*parseSize("3MB"), 3'000'000u);
  EXPECT_EQ(*parseSize("16k"), 16u * 1024);
  EXPECT_EQ(*parseSize("1m"), 1024u * 1024);
  EXPECT_EQ(*parseSize("4096"), 4096u);
  EXPECT_EQ(*parseSize("12B"), 12u);
  EXPECT_EQ(*parseSize("1.5KiB"), 1536u);
  EXPECT_EQ(*parseSize("16 KiB"), 16u * 1024);
}

TEST(ParseSize, RejectsBadUnitsAndFractions) {
  auto r = parseSize("16KiBs");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("unknown unit \"KiBs\""), std::string::npos);
  EXPECT_FALSE(parseSize("").isOk());
  EXPECT_FALSE(parseSize("KiB").isOk());
  EXPECT_FALSE(parseSize("1.3B").isOk());
  EXPECT_FALSE(parseSize("-5").isOk());
  EXPECT_FALSE(parseSize("99999999999PB").isOk());
}

TEST(ParseHostPort, ParsesV4V6NamesAndWildcard) {
  auto a = parseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = parseHostPort("[::1]:9901");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->toString(), "[::1]:9901");
  EXPECT_EQ(parseHostPort("localhost:0")->port, 0);
  EXPECT_EQ(parseHostPort("*:80")->host, "*");
  EXPECT_EQ(parseHostPort(":80")->host, "*");
}

TEST(ParseHostPort, ExplainsWhatIsWrong) {
  auto msg = [](const char* s) { return parseHostPort(s).status().message(); };
  EXPECT_NE(msg("127.0.0.1").find("missing port"), std::string::npos);
  EXPECT_NE(msg("::1:80").find("need brackets"), std::string::npos);
  EXPECT_NE(msg("127.0.0.1:65536").find("0 to 65535"), std::string::npos);
  EXPECT_NE(msg("127.0.0.1:http").find("0 to 65535"), std::string::npos);
  EXPECT_NE(msg("300.1.1.1:80").find("not a valid IPv4 address"), std::string::npos);
  EXPECT_NE(msg("bad host:80").find("not a valid host name"), std::string::npos);
  EXPECT_NE(msg("[::g]:80").find("not a valid IPv6 address"), std::string::npos);
  EXPECT_NE(msg("[::1]").find("missing port"), std::string::npos);
}

TEST(ParseUrl, DefaultsPortsAndPaths) {
  auto a = parseUrl("https://api.coinestate.io/health");
  ASSERT_TRUE(a.isOk());
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->address.host, "api.coinestate.io");
  EXPECT_EQ(a->address.port, 443);
  EXPECT_EQ(a->path, "/health");
  auto b = parseUrl("http://127.0.0.1:8545");
  ASSERT_TRUE(b.isOk());
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->address.port, 8545);
  EXPECT_EQ(b->path, "/");
  EXPECT_EQ(parseUrl("HTTP://[::1]/x?y=1")->address.port, 80);
  EXPECT_EQ(parseUrl("http://h?q")->path, "/?q");
  EXPECT_EQ(parseUrl("http://h/p#frag")->path, "/p");
}

TEST(ParseUrl, RejectsOtherSchemesAndCredentials) {
  EXPECT_NE(parseUrl("ftp://x/").status().message().find("http:// or https://"), std::string::npos);
  EXPECT_NE(parseUrl("http://u:p@x/").status().message().find("credentials"), std::string::npos);
  EXPECT_NE(parseUrl("http:///x").status().message().find("missing host"), std::string::npos);
  EXPECT_FALSE(parseUrl("http://h:99999/").isOk());
  EXPECT_FALSE(parseUrl("http://h/a b").isOk());
}

// The log level is an enum parsed once; an unknown name is an error, never a silent "info".
TEST(ParseLogLevel, NamesAndErrors) {
  EXPECT_EQ(parseLogLevel("debug").value(), LogLevel::kDebug);
  EXPECT_EQ(parseLogLevel("info").value(), LogLevel::kInfo);
  EXPECT_EQ(parseLogLevel("warn").value(), LogLevel::kWarn);
  EXPECT_EQ(parseLogLevel("error").value(), LogLevel::kError);
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    EXPECT_EQ(parseLogLevel(logLevelName(l)).value(), l);
  }
  auto bad = parseLogLevel("verbose");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), "log level \"verbose\" is not one of debug, info, warn or error");
  EXPECT_FALSE(parseLogLevel("INFO").isOk());
}

}  // namespace
}  // namespace shipgate::config
