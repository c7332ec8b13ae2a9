// ClientConnection, response writers: redirects, static files, simple and error responses, and
// the common response head (Server, Date, Content-Length, X-Request-Id, Connection).
#include "client_connection.h"
#include "response_head.h"

namespace shipgate::server {

void ClientConnection::redirectHttps() {
  const http::Request& req = parser_.request();
  std::string location = "Location: https://";
  location += http::hostWithoutPort(req.header("host"));
  if (site_->https_port && *site_->https_port != 443) {
    location += ':';
    location += std::to_string(*site_->https_port);
  }
  location += req.target();
  location += "\r\n";
  respondSimple(308, "", location);
}

void ClientConnection::serveStatic(int site_index) {
  const http::Request& req = parser_.request();
  const staticsite::StaticSite* site =
      site_index >= 0 && static_cast<size_t>(site_index) < snap_->static_sites.size()
          ? snap_->static_sites[site_index].get()
          : nullptr;
  if (site == nullptr) {
    respondSimple(500, "static site is not available\n");
    return;
  }
  staticsite::StaticRequest sr;
  sr.method = req.method();
  sr.path = req.path();
  sr.if_none_match = req.header("if-none-match");
  sr.if_modified_since = req.header("if-modified-since");
  sr.range = req.header("range");
  sr.if_range = req.header("if-range");
  sr.accept_encoding = req.header("accept-encoding");
  staticsite::StaticResponse resp = site->serve(sr);
  std::string& extra = scratch_;
  extra.clear();
  for (const auto& [name, value] : resp.headers) {
    extra += name;
    extra += ": ";
    extra += value;
    extra += "\r\n";
  }
  bool no_length = resp.status == 304 || resp.status == 204;
  size_t before = out_.size();
  writeHead(resp.status, no_length ? -1 : static_cast<int64_t>(resp.length), extra);
  bytes_sent_ += out_.size() - before;
  if (!resp.head && !no_length) {
    if (resp.file) {
      file_ = resp.file;
      file_offset_ = resp.offset;
      file_left_ = resp.length;
      bytes_sent_ += resp.length;
    } else {
      out_.append(resp.body);
      bytes_sent_ += resp.body.size();
    }
  }
  finishResponse(resp.status, nullptr);
}

void ClientConnection::respondSimple(int status, std::string_view body,
                                     std::string_view extra_headers) {
  std::string extra(extra_headers);
  if (!body.empty()) extra += "Content-Type: text/plain; charset=utf-8\r\n";
  size_t before = out_.size();
  writeHead(status, static_cast<int64_t>(body.size()), extra);
  if (!parser_.request().isMethod("HEAD")) out_.append(body);
  bytes_sent_ += out_.size() - before;
  finishResponse(status, nullptr);
}

void ClientConnection::respondError(int status, std::string_view reason) {
  phase_ = Phase::kProcessing;
  keep_alive_ = false;
  bytes_sent_ = 0;
  site_ = nullptr;
  std::string body(reasonPhrase(status));
  if (!reason.empty()) {
    body += ": ";
    body += reason;
  }
  body += "\n";
  size_t before = out_.size();
  writeHead(status, static_cast<int64_t>(body.size()),
            "Content-Type: text/plain; charset=utf-8\r\n");
  out_.append(body);
  bytes_sent_ += out_.size() - before;
  finishResponse(status, nullptr);
}

void ClientConnection::writeHead(int status, int64_t content_length,
                                 std::string_view extra_headers) {
  const http::Request& req = parser_.request();
  worker_.buffers().borrow(out_);
  ResponseHead h(out_);
  h.statusLine(status);
  out_.append("Server: shipgate\r\n");
  out_.append(worker_.dateHeader());
  if (content_length >= 0) h.contentLength(static_cast<uint64_t>(content_length));
  h.header("X-Request-Id", request_id_);
  if (!keep_alive_) {
    out_.append("Connection: close\r\n");
  } else if (req.versionMajor() == 1 && req.versionMinor() == 0) {
    out_.append("Connection: keep-alive\r\n");
  }
  out_.append(extra_headers);
  out_.append(waf_headers_);
  out_.append("\r\n");
}

}  // namespace shipgate::server
