// Http1Connection, output side: frames response heads (the only place an HTTP/1 head is
// written), queues body bytes and file ranges.
#include "http1_connection.h"
#include "response_head.h"

namespace shipgate::server {

size_t Http1Connection::encodeHeaders(const ResponseHeaders& head) {
  worker_.buffers().borrow(out_);
  size_t before = out_.size();
  ResponseHead h(out_);
  h.statusLine(head.status, head.reason.empty() ? reasonPhrase(head.status) : head.reason);
  if (head.local) {
    out_.append("Server: shipgate\r\n");
    out_.append(worker_.dateHeader());
  }
  if (head.content_length >= 0) h.contentLength(static_cast<uint64_t>(head.content_length));
  if (head.fields != nullptr) {
    for (const auto& [name, value] : *head.fields) h.header(name, value);
  }
  const http::Request& req = slot().parser.request();  // held while a response is encoded
  if (head.switching) {
    out_.append("Connection: Upgrade\r\n");
  } else if (!keep_alive_) {
    out_.append("Connection: close\r\n");
  } else if (req.versionMajor() == 1 && req.versionMinor() == 0) {
    out_.append("Connection: keep-alive\r\n");
  }
  out_.append("\r\n");
  return out_.size() - before;
}

void Http1Connection::encodeData(std::string_view data) {
  if (data.empty()) return;
  worker_.buffers().borrow(out_);
  out_.append(data);
}

void Http1Connection::encodeFile(std::shared_ptr<const staticsite::OpenFile> file, off_t offset,
                                 size_t length) {
  if (length == 0) return;
  file_ = std::move(file);
  file_offset_ = offset;
  file_left_ = length;
}

}  // namespace shipgate::server
