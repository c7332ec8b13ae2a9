#include "shipgate/server/access_log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace shipgate::server {

Result<std::unique_ptr<AccessLogSink>> AccessLogSink::open(const std::string& path) {
  if (path.empty()) return std::unique_ptr<AccessLogSink>(new AccessLogSink(STDOUT_FILENO, false));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return Status::fromErrno("open access log " + path, errno);
  return std::unique_ptr<AccessLogSink>(new AccessLogSink(fd, true));
}

AccessLogSink::~AccessLogSink() {
  if (owned_) ::close(fd_);
}

void AccessLogSink::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the access log never blocks or fails a request
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

namespace {

void appendEscaped(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void appendField(std::string& out, const char* name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  appendEscaped(out, value);
}

}  // namespace

void AccessLogBuffer::append(const AccessLogEntry& e) {
  if (sink_ == nullptr) return;
  char ts[64];
  time_t secs = static_cast<time_t>(e.wall_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(ts + n, sizeof(ts) - n, ".%03dZ", static_cast<int>(e.wall_ms % 1000));
  buf_ += "{\"time\":\"";
  buf_ += ts;
  buf_ += '"';
  appendField(buf_, "request_id", e.request_id);
  appendField(buf_, "client_ip", e.client_ip);
  appendField(buf_, "method", e.method);
  appendField(buf_, "path", e.path);
  char nums[128];
  snprintf(nums, sizeof(nums), ",\"status\":%d,\"bytes\":%llu,\"duration\":%.6f", e.status,
           static_cast<unsigned long long>(e.bytes), e.duration_s);
  buf_ += nums;
  appendField(buf_, "site", e.site);
  appendField(buf_, "app", e.app);
  appendField(buf_, "slot", e.slot);
  appendField(buf_, "upstream", e.upstream);
  buf_ += "}\n";
  if (buf_.size() >= kFlushBytes) flush();
}

void AccessLogBuffer::flush() {
  if (sink_ == nullptr || buf_.empty()) return;
  sink_->write(buf_);
  buf_.clear();
}

}  // namespace shipgate::server
