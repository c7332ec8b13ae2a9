// The proxy's error-masking helpers (src/server/error_mask.h): the chunked prefix decoder, the
// content-coding reader, the Accept reader, the generic page and the log form of the original
// body. Compressed inputs are made here with zlib and brotli's encoder.
#include "error_mask.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <random>

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

// window_bits: 15 + 16 gzip, 15 zlib ("deflate" as RFC 9110 defines it), -15 raw deflate.
std::string deflateWith(std::string_view in, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}
std::string gzip(std::string_view in) { return deflateWith(in, 15 + 16); }

std::string brotli(std::string_view in) {
  size_t size = BrotliEncoderMaxCompressedSize(in.size());
  std::string out(size, '\0');
  EXPECT_TRUE(BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, in.size(),
                                    reinterpret_cast<const uint8_t*>(in.data()), &size,
                                    reinterpret_cast<uint8_t*>(out.data())));
  out.resize(size);
  return out;
}

const std::string kTrace =
    "Traceback (most recent call last):\n  File \"/srv/app.py\", line 4, in order\n"
    "sqlite3.OperationalError: unrecognized token\n";

TEST(DecodeContentCodings, ReadsGzipDeflateAndBrotli) {
  EXPECT_EQ(decodeContentCodings("gzip", gzip(kTrace)), kTrace);
  EXPECT_EQ(decodeContentCodings("X-GZIP", gzip(kTrace)), kTrace);
  EXPECT_EQ(decodeContentCodings("deflate", deflateWith(kTrace, 15)), kTrace);
  EXPECT_EQ(decodeContentCodings("deflate", deflateWith(kTrace, -15)), kTrace);  // raw, as IIS
  EXPECT_EQ(decodeContentCodings("br", brotli(kTrace)), kTrace);
  EXPECT_EQ(decodeContentCodings("identity", kTrace), kTrace);
  EXPECT_EQ(decodeContentCodings("", kTrace), kTrace);
}

TEST(DecodeContentCodings, UndoesAListLastToFirst) {
  // "gzip, br": gzip was applied first, so br is undone first.
  EXPECT_EQ(decodeContentCodings("gzip, br", brotli(gzip(kTrace))), kTrace);
  EXPECT_EQ(decodeContentCodings(" br ,identity,  gzip", gzip(brotli(kTrace))), kTrace);
  EXPECT_EQ(decodeContentCodings("gzip", gzip(kTrace) + gzip("second member\n")),
            kTrace + "second member\n");
}

TEST(DecodeContentCodings, ACutStreamGivesWhatItsBytesDecodeTo) {
  std::mt19937 rng(7);
  std::string noise;
  for (int i = 0; i < 200000; ++i) noise += static_cast<char>('a' + rng() % 26);
  std::string body = kTrace + noise;
  for (const char* coding : {"gzip", "br"}) {
    SCOPED_TRACE(coding);
    std::string coded = coding[0] == 'g' ? gzip(body) : brotli(body);
    ASSERT_GT(coded.size(), kErrorHoldLimit);
    std::string_view held(coded.data(), kErrorHoldLimit);
    std::optional<std::string> text = decodeContentCodings(coding, held);
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(text->rfind(kTrace, 0), 0u);
    EXPECT_GT(text->size(), kErrorHoldLimit);  // more text than compressed bytes
    EXPECT_LT(text->size(), body.size());
  }
}

TEST(DecodeContentCodings, StopsAtTheInspectLimit) {
  std::string zeros(8 * kErrorInspectLimit, '0');  // 8 MiB that gzip makes ~8 KiB of
  std::string coded = gzip(zeros);
  ASSERT_LT(coded.size(), kErrorHoldLimit);
  std::optional<std::string> text = decodeContentCodings("gzip", coded);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->size(), kErrorInspectLimit);
  text = decodeContentCodings("br", brotli(zeros));
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->size(), kErrorInspectLimit);
}

TEST(DecodeContentCodings, UnknownCodingsAndInvalidDataAreNotRead) {
  EXPECT_EQ(decodeContentCodings("zstd", kTrace), std::nullopt);
  EXPECT_EQ(decodeContentCodings("gzip, compress", gzip(kTrace)), std::nullopt);
  EXPECT_EQ(decodeContentCodings("gzip", kTrace), std::nullopt);  // labelled gzip, sent plain
  EXPECT_EQ(decodeContentCodings("br", "\xff\xff\xff\xff not brotli"), std::nullopt);
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
