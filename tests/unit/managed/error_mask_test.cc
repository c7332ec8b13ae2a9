// The proxy's error-masking helpers (src/server/error_mask.h): the chunked prefix decoder, the
// Accept reader, the generic page and the log form of the original body.
#include "error_mask.h"

#include <gtest/gtest.h>

namespace shipgate::server {
namespace {

TEST(DecodeChunkedPrefix, JoinsChunksAndDropsFraming) {
  EXPECT_EQ(decodeChunkedPrefix("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n"),
            "hello world");
  EXPECT_EQ(decodeChunkedPrefix("A\r\n0123456789\r\n"), "0123456789");
}

TEST(DecodeChunkedPrefix, KeepsACutChunkAsFarAsItArrived) {
  EXPECT_EQ(decodeChunkedPrefix("10\r\nException in"), "Exception in");
  EXPECT_EQ(decodeChunkedPrefix("3\r\nabc\r\n1"), "abc");  // a size line cut short
  EXPECT_EQ(decodeChunkedPrefix(""), "");
}

TEST(DecodeChunkedPrefix, NonChunkedBytesAreKept) {
  EXPECT_EQ(decodeChunkedPrefix("3\r\nabc\r\nzz\r\nrest"), "abczz\r\nrest");
}

TEST(PrefersJson, RanksByQuality) {
  EXPECT_TRUE(prefersJson("application/json"));
  EXPECT_TRUE(prefersJson("application/problem+json, */*;q=0.1"));
  EXPECT_TRUE(prefersJson("text/html;q=0.5, application/json"));
  EXPECT_FALSE(prefersJson(""));
  EXPECT_FALSE(prefersJson("*/*"));
  EXPECT_FALSE(prefersJson("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  EXPECT_FALSE(prefersJson("application/json, text/html"));  // a tie prefers HTML
  EXPECT_FALSE(prefersJson("application/json;q=0"));
}

TEST(MaskedErrorBody, NamesTheRequestIdOnly) {
  EXPECT_EQ(maskedErrorBody(true, 502, "abc-123"),
            "{\"error\":\"internal error\",\"request_id\":\"abc-123\"}\n");
  std::string html = maskedErrorBody(false, 500, "abc-123");
  EXPECT_NE(html.find("<title>500 Internal Server Error</title>"), std::string::npos);
  EXPECT_NE(html.find("Request id: abc-123"), std::string::npos);
  // An id with markup in it (never ours) is not echoed as markup.
  EXPECT_EQ(maskedErrorBody(true, 500, "a\"<b>"), "{\"error\":\"internal error\",\"request_id\":\"ab\"}\n");
}

TEST(BodyForLog, OneLineBoundedAndMarkedWhenCut) {
  EXPECT_EQ(bodyForLog("a\nb\tc\r\x01", 7), "a\\nb\tc\\x0d\\x01");
  std::string big(20000, 'x');
  std::string logged = bodyForLog(big, big.size());
  EXPECT_EQ(logged, std::string(kErrorLogLimit, 'x') + "...(20000 bytes)");
}

}  // namespace
}  // namespace shipgate::server
