// The SSE codec the admin API writes and the CLI reads: the format's line rules, resumable ids,
// bounded buffering, and the RFC 3339 timestamps of the release API.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shipgate/admin/sse.h"
#include "shipgate/admin/timestamp.h"

namespace shipgate::admin {
namespace {

std::vector<SseEvent> parseAll(const std::string& text, size_t piece = 0,
                               SseParser::Limits limits = {}) {
  std::vector<SseEvent> out;
  SseParser p([&](const SseEvent& e) { out.push_back(e); }, limits);
  if (piece == 0) piece = text.size() + 1;
  for (size_t i = 0; i < text.size(); i += piece) EXPECT_TRUE(p.feed(text.substr(i, piece)));
  return out;
}

TEST(Sse, FormatsOneEventPerBlankLine) {
  EXPECT_EQ(formatSseEvent("3", "state", R"({"state":"baking"})"),
            "id: 3\nevent: state\ndata: {\"state\":\"baking\"}\n\n");
  EXPECT_EQ(formatSseEvent("", "", "a\nb\r\nc"), "data: a\ndata: b\ndata: c\n\n");
  // CR/LF in id or type cannot start a field of their own.
  EXPECT_EQ(formatSseEvent("1\n2", "x\rdata: y", "z"), "id: 1 2\nevent: x data: y\ndata: z\n\n");
  EXPECT_EQ(formatSseComment("keep-alive"), ": keep-alive\n\n");
}

TEST(Sse, ParsesWhatItFormats) {
  const std::string stream = formatSseEvent("1", "step_started", R"({"step":"health"})") +
                             formatSseComment("keep-alive") +
                             formatSseEvent("2", "message", "two\nlines");
  for (size_t piece : {0, 1, 2, 3, 7}) {
    auto events = parseAll(stream, piece);
    ASSERT_EQ(events.size(), 2u) << "piece " << piece;
    EXPECT_EQ(events[0].id, "1");
    EXPECT_EQ(events[0].event, "step_started");
    EXPECT_EQ(events[0].data, R"({"step":"health"})");
    EXPECT_EQ(events[1].id, "2");
    EXPECT_EQ(events[1].data, "two\nlines");
  }
}

TEST(Sse, FollowsTheFormatsLineRules) {
  // CR, LF and CRLF end lines, also when a CRLF is split between two pieces.
  auto events = parseAll("data: a\r\ndata: b\rdata:c\n\r\n", 8);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\nb\nc");
  EXPECT_EQ(events[0].event, "message");  // no type named
  // The id is sticky; an id holding NUL is ignored; unknown fields and "retry" are ignored; a
  // block without data dispatches nothing.
  static const char kWithNul[] = "id: 5\ndata: x\n\nretry: 100\nfoo: bar\n\nid: 6\0\ndata: y\n\n";
  events = parseAll(std::string(kWithNul, sizeof(kWithNul) - 1));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, "5");
  EXPECT_EQ(events[1].id, "5");
  // Only one leading space of a value is dropped.
  events = parseAll("data:  two spaces\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, " two spaces");
  // An event is dispatched only at its blank line.
  events = parseAll("data: unfinished\n");
  EXPECT_TRUE(events.empty());
}

TEST(Sse, RefusesLinesAndEventsBeyondItsLimits) {
  std::vector<SseEvent> out;
  SseParser p([&](const SseEvent& e) { out.push_back(e); }, SseParser::Limits{16, 32});
  EXPECT_TRUE(p.feed("data: 0123456789"));  // 16 bytes, no end yet
  EXPECT_FALSE(p.feed("x"));
  EXPECT_TRUE(p.failed());
  EXPECT_NE(p.error().find("longer than 16 bytes"), std::string::npos) << p.error();
  EXPECT_FALSE(p.feed("\n\n"));  // takes nothing more
  EXPECT_TRUE(out.empty());

  SseParser q([&](const SseEvent& e) { out.push_back(e); }, SseParser::Limits{64, 20});
  EXPECT_TRUE(q.feed("data: 0123456789\n"));
  EXPECT_FALSE(q.feed("data: 0123456789\n"));
  EXPECT_NE(q.error().find("larger than 20 bytes"), std::string::npos) << q.error();
}

TEST(Timestamp, ParsesRfc3339) {
  EXPECT_EQ(*parseRfc3339Millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parseRfc3339Millis("2026-12-01T10:00:00Z"), 1796119200000LL);
  EXPECT_EQ(*parseRfc3339Millis("2026-12-01T11:00:00.250+01:00"), 1796119200250LL);
  EXPECT_EQ(*parseRfc3339Millis("2026-12-01 05:30:00.1-04:30"), 1796119200100LL);
  EXPECT_EQ(*parseRfc3339Millis("2024-02-29T00:00:00.123456789Z"), 1709164800123LL);
  EXPECT_EQ(formatRfc3339Millis(1796119200000LL), "2026-12-01T10:00:00Z");
  EXPECT_EQ(formatRfc3339Millis(1796119200250LL), "2026-12-01T10:00:00.250Z");
}

TEST(Timestamp, SaysWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {"2026-12-01", "a time must follow"},
           {"2026/12/01T00:00:00Z", "YYYY-MM-DD"},
           {"2026-13-01T00:00:00Z", "month"},
           {"2023-02-29T00:00:00Z", "not in that month"},
           {"2026-12-01T24:00:00Z", "out of range"},
           {"2026-12-01T10:00:00", "offset is missing"},
           {"2026-12-01T10:00:00+1:00", "Z or +HH:MM"},
           {"2026-12-01T10:00:00.Z", "1..9 digits"},
           {"2026-12-01T10:00:00Zjunk", "after the offset"},
           {"1969-12-31T23:59:59Z", "1970"},
           {"1970-01-01T00:30:00+01:00", "before 1970"},
       }) {
    auto r = parseRfc3339Millis(c.text);
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.text << ": " << r.status().message();
  }
}

}  // namespace
}  // namespace shipgate::admin
