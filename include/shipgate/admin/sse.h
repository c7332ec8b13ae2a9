// Server-Sent Events (the WHATWG "text/event-stream" format) as the admin API writes them and the
// CLI reads them: GET /api/v1/deployments/{id}/events.
//
// formatSseEvent() writes one event: "id: <id>\nevent: <type>\ndata: <line>\n...\n\n" (a data
// value holding newlines becomes several data lines, as the format requires; CR and LF inside
// id and type are replaced by spaces so an event can never split another). formatSseComment()
// writes a ": text\n\n" comment (keep-alive).
//
// SseParser reads a stream fed in arbitrary pieces (as the bytes arrive) and calls back once per
// complete event, with the spec's rules: lines end in LF, CR or CRLF; a line starting with ':'
// is a comment; "field: value" drops one leading space of the value; several data lines join
// with '\n'; an event is dispatched at a blank line when it has data; "id" with a NUL is ignored;
// unknown fields are ignored. The stream is untrusted input: a line longer than max_line_bytes,
// or an event whose data grows past max_event_bytes, makes the parser fail (error() says why)
// and it takes nothing more; it never buffers more than those bounds.
// Thread-safety: none (one parser per stream).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace shipgate::admin {

struct SseEvent {
  std::string id;     // the last "id:" seen (sticky across events, as the spec says)
  std::string event;  // "message" when the event named no type
  std::string data;
};

std::string formatSseEvent(std::string_view id, std::string_view event, std::string_view data);
std::string formatSseComment(std::string_view text);

class SseParser {
 public:
  using Callback = std::function<void(const SseEvent&)>;
  struct Limits {
    size_t max_line_bytes = 1 << 20;
    size_t max_event_bytes = 4 << 20;
  };

  explicit SseParser(Callback on_event) : SseParser(std::move(on_event), Limits{}) {}
  SseParser(Callback on_event, Limits limits);

  // Feeds the next bytes of the stream. Returns false once the stream is malformed (see error()).
  bool feed(std::string_view bytes);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // The last event id seen (what a reconnect sends as Last-Event-ID).
  const std::string& lastEventId() const { return last_id_; }

 private:
  void line(std::string_view line);

  Callback on_event_;
  Limits limits_;
  std::string pending_;        // the current, incomplete line
  bool skip_lf_ = false;       // the previous chunk ended in CR: a leading LF belongs to it
  std::string data_;
  bool has_data_ = false;
  std::string type_;
  std::string last_id_;
  std::string error_;
};

}  // namespace shipgate::admin
