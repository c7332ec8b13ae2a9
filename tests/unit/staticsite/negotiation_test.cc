#include "staticsite/negotiation.h"

#include <gtest/gtest.h>

namespace shipgate::staticsite {
namespace {

TEST(NegotiationTest, IfNoneMatch) {
  EXPECT_TRUE(ifNoneMatchMatches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(ifNoneMatchMatches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(ifNoneMatchMatches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(ifNoneMatchMatches(" * ", "\"abc\""));
  EXPECT_FALSE(ifNoneMatchMatches("\"abd\"", "\"abc\""));
  EXPECT_FALSE(ifNoneMatchMatches("abc", "\"abc\""));
  EXPECT_FALSE(ifNoneMatchMatches(",,", "\"abc\""));
}

TEST(NegotiationTest, IfRangeUsesStrongComparison) {
  EXPECT_TRUE(ifRangeEtagMatches("\"abc\"", "\"abc\""));
  EXPECT_FALSE(ifRangeEtagMatches("W/\"abc\"", "\"abc\""));
  EXPECT_FALSE(ifRangeEtagMatches("\"abd\"", "\"abc\""));
}

TEST(NegotiationTest, RangeForms) {
  ByteRange r = parseRange("bytes=0-9", 100);
  EXPECT_EQ(r.kind, ByteRange::Kind::kSatisfiable);
  EXPECT_EQ(r.first, 0);
  EXPECT_EQ(r.length, 10);

  r = parseRange("bytes=90-", 100);
  EXPECT_EQ(r.kind, ByteRange::Kind::kSatisfiable);
  EXPECT_EQ(r.first, 90);
  EXPECT_EQ(r.length, 10);

  r = parseRange("bytes=-5", 100);
  EXPECT_EQ(r.kind, ByteRange::Kind::kSatisfiable);
  EXPECT_EQ(r.first, 95);
  EXPECT_EQ(r.length, 5);

  r = parseRange("bytes=-500", 100);  // suffix longer than the file: the whole file
  EXPECT_EQ(r.first, 0);
  EXPECT_EQ(r.length, 100);

  r = parseRange("bytes=50-5000", 100);  // last clamped to size - 1
  EXPECT_EQ(r.first, 50);
  EXPECT_EQ(r.length, 50);

  r = parseRange("Bytes = 1-1", 100);
  EXPECT_EQ(r.kind, ByteRange::Kind::kNone);  // space before '=' is not the grammar
  r = parseRange("BYTES=1-1", 100);
  EXPECT_EQ(r.kind, ByteRange::Kind::kSatisfiable);
  EXPECT_EQ(r.length, 1);
}

TEST(NegotiationTest, UnsatisfiableRanges) {
  EXPECT_EQ(parseRange("bytes=100-", 100).kind, ByteRange::Kind::kUnsatisfiable);
  EXPECT_EQ(parseRange("bytes=200-300", 100).kind, ByteRange::Kind::kUnsatisfiable);
  EXPECT_EQ(parseRange("bytes=-0", 100).kind, ByteRange::Kind::kUnsatisfiable);
  EXPECT_EQ(parseRange("bytes=0-", 0).kind, ByteRange::Kind::kUnsatisfiable);
}

TEST(NegotiationTest, IgnoredRanges) {
  EXPECT_EQ(parseRange("", 100).kind, ByteRange::Kind::kNone);
  EXPECT_EQ(parseRange("items=0-1", 100).kind, ByteRange::Kind::kNone);
  EXPECT_EQ(parseRange("bytes=5-1", 100).kind, ByteRange::Kind::kNone);
  EXPECT_EQ(parseRange("bytes=a-b", 100).kind, ByteRange::Kind::kNone);
  EXPECT_EQ(parseRange("bytes=0-1,5-6", 100).kind, ByteRange::Kind::kNone);
  EXPECT_EQ(parseRange("bytes=-", 100).kind, ByteRange::Kind::kNone);
  EXPECT_EQ(parseRange("bytes=99999999999999999999999-", 100).kind, ByteRange::Kind::kNone);
}

TEST(NegotiationTest, AcceptEncodingPrefersBrotliOnTies) {
  EXPECT_EQ(chooseEncoding("gzip, deflate, br", true, true), Encoding::kBrotli);
  EXPECT_EQ(chooseEncoding("gzip, deflate, br", false, true), Encoding::kGzip);
  EXPECT_EQ(chooseEncoding("gzip, deflate, br", false, false), Encoding::kIdentity);
  EXPECT_EQ(chooseEncoding("gzip", true, true), Encoding::kGzip);
  EXPECT_EQ(chooseEncoding("br", false, true), Encoding::kIdentity);
  EXPECT_EQ(chooseEncoding("", true, true), Encoding::kIdentity);
}

TEST(NegotiationTest, AcceptEncodingHonoursQValues) {
  EXPECT_EQ(chooseEncoding("br;q=0.5, gzip;q=0.8", true, true), Encoding::kGzip);
  EXPECT_EQ(chooseEncoding("br;q=0, gzip", true, true), Encoding::kGzip);
  EXPECT_EQ(chooseEncoding("br;q=0, gzip;q=0", true, true), Encoding::kIdentity);
  EXPECT_EQ(chooseEncoding("br;q=0.1, identity", true, true), Encoding::kIdentity);
  EXPECT_EQ(chooseEncoding("*", true, true), Encoding::kBrotli);
  EXPECT_EQ(chooseEncoding("*;q=0.5, br;q=0.2", true, true), Encoding::kGzip);
  EXPECT_EQ(chooseEncoding("GZIP;Q=1.0", false, true), Encoding::kGzip);
  EXPECT_EQ(chooseEncoding("x-gzip", false, true), Encoding::kGzip);
  EXPECT_EQ(chooseEncoding("br;q=2", true, true), Encoding::kIdentity);  // malformed q
  EXPECT_EQ(chooseEncoding("br;q=abc", true, false), Encoding::kIdentity);
}

}  // namespace
}  // namespace shipgate::staticsite
