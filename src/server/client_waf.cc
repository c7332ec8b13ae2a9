// ClientConnection, the WAF hook: runs the snapshot's Firewall on a complete request (head and
// body read, before routing), answers blocks, challenges and rate limits itself, and reports the
// final status of passed requests back to the firewall (rate-limit counting expressions).
#include <algorithm>

#include "client_connection.h"

namespace shipgate::server {

bool ClientConnection::inspectRequest(const firewall::Firewall& fw) {
  if (!waf_scratch_) waf_scratch_ = worker_.takeWafScratch();
  firewall::Scratch& s = *waf_scratch_;
  const http::Request& req = parser_.request();
  s.headers.clear();
  for (size_t i = 0; i < req.headerCount(); ++i) {
    s.headers.push_back({req.headerName(i), req.headerValue(i)});
  }
  const std::string& body = req.body();
  firewall::RequestView& v = waf_view_;
  v.method = req.method();
  v.target = req.target();
  v.path = req.path();
  v.headers = s.headers;
  v.client_ip = client_ip_;
  v.tls = isTls();
  v.http_major = req.versionMajor();
  v.body = std::string_view(body).substr(0, std::min(body.size(), snap_->config->waf.body_bytes));
  v.body_size = req.contentLength() > 0 ? req.contentLength() : static_cast<int64_t>(body.size());
  v.request_id = request_id_;
  firewall::Decision d = fw.inspect(v, s);
  if (!d.respond()) {
    waf_ = &fw;
    for (const auto& [name, value] : d.headers) {
      waf_headers_ += name;
      waf_headers_ += ": ";
      waf_headers_ += value;
      waf_headers_ += "\r\n";
    }
    return false;
  }
  respondFirewall(d);
  return true;
}

void ClientConnection::respondFirewall(const firewall::Decision& d) {
  const http::Request& req = parser_.request();
  if (req.upgrade()) keep_alive_ = false;
  std::string& extra = scratch_;
  extra.clear();
  bool cache_control = false;
  for (const auto& [name, value] : d.headers) {
    if (http::equalsIgnoreCase(name, "cache-control")) cache_control = true;
    extra += name;
    extra += ": ";
    extra += value;
    extra += "\r\n";
  }
  if (!d.content_type.empty()) {
    extra += "Content-Type: ";
    extra += d.content_type;
    extra += "\r\n";
  }
  // Never cached: a challenge or a rate limit is about this client at this moment.
  if (!cache_control) extra += "Cache-Control: no-store\r\n";
  size_t before = out_.size();
  writeHead(d.status, static_cast<int64_t>(d.body.size()), extra);
  if (!req.isMethod("HEAD")) out_.append(d.body);
  bytes_sent_ += out_.size() - before;
  finishResponse(d.status, nullptr);
}

void ClientConnection::firewallResponse(int status) {
  const firewall::Firewall* fw = waf_;
  waf_ = nullptr;
  if (waf_scratch_) fw->onResponse(waf_view_, status, *waf_scratch_);
}

}  // namespace shipgate::server
