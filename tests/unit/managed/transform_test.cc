// The `t:` transformations: per transform, its documented behaviour and edge cases as tables
// (invalid escapes, truncated input, empty input, bytes >= 0x80, NUL bytes); differential tests
// against the project's own percent decoder and round trips; digests of RFC 1321/3174 vectors;
// normalisePath against RFC 3986 section 5.4's dot-segment cases.
#include "shipgate/managed/transform.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "shipgate/http/percent.h"

namespace shipgate::managed {
namespace {

using namespace std::string_literals;

struct Case {
  std::string in;
  std::string want;
};

std::string run(Transform t, std::string_view in) {
  std::string out = "stale";  // applyTransform must replace, not append
  (void)applyTransform(t, in, out);
  return out;
}

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string r;
  for (unsigned char c : s) {
    r.push_back(d[c >> 4]);
    r.push_back(d[c & 15]);
  }
  return r;
}

void checkTable(Transform t, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    std::string out = "stale";
    bool changed = applyTransform(t, c.in, out);
    EXPECT_EQ(hex(out), hex(c.want)) << transformName(t) << "(\"" << c.in << "\") gave \"" << out
                                     << "\", want \"" << c.want << "\"";
    EXPECT_EQ(changed, out != c.in) << transformName(t) << "(\"" << c.in << "\") changed flag";
  }
}

TEST(TransformNames, ParseIsCaseInsensitiveAndAcceptsBothSpellings) {
  EXPECT_EQ(parseTransform("urlDecodeUni"), Transform::kUrlDecodeUni);
  EXPECT_EQ(parseTransform("URLDECODEUNI"), Transform::kUrlDecodeUni);
  EXPECT_EQ(parseTransform("normalisePath"), Transform::kNormalisePath);
  EXPECT_EQ(parseTransform("normalizePath"), Transform::kNormalisePath);
  EXPECT_EQ(parseTransform("normalisePathWin"), Transform::kNormalisePathWin);
  EXPECT_EQ(parseTransform("normalizePathWin"), Transform::kNormalisePathWin);
  EXPECT_EQ(parseTransform("utf8toUnicode"), Transform::kUtf8ToUnicode);
  EXPECT_EQ(parseTransform("utf8ToUnicode"), Transform::kUtf8ToUnicode);
  EXPECT_EQ(parseTransform("base64decode"), Transform::kBase64Decode);  // as REQUEST-941 spells it
  EXPECT_EQ(parseTransform("none"), Transform::kNone);
  EXPECT_EQ(parseTransform("sha1"), Transform::kSha1);
  EXPECT_EQ(parseTransform("lowercase"), Transform::kLowercase);
  EXPECT_EQ(parseTransform("parityZero7bit"), Transform::kParityZero7bit);
  EXPECT_EQ(parseTransform("urlDecodeUnii"), std::nullopt);
  EXPECT_EQ(parseTransform(""), std::nullopt);
  EXPECT_EQ(parseTransform("alert"), std::nullopt);
}

TEST(TransformNames, EveryTransformRoundTripsThroughItsCanonicalName) {
  for (int i = 0; i <= static_cast<int>(Transform::kParityZero7bit); ++i) {
    auto t = static_cast<Transform>(i);
    std::string_view name = transformName(t);
    EXPECT_NE(name, "unknown") << i;
    EXPECT_EQ(parseTransform(name), t) << name;
  }
  EXPECT_EQ(transformName(Transform::kNormalisePath), "normalisePath");
  EXPECT_EQ(transformName(Transform::kUtf8ToUnicode), "utf8toUnicode");
}

TEST(Transform, None) { checkTable(Transform::kNone, {{"", ""}, {"A%41\0"s, "A%41\0"s}}); }

TEST(Transform, CaseFolding) {
  checkTable(Transform::kLowercase, {{"", ""},
                                     {"abc", "abc"},
                                     {"SeLeCt * FROM", "select * from"},
                                     {"\xC3\x89T\0\xFF"s, "\xC3\x89t\0\xFF"s},
                                     {"@[`{", "@[`{"}});
  checkTable(Transform::kUppercase,
             {{"", ""}, {"union Select", "UNION SELECT"}, {"\xe9z\0"s, "\xe9Z\0"s}});
  // Every byte value, at every offset within an 8-byte word (the fold runs a word at a time):
  // only ASCII letters change, and only from one case to the other.
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (size_t shift = 0; shift < 9; ++shift) {
    std::string in = std::string(shift, '.') + all + all.substr(0, shift);
    std::string lower = in, upper = in;
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    for (char& c : upper)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    std::string out;
    EXPECT_TRUE(applyTransform(Transform::kLowercase, in, out));
    EXPECT_EQ(out, lower) << "shift " << shift;
    EXPECT_TRUE(applyTransform(Transform::kUppercase, in, out));
    EXPECT_EQ(out, upper) << "shift " << shift;
    // A letter only in the last, partial word is still found.
    std::string tail = std::string(8 + shift, '-') + "Q";
    EXPECT_TRUE(applyTransform(Transform::kLowercase, tail, out));
    EXPECT_EQ(out, std::string(8 + shift, '-') + "q");
  }
}

TEST(Transform, UrlDecode) {
  checkTable(Transform::kUrlDecode,
             {
                 {"", ""},
                 {"plain", "plain"},
                 {"a%20b", "a b"},
                 {"a+b", "a b"},
                 {"%41%42%43", "ABC"},
                 {"%4a%4A", "JJ"},
                 {"%00x", "\0x"s},
                 {"%ff%80", "\xff\x80"},
                 {"%", "%"},          // truncated: kept
                 {"%4", "%4"},        // truncated: kept
                 {"%zz%41", "%zzA"},  // invalid escape kept, the next one decoded
                 {"%%41", "%A"},
                 {"%u0041", "%u0041"},  // no %u in plain urlDecode
                 {"100%", "100%"},
                 {"%2541", "%41"},  // one level only
                 {"\xe9%e9", "\xe9\xe9"},
             });
}

TEST(Transform, UrlDecodeUni) {
  checkTable(Transform::kUrlDecodeUni,
             {
                 {"", ""},
                 {"a+b%20c", "a b c"},
                 {"%u0041", "A"},
                 {"%U0041", "A"},
                 {"%u003c", "<"},
                 {"%u2215", "\x15"},  // only the low byte
                 {"%uff1c", "<"},     // full-width '＜' (U+FF1C) to ASCII
                 {"%uFF41", "a"},     // full-width 'ａ'
                 {"%uff5e", "~"},     // last of the full-width range
                 {"%uff5f", "\x5f"},  // outside it: low byte only
                 {"%uff00", "\0"s},
                 {"%u004", "%u004"},    // truncated: "%u" kept, the rest copied
                 {"%u00zz", "%u00zz"},  // invalid
                 {"%u", "%u"},
                 {"%", "%"},
                 {"%4", "%4"},
                 {"%zz", "%zz"},
                 {"%u%41", "%uA"},
                 {"%3Cscript%3E", "<script>"},
             });
}

TEST(Transform, HtmlEntityDecode) {
  checkTable(Transform::kHtmlEntityDecode,
             {
                 {"", ""},
                 {"no entities", "no entities"},
                 {"&lt;script&gt;", "<script>"},
                 {"&LT;&Gt;", "<>"},
                 {"&quot;&amp;&nbsp;", "\"&\xa0"},
                 {"&lt", "<"},        // without ';'
                 {"&ltx;", "&ltx;"},  // the whole name must match
                 {"&gtoq", "&gtoq"},
                 {"&#60;&#x3c;&#X3C;", "<<<"},
                 {"&#60&#x3c", "<<"},
                 {"&#0000060;", "<"},  // any number of digits
                 {"&#x0003c;", "<"},
                 {"&#256;", "\0"s},  // low byte of the value
                 {"&#x141;x", "Ax"},
                 {"&#99999999999999999999999;", "\xff"},  // strtol saturates at LONG_MAX
                 {"&#9223372036854775800;", "\xf8"},      // just below it
                 {"&#x7ffffffffffffffe;", "\xfe"},
                 {"&#x8000000000000001;", "\xff"},
                 {"&#;", "&#;"},
                 {"&#x;", "&#x;"},
                 {"&#", "&#"},
                 {"&#x", "&#x"},
                 {"&", "&"},
                 {"& b", "& b"},
                 {"&copy;", "&copy;"},  // unknown names kept
                 {"a&&lt;", "a&<"},
                 {"\xff&amp;\0"s, "\xff&\0"s},
             });
}

TEST(Transform, JsDecode) {
  checkTable(Transform::kJsDecode,
             {
                 {"", ""},
                 {"plain", "plain"},
                 {"\\u0041\\x42\\103", "ABC"},
                 {"\\uff1c", "<"},     // full-width to ASCII
                 {"\\u2215", "\x15"},  // low byte
                 {"\\u12", "u12"},     // invalid \u: the backslash goes
                 {"\\x4", "x4"},
                 {"\\xZZ", "xZZ"},
                 {"\\n\\t\\r\\a\\b\\f\\v", "\n\t\r\a\b\f\v"},
                 {"\\\\\\'\\\"\\/", "\\'\"/"},
                 {"\\7", "\x07"},
                 {"\\101x", "Ax"},
                 {"\\477", "'7"},  // first digit > 3: two digits only (\47 = ')
                 {"\\377", "\xff"},
                 {"\\0", "\0"s},
                 {"a\\", "a\\"},  // trailing lone backslash kept
                 {"\\", "\\"},
             });
}

TEST(Transform, CssDecode) {
  checkTable(Transform::kCssDecode,
             {
                 {"", ""},
                 {"plain", "plain"},
                 {"\\3c script\\3e", "<script>"},  // one whitespace after the escape is eaten
                 {"\\3c  x", "< x"},               // only one
                 {"\\a", "\x0a"},
                 {"\\000041", "A"},
                 {"\\0041", "A"},
                 {"\\ff1c", "<"},      // full width (4 digits)
                 {"\\0ff1c", "<"},     // 5 digits with a leading zero
                 {"\\00ff1c", "<"},    // 6 digits with two leading zeros
                 {"\\1ff1c", "\x1c"},  // not full width: last byte
                 {"\\1234567",
                  "\x56"
                  "7"},                           // at most 6 digits
                 {"ja\\vascript", "javascript"},  // 'v' is no hex digit: backslash removed
                 {"a\\\nb", "ab"},                // line continuation
                 {"\\\\", "\\"},
                 {"a\\", "a"},  // trailing backslash removed
                 {"\\g\\\xff", "g\xff"},
             });
}

TEST(Transform, CmdLine) {
  checkTable(Transform::kCmdLine, {
                                      {"", ""},
                                      {"ls", "ls"},
                                      {"C^md.exe /c \"dir\"", "cmd.exe/c dir"},
                                      {"w'h'o\\am\"i", "whoami"},
                                      {"cat  \t /etc/passwd", "cat/etc/passwd"},
                                      {"a,b;c\r\nd", "a b c d"},
                                      {"echo (x)", "echo(x)"},
                                      {" ls", " ls"},
                                      {"  /bin", "/bin"},
                                      {"A\xC9\0"s, "a\xC9\0"s},
                                      // A plain prefix is copied at once: what follows it still
                                      // counts (a space before '/', a late capital).
                                      {"plain.path /x", "plain.path/x"},
                                      {"abcdefghijklmnopQ", "abcdefghijklmnopq"},
                                      {"nothing-to-do.exe", "nothing-to-do.exe"},
                                  });
}

TEST(Transform, Whitespace) {
  checkTable(Transform::kCompressWhitespace, {
                                                 {"", ""},
                                                 {"a b", "a b"},
                                                 {"a \t\r\n\v\fb", "a b"},
                                                 {"\t\ta\n", " a "},
                                                 {"a\xa0\xa0"
                                                  "b",
                                                  "a\xa0\xa0"
                                                  "b"},  // only C-locale whitespace
                                                 {"a\0\0b"s, "a\0\0b"s},
                                                 // Where the first change is (after a copied
                                                 // prefix, at the end, none).
                                                 {"one two three  four", "one two three four"},
                                                 {"one two\tthree", "one two three"},
                                                 {"one two \n", "one two "},
                                                 {"one two ", "one two "},
                                                 {" x  ", " x "},
                                             });
  checkTable(Transform::kRemoveWhitespace, {
                                               {"", ""},
                                               {"un ion\tsel\nect", "unionselect"},
                                               {"a\xc2\xa0"
                                                "b",
                                                "ab"},  // UTF-8 no-break space
                                               {"\v\f\r", ""},
                                               {"a\0b"s, "a\0b"s},
                                           });
}

TEST(Transform, Nulls) {
  checkTable(Transform::kRemoveNulls,
             {{"", ""}, {"abc", "abc"}, {"a\0b\0\0"s, "ab"}, {"\0"s, ""}, {"\xff\0"s, "\xff"}});
  checkTable(Transform::kReplaceNulls, {{"", ""}, {"abc", "abc"}, {"a\0b\0"s, "a b "}});
}

TEST(Transform, Comments) {
  checkTable(Transform::kReplaceComments, {
                                              {"", ""},
                                              {"no comment", "no comment"},
                                              {"union/**/select", "union select"},
                                              {"a/*x*/b/*y*/c", "a b c"},
                                              {"a/*unterminated", "a "},
                                              {"a*/b", "a*/b"},
                                              {"/*/a", " "},
                                              {"/**/", " "},
                                              {"a-- b#c", "a-- b#c"},
                                          });
  checkTable(Transform::kRemoveComments,
             {
                 {"", ""},
                 {"plain", "plain"},
                 {"union/**/select", "unionselect"},
                 {"a<!-- x -->b", "ab"},
                 {"a/* x -->b", "ab"},             // either closer ends either kind
                 {"1 or 1=1-- rest", "1 or 1=1"},  // dropped from "--" or "#" on
                 {"1#rest", "1"},
                 {"#", ""},
                 {"a/*open", "a "},
                 {"a-b", "a-b"},
                 {"-", "-"},
             });
  checkTable(Transform::kRemoveCommentsChar, {
                                                 {"", ""},
                                                 {"plain", "plain"},
                                                 {"union/**/select", "unionselect"},
                                                 {"a/*b*/c", "abc"},
                                                 {"<!--x-->", "x"},
                                                 {"a--b#c", "abc"},
                                                 {"a-b*c/d", "a-b*c/d"},
                                             });
}

TEST(Transform, NormalisePath) {
  checkTable(Transform::kNormalisePath,
             {
                 {"", ""},
                 {"/", "/"},
                 {"/a/b/c", "/a/b/c"},
                 {"/a//b///c", "/a/b/c"},
                 {"/a/./b/.", "/a/b"},
                 {"/a/b/../c", "/a/c"},
                 {"/a/b/../../../../etc/passwd", "/etc/passwd"},  // never above the root
                 {"/..", "/"},
                 {"/a/b/", "/a/b/"},
                 {"/a/b/../", "/a/"},
                 {"./a", "a"},
                 {"a/../b", "b"},
                 {"a/../../b", "../b"},  // a relative path keeps what it cannot resolve
                 {"../../x", "../../x"},
                 {"..", ".."},
                 {".", ""},
                 {"a\\..\\b", "a\\..\\b"},  // backslash is no separator here
                 {"/a/b..c/d", "/a/b..c/d"},
                 {"/\xc3\xa9/../\0"s, "/\0"s},
             });
  checkTable(Transform::kNormalisePathWin, {
                                               {"", ""},
                                               {"c:\\windows\\..\\boot.ini", "c:/boot.ini"},
                                               {"\\a\\\\b\\.\\c\\", "/a/b/c/"},
                                               {"/a\\../b", "/b"},
                                               {"..\\..\\x", "../../x"},
                                           });
}

// RFC 3986 section 5.2.4's remove_dot_segments examples and the dot-segment results of 5.4.1/5.4.2
// (the path parts), where the RFC and ModSecurity agree: a trailing "." or ".." segment leaves no
// trailing '/' in ModSecurity, so those cases are left out.
TEST(Transform, NormalisePathAgreesWithRfc3986DotSegments) {
  checkTable(Transform::kNormalisePath, {
                                            {"/a/b/c/./../../g", "/a/g"},
                                            {"/b/c/g", "/b/c/g"},
                                            {"/b/c/./g", "/b/c/g"},
                                            {"/b/c/g/", "/b/c/g/"},
                                            {"/b/c/../g", "/b/g"},
                                            {"/b/c/../../g", "/g"},
                                            {"/b/c/../../../g", "/g"},
                                            {"/b/c/../../../../g", "/g"},
                                            {"/b/c/./../g", "/b/g"},
                                            {"/b/c/g/./h", "/b/c/g/h"},
                                            {"/b/c/g/../h", "/b/c/h"},
                                            {"/b/c/g;x=1/./y", "/b/c/g;x=1/y"},
                                            {"/b/c/g;x=1/../y", "/b/c/y"},
                                            {"/b/c/g.", "/b/c/g."},
                                            {"/b/c/.g", "/b/c/.g"},
                                            {"/b/c/g..", "/b/c/g.."},
                                            {"/b/c/..g", "/b/c/..g"},
                                            {"/./g", "/g"},
                                            {"/../g", "/g"},
                                            {"mid/content=5/../6", "mid/6"},
                                        });
}

TEST(Transform, Utf8ToUnicode) {
  checkTable(Transform::kUtf8ToUnicode,
             {
                 {"", ""},
                 {"ascii <>", "ascii <>"},
                 {"\xc3\xa9", "%u00e9"},
                 // The ASCII prefix is skipped eight bytes at a time: a sequence at, after and
                 // inside the first word boundaries, and a long ASCII text.
                 {"abcdefgh\xc3\xa9", "abcdefgh%u00e9"},
                 {"abcdefghijk\xc3\xa9z", "abcdefghijk%u00e9z"},
                 {"abcdef\xc3\xa9ghijklmnop", "abcdef%u00e9ghijklmnop"},
                 {"abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"},
                 {"a\xe2\x88\x95"
                  "b",
                  "a%u2215b"},
                 {"\xef\xbc\x9c", "%uff1c"},
                 {"\xf0\x9f\x98\x80", "%u1f600"},
                 {"\xf4\x8f\xbf\xbf", "%u10ffff"},
                 {"\xc3", ""},                    // truncated: the lead byte is dropped
                 {"\xc3(", "("},                  // bad continuation: likewise
                 {"\xe2\x88", "\x88"},            // the continuation byte is then read on its own
                 {"\xc0\xaf", "%u002f\xc0"},      // overlong '/': code point, then the lead byte
                 {"\xed\xa0\x80", "%ud800\xed"},  // surrogate: likewise
                 {"\xf5\x80\x80\x80", "\xf5%u140000"},  // F5-F7 lead copied first
                 {"\xff\xfe\x80", "\xff\xfe\x80"},      // never a lead byte: copied
                 {"\0\xc3\xa9"s, "\0%u00e9"s},
             });
}

TEST(Transform, Base64) {
  checkTable(Transform::kBase64Decode,
             {
                 {"", ""},
                 {"QUJD", "ABC"},
                 {"QUI=", "AB"},
                 {"QQ==", "A"},
                 {"QQ", "A"},
                 {"Q", ""},  // a lone symbol yields nothing
                 {"PHNjcmlwdD4=", "<script>"},
                 {"QUJD.QUJD", "ABC"},  // stops at the first byte outside the alphabet
                 {"QU JD", "A"},
                 {"////", "\xff\xff\xff"},
                 {"AA==", "\0"s},
             });
  checkTable(Transform::kBase64DecodeExt,
             {
                 {"", ""},
                 {"QUJD", "ABC"},
                 {"QU JD", "ABC"},  // skips what is outside the alphabet
                 {"Q.U.J.D", "ABC"},
                 {"QUJD\nQUJD", "ABCABC"},
                 {"QQ==", "A"},
             });
  checkTable(Transform::kBase64Encode, {
                                           {"", ""},
                                           {"f", "Zg=="},
                                           {"fo", "Zm8="},
                                           {"foo", "Zm9v"},
                                           {"foob", "Zm9vYg=="},
                                           {"fooba", "Zm9vYmE="},
                                           {"foobar", "Zm9vYmFy"},  // RFC 4648 section 10
                                           {"\0\xff"s, "AP8="},
                                       });
}

TEST(Transform, Hex) {
  checkTable(Transform::kHexEncode, {{"", ""}, {"AB", "4142"}, {"\0\xff\x80"s, "00ff80"}});
  checkTable(Transform::kHexDecode, {
                                        {"", ""},
                                        {"414243", "ABC"},
                                        {"4a4A", "JJ"},
                                        {"00ff", "\0\xff"s},
                                        {"41424", "AB4"},  // odd last digit kept
                                        {"41zz42",
                                         "Azz"
                                         "B"},  // a pair that is not hex kept
                                    });
  checkTable(Transform::kSqlHexDecode, {
                                           {"", ""},
                                           {"no hex", "no hex"},
                                           {"0x414243", "ABC"},
                                           {"select 0X41, 0x4", "select A, 0x4"},
                                           {"0x41424", "AB4"},
                                           {"0x", "0x"},
                                           {"0xzz", "0xzz"},
                                           {"x0x41", "xA"},
                                           {"0x00", "\0"s},
                                       });
}

TEST(Transform, EscapeSeqDecode) {
  checkTable(Transform::kEscapeSeqDecode,
             {
                 {"", ""},
                 {"plain", "plain"},
                 {"\\n\\t\\r\\a\\b\\f\\v", "\n\t\r\a\b\f\v"},
                 {"\\\\\\?\\'\\\"", "\\?'\""},
                 {"\\x41\\X42", "AB"},
                 {"\\101\\7", "A\x07"},
                 {"\\777", "\xff"},  // low byte of 0777
                 {"\\xZZ", "xZZ"},   // unknown: loses its backslash (libmodsecurity 3)
                 {"\\q", "q"},
                 {"a\\", "a\\"},
             });
}

TEST(Transform, UrlEncode) {
  checkTable(Transform::kUrlEncode, {
                                        {"", ""},
                                        {"abcXYZ019*", "abcXYZ019*"},
                                        {"a b", "a+b"},
                                        {"<a/>", "%3ca%2f%3e"},
                                        {"\0\xff"s, "%00%ff"},
                                        {"-._~", "%2d%2e%5f%7e"},
                                    });
}

TEST(Transform, Trim) {
  checkTable(Transform::kTrim,
             {{"", ""}, {"a", "a"}, {" \t a b \r\n", "a b"}, {"   ", ""}, {"\0 a"s, "\0 a"s}});
  checkTable(Transform::kTrimLeft, {{"", ""}, {"  a  ", "a  "}, {"\v\fx", "x"}});
  checkTable(Transform::kTrimRight, {{"", ""}, {"  a  ", "  a"}, {"x\n", "x"}});
}

TEST(Transform, Length) {
  checkTable(Transform::kLength,
             {{"", "0"}, {"a", "1"}, {"0123456789", "10"}, {"\0\0\0"s, "3"}, {"\xc3\xa9", "2"}});
  std::string big(123456, 'x');
  EXPECT_EQ(run(Transform::kLength, big), "123456");
}

TEST(Transform, DigestsOfKnownVectors) {
  // RFC 1321 appendix A.5.
  EXPECT_EQ(hex(run(Transform::kMd5, "")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(run(Transform::kMd5, "a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(hex(run(Transform::kMd5, "abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(run(Transform::kMd5, "message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(
      hex(run(Transform::kMd5,
              "12345678901234567890123456789012345678901234567890123456789012345678901234567890")),
      "57edf4a22be3c955ac49da2e2107b67a");
  // RFC 3174 section 7.3.
  EXPECT_EQ(hex(run(Transform::kSha1, "abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(run(Transform::kSha1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(run(Transform::kSha1, "x").size(), 20u);  // raw binary, not hex
  EXPECT_EQ(run(Transform::kMd5, "x").size(), 16u);
  // The CRS's t:sha1,t:hexEncode chain (REQUEST-901's session id hashing).
  std::string s;
  (void)applyTransform(Transform::kHexEncode, run(Transform::kSha1, "abc"), s);
  EXPECT_EQ(s, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Transform, Parity) {
  checkTable(Transform::kParityEven7bit, {{"", ""},
                                          {"A", "A"},     // 0x41: two bits, even already
                                          {"C", "\xc3"},  // 0x43: three bits -> bit 7 set
                                          {"\xc1", "A"}});
  checkTable(Transform::kParityOdd7bit, {{"A", "\xc1"}, {"C", "C"}});
  checkTable(Transform::kParityZero7bit, {{"\xc1\xff\x00"s, "A\x7f\x00"s}, {"abc", "abc"}});
}

// Differential: where both are documented to do the same (lenient decoding, '+' as space), our
// urlDecode equals the project's percent decoder on any input.
TEST(TransformDifferential, UrlDecodeMatchesHttpPercentDecoder) {
  std::mt19937 rng(11);
  const std::string alphabet = "%+aF0g9 \x00\xff/u"s;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string in;
    size_t len = rng() % 12;
    for (size_t i = 0; i < len; ++i) in.push_back(alphabet[rng() % alphabet.size()]);
    std::string ours = run(Transform::kUrlDecode, in);
    std::string theirs;
    ASSERT_EQ(http::percentDecode(in, theirs, http::kPlusAsSpace), http::DecodeError::kNone);
    ASSERT_EQ(hex(ours), hex(theirs)) << "input hex " << hex(in);
    // urlDecodeUni agrees wherever no "%u" appears.
    if (in.find("%u") == std::string::npos && in.find("%U") == std::string::npos) {
      ASSERT_EQ(hex(run(Transform::kUrlDecodeUni, in)), hex(theirs)) << hex(in);
    }
  }
}

TEST(TransformDifferential, EncodeDecodeRoundTrips) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 5000; ++iter) {
    std::string in;
    size_t len = rng() % 40;
    for (size_t i = 0; i < len; ++i) in.push_back(static_cast<char>(rng() & 0xff));
    EXPECT_EQ(run(Transform::kBase64Decode, run(Transform::kBase64Encode, in)), in);
    EXPECT_EQ(run(Transform::kBase64DecodeExt, run(Transform::kBase64Encode, in)), in);
    EXPECT_EQ(run(Transform::kHexDecode, run(Transform::kHexEncode, in)), in);
    EXPECT_EQ(run(Transform::kUrlDecode, run(Transform::kUrlEncode, in)), in);
    // "0x" + hex is SQL's spelling of the same bytes.
    if (!in.empty()) {
      EXPECT_EQ(run(Transform::kSqlHexDecode, "0x" + run(Transform::kHexEncode, in)), in);
    }
  }
}

// utf8toUnicode then urlDecodeUni of a BMP character leaves its low byte (what the CRS relies on
// when it chains them), and ASCII passes both untouched.
TEST(TransformDifferential, Utf8ToUnicodeFeedsUrlDecodeUni) {
  EXPECT_EQ(run(Transform::kUrlDecodeUni, run(Transform::kUtf8ToUnicode, "\xef\xbc\x9c")), "<");
  for (int c = 0x20; c < 0x7f; ++c) {
    if (c == '%' || c == '+') continue;
    std::string s(1, static_cast<char>(c));
    EXPECT_EQ(run(Transform::kUrlDecodeUni, run(Transform::kUtf8ToUnicode, s)), s);
  }
}

TEST(Transform, OutputIsReplacedAndFastPathReportsUnchanged) {
  std::string out = "previous contents";
  EXPECT_FALSE(applyTransform(Transform::kUrlDecode, "no escapes here", out));
  EXPECT_EQ(out, "no escapes here");
  EXPECT_FALSE(applyTransform(Transform::kLowercase, "already lower", out));
  EXPECT_EQ(out, "already lower");
  EXPECT_TRUE(applyTransform(Transform::kLowercase, "Upper", out));
  EXPECT_EQ(out, "upper");
  EXPECT_FALSE(applyTransform(Transform::kHtmlEntityDecode, "", out));
  EXPECT_EQ(out, "");
}

// Every byte kind textTraits tells apart (the high bytes include 0xA0 and 0xC2, which
// removeWhitespace deletes, and UTF-8 sequences, well-formed and overlong), and bytes of no kind.
const std::vector<std::string>& traitKinds() {
  static const std::vector<std::string> kinds = {"ABCXZ",      "abcxz",
                                                 "%",          "+",
                                                 "&",          "\\",
                                                 " ",          "\t\n\v\f\r",
                                                 "\0"s,        "/",
                                                 ".",          "*",
                                                 "-",          "#",
                                                 "<",          "\x80\xa0\xc2\xff\xc3\xa9\xc0\xae",
                                                 "\"'",        "^",
                                                 ",",          ";",
                                                 "0123456789", "(){}[]=!?:@$`~|>_"};
  return kinds;
}

// A random text of up to 23 bytes over a random union of traitKinds() (`alphabet`).
std::string randomKindsText(std::mt19937& rng, std::string& alphabet) {
  alphabet.clear();
  for (const std::string& k : traitKinds())
    if (rng() % 3 == 0) alphabet += k;
  if (alphabet.empty()) alphabet = "q";
  std::string text;
  const size_t len = rng() % 24;
  for (size_t i = 0; i < len; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
  return text;
}

// mayChange(t, textTraits(text)) == false promises that t leaves the text as it is: the engine
// then skips the transform. Random texts over alphabets that leave out random kinds of byte, for
// every transform: each promise is checked against the transform itself, and a promise is made
// for each transform but the few that may change any text.
TEST(TransformTraits, NoChangeWhereMayChangeSaysSo) {
  std::mt19937 rng(20261207);
  int promised[static_cast<int>(Transform::kParityZero7bit) + 1] = {};
  std::string alphabet;
  for (int round = 0; round < 4000; ++round) {
    const std::string text = randomKindsText(rng, alphabet);
    const uint32_t traits = textTraits(text);
    for (int i = 0; i <= static_cast<int>(Transform::kParityZero7bit); ++i) {
      const auto t = static_cast<Transform>(i);
      if (mayChange(t, traits)) continue;
      ++promised[i];
      std::string out;
      EXPECT_FALSE(transformChanged(t, text, out))
          << transformName(t) << "(\"" << hex(text) << "\" in hex) changed the text";
    }
  }
  for (Transform t :
       {Transform::kNone, Transform::kLowercase, Transform::kUrlDecodeUni,
        Transform::kHtmlEntityDecode, Transform::kJsDecode, Transform::kCmdLine,
        Transform::kCompressWhitespace, Transform::kRemoveNulls, Transform::kReplaceComments,
        Transform::kNormalisePath, Transform::kUtf8ToUnicode, Transform::kTrim}) {
    EXPECT_GT(promised[static_cast<int>(t)], 100) << transformName(t);
  }
  // The transforms that make something of any text, an empty one too.
  for (Transform t : {Transform::kLength, Transform::kMd5, Transform::kBase64Encode})
    EXPECT_TRUE(mayChange(t, textTraits("")));
  EXPECT_FALSE(mayChange(Transform::kLowercase, textTraits("already lower")));
  EXPECT_TRUE(mayChange(Transform::kLowercase, textTraits("Upper")));
}

// outputTraits bounds the output's traits, and a chain of steps none of which creatingTraits lets
// make a literal leaves a text without it without it after every step: the engine then skips a
// multiMatch link's steps for that value (CRS 930110's "..", through utf8toUnicode, urlDecodeUni,
// removeNulls and cmdLine).
TEST(TransformTraits, NoLiteralWhereMayCreateSaysSo) {
  std::mt19937 rng(20261208);
  const std::vector<std::string> literals = {"..", "./", "/..", " /", "a b", "<s", "(", "%2",
                                             "ab", "AB", "\\",  "''", ". .", "\0", "u0"};
  const std::vector<Transform> steps = {
      Transform::kLowercase,        Transform::kUppercase,
      Transform::kUrlDecode,        Transform::kUrlDecodeUni,
      Transform::kCmdLine,          Transform::kCompressWhitespace,
      Transform::kRemoveNulls,      Transform::kReplaceNulls,
      Transform::kUtf8ToUnicode,    Transform::kTrim,
      Transform::kRemoveWhitespace, Transform::kNormalisePath,
      Transform::kHtmlEntityDecode, Transform::kReplaceComments};
  const std::vector<Transform> crs930110 = {Transform::kUtf8ToUnicode, Transform::kUrlDecodeUni,
                                            Transform::kRemoveNulls, Transform::kCmdLine};
  int skipped = 0, skipped930110 = 0;
  std::string alphabet;
  for (int round = 0; round < 20000; ++round) {
    std::string text = randomKindsText(rng, alphabet);
    const std::string& lit = literals[rng() % literals.size()];
    if (rng() % 2 == 0 && lit.size() >= 2) {
      // The literal split by a byte of the alphabet, which a step may delete or replace.
      const size_t at = 1 + rng() % (lit.size() - 1), pos = rng() % (text.size() + 1);
      text.insert(pos, lit.substr(0, at) + alphabet[rng() % alphabet.size()] + lit.substr(at));
    }
    std::vector<Transform> chain;
    const bool crs = rng() % 4 == 0;
    if (crs) {
      chain = crs930110;
    } else {
      for (size_t n = 1 + rng() % 4; n > 0; --n) chain.push_back(steps[rng() % steps.size()]);
    }
    // The engine's test (Evaluator::literalsUnreachable).
    uint32_t traits = textTraits(text);
    bool reachable = text.find(lit) != std::string::npos;
    for (Transform t : chain) {
      if (mayCreate(creatingTraits(t, lit), traits)) reachable = true;
      traits = outputTraits(t, traits);
    }
    std::string cur = text, next;
    uint32_t bound = textTraits(text);
    for (Transform t : chain) {
      applyTransform(t, cur, next);
      bound = outputTraits(t, bound);
      ASSERT_EQ(textTraits(next) & ~bound, 0U)
          << transformName(t) << " of \"" << hex(cur) << "\" (hex) has traits outside the bound";
      cur.swap(next);
      if (!reachable) {
        ASSERT_EQ(cur.find(lit), std::string::npos) << "\"" << hex(lit) << "\" appeared in \""
                                                    << hex(text) << "\" after " << transformName(t);
      }
    }
    if (!reachable) {
      ++skipped;
      if (crs && lit == "..") ++skipped930110;
    }
  }
  EXPECT_GT(skipped, 5000);
  EXPECT_GT(skipped930110, 50);
  // The cases that must not be skipped: a step that can make the literal.
  EXPECT_TRUE(mayCreate(creatingTraits(Transform::kRemoveNulls, ".."), textTraits(".\0."s)));
  EXPECT_TRUE(mayCreate(creatingTraits(Transform::kUrlDecodeUni, ".."), textTraits(".%2e")));
  EXPECT_FALSE(mayCreate(creatingTraits(Transform::kCmdLine, ".."),
                         textTraits("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0")));
  EXPECT_FALSE(mayCreate(creatingTraits(Transform::kUrlDecodeUni, ".."), textTraits("a+b")));
}

}  // namespace
}  // namespace shipgate::managed
