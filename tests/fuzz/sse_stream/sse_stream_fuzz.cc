// Fuzzes the CLI's readers of what the admin API sends: the Server-Sent Events parser
// (admin::SseParser, fed the input in pieces of every size the first byte picks) and the RFC 3339
// timestamp parser. Invariants: the parser never buffers past its limits and, fed the same bytes
// in one piece or in pieces, yields the same events (same ids, types and data) and the same
// verdict; an event formatted by formatSseEvent reads back as itself; a timestamp that parses
// formats to text that parses to the same value.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/admin/sse.h"
#include "shipgate/admin/timestamp.h"

namespace {

using shipgate::admin::SseEvent;
using shipgate::admin::SseParser;

void check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "sse_stream_fuzz invariant violated: %s\n", what);
  abort();
}

struct Run {
  std::vector<SseEvent> events;
  bool failed = false;
};

Run parse(std::string_view input, size_t piece) {
  Run run;
  SseParser parser([&](const SseEvent& e) { run.events.push_back(e); },
                   SseParser::Limits{256, 1024});
  for (size_t i = 0; i < input.size(); i += piece) {
    if (!parser.feed(input.substr(i, piece))) break;
  }
  run.failed = parser.failed();
  return run;
}

bool same(const Run& a, const Run& b) {
  if (a.failed != b.failed || a.events.size() != b.events.size()) return false;
  for (size_t i = 0; i < a.events.size(); ++i) {
    if (a.events[i].id != b.events[i].id || a.events[i].event != b.events[i].event ||
        a.events[i].data != b.events[i].data) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 17;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  Run whole = parse(input, input.size() + 1);
  Run pieces = parse(input, piece);
  // A stream that failed may have failed at a different event in pieces only if the limit was
  // crossed; the verdict and everything before it must agree.
  check(same(whole, pieces), "pieces and one piece disagree");
  for (const auto& e : whole.events) check(e.data.size() <= 1024, "event beyond its limit");

  // Round trip: the input as one event's data (no NUL in id/type).
  std::string formatted = shipgate::admin::formatSseEvent("7", "step_started", input);
  std::vector<SseEvent> back;
  SseParser reader([&](const SseEvent& e) { back.push_back(e); });
  check(reader.feed(formatted), "a formatted event does not parse");
  check(back.size() == 1, "a formatted event is not one event");
  std::string expected;
  // Lines (CRLF, CR, LF) join with LF.
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\r') {
      expected.push_back('\n');
      if (i + 1 < input.size() && input[i + 1] == '\n') ++i;
    } else {
      expected.push_back(input[i]);
    }
  }
  check(back[0].data == expected, "data does not read back");
  check(back[0].id == "7" && back[0].event == "step_started", "id/type do not read back");

  auto ms = shipgate::admin::parseRfc3339Millis(input);
  if (ms.isOk()) {
    check(*ms >= 0, "negative timestamp");
    auto again = shipgate::admin::parseRfc3339Millis(shipgate::admin::formatRfc3339Millis(*ms));
    check(again.isOk() && *again == *ms, "timestamp does not round-trip");
  }
  return 0;
}
