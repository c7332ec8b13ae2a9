#include "shipgate/admin/sse.h"

namespace shipgate::admin {
namespace {

// Field values other than data are one line: CR and LF become spaces.
std::string oneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

std::string formatSseEvent(std::string_view id, std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(data.size() + id.size() + event.size() + 32);
  if (!id.empty()) out += "id: " + oneLine(id) + "\n";
  if (!event.empty()) out += "event: " + oneLine(event) + "\n";
  // Every line of data (split at CRLF, CR or LF) is its own data line; an empty value is one
  // empty data line so the event is still dispatched.
  size_t start = 0;
  for (;;) {
    size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out.append(data.substr(start, end == std::string_view::npos ? data.npos : end - start));
    out += "\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  out += "\n";
  return out;
}

std::string formatSseComment(std::string_view text) { return ": " + oneLine(text) + "\n\n"; }

SseParser::SseParser(Callback on_event, Limits limits)
    : on_event_(std::move(on_event)), limits_(limits) {}

bool SseParser::feed(std::string_view bytes) {
  if (failed()) return false;
  size_t i = 0;
  if (skip_lf_ && !bytes.empty()) {
    if (bytes[0] == '\n') i = 1;
    skip_lf_ = false;
  }
  while (i < bytes.size()) {
    size_t end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      if (pending_.size() + (bytes.size() - i) > limits_.max_line_bytes) {
        error_ = "event stream line longer than " + std::to_string(limits_.max_line_bytes) +
                 " bytes";
        return false;
      }
      pending_.append(bytes.substr(i));
      return true;
    }
    if (pending_.size() + (end - i) > limits_.max_line_bytes) {
      error_ = "event stream line longer than " + std::to_string(limits_.max_line_bytes) + " bytes";
      return false;
    }
    if (pending_.empty()) {
      line(bytes.substr(i, end - i));
    } else {
      pending_.append(bytes.substr(i, end - i));
      std::string whole = std::move(pending_);
      pending_.clear();
      line(whole);
    }
    if (failed()) return false;
    i = end + 1;
    if (bytes[end] == '\r') {
      if (i < bytes.size()) {
        if (bytes[i] == '\n') ++i;
      } else {
        skip_lf_ = true;
      }
    }
  }
  return true;
}

void SseParser::line(std::string_view l) {
  if (l.empty()) {
    // Dispatch. The spec drops one trailing LF of the joined data; lines are joined with '\n'
    // below, so there is none to drop.
    if (has_data_) {
      SseEvent e{last_id_, type_.empty() ? "message" : type_, std::move(data_)};
      on_event_(e);
    }
    data_.clear();
    has_data_ = false;
    type_.clear();
    return;
  }
  if (l[0] == ':') return;  // comment
  size_t colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = l.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (data_.size() + value.size() + 1 > limits_.max_event_bytes) {
      error_ = "event stream event larger than " + std::to_string(limits_.max_event_bytes) +
               " bytes";
      return;
    }
    if (has_data_) data_ += '\n';
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  }
  // "retry" and unknown fields: ignored.
}

}  // namespace shipgate::admin
