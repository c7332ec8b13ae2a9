// ProxyExchange, header rewriting: the upstream request head (request line kept, hop-by-hop
// headers and those named in Connection dropped, X-Forwarded-For/-Proto/-Host and X-Request-Id
// set, Content-Length for the buffered body) and the client response head (hop-by-hop dropped,
// the upstream's Server replaced by shipgate's unless the app passes it, and the sticky
// Set-Cookie added; the request context finalises it: X-Request-Id, firewall
// fields, Connection).
#include "proxy_exchange.h"
#include "response_head.h"

namespace shipgate::server {
namespace {

using http::equalsIgnoreCase;

// Request headers the proxy never forwards as they came (hop-by-hop, or re-added by us).
bool skipRequestHeader(std::string_view name) {
  switch (name.size()) {
    case 2: return equalsIgnoreCase(name, "te");
    case 6: return equalsIgnoreCase(name, "expect");
    case 7: return equalsIgnoreCase(name, "trailer") || equalsIgnoreCase(name, "upgrade");
    case 10: return equalsIgnoreCase(name, "connection") || equalsIgnoreCase(name, "keep-alive");
    case 12: return equalsIgnoreCase(name, "x-request-id");
    case 14: return equalsIgnoreCase(name, "content-length");
    case 15: return equalsIgnoreCase(name, "x-forwarded-for");
    case 16: return equalsIgnoreCase(name, "proxy-connection") ||
                    equalsIgnoreCase(name, "x-forwarded-host");
    case 17: return equalsIgnoreCase(name, "transfer-encoding") ||
                    equalsIgnoreCase(name, "x-forwarded-proto");
    default: return false;
  }
}

bool skipResponseHeader(std::string_view name, bool switching, bool pass_server) {
  switch (name.size()) {
    case 2: return equalsIgnoreCase(name, "te");
    case 6: return !pass_server && equalsIgnoreCase(name, "server");  // replaced by ours
    case 7: return !switching && equalsIgnoreCase(name, "upgrade");
    case 10: return equalsIgnoreCase(name, "connection") || equalsIgnoreCase(name, "keep-alive");
    case 16: return equalsIgnoreCase(name, "proxy-connection");
    default: return false;
  }
}

}  // namespace

void ProxyExchange::buildHead() {
  const http::Request& req = down_.request();
  DownstreamCallbacks::Identity id = down_.identity();
  head_.clear();
  worker_.buffers().borrow(head_);
  head_.append(req.method());
  head_.append(" ");
  head_.append(req.path());  // the normalised path that was routed and inspected
  if (req.hasQuery()) {
    head_.append("?");
    head_.append(req.query());
  }
  bool http10 = req.versionMajor() == 1 && req.versionMinor() == 0;
  head_.append(http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  std::string_view connection = req.header("connection");
  bool connection_tokens = !connection.empty() && !equalsIgnoreCase(connection, "keep-alive") &&
                           !equalsIgnoreCase(connection, "close");
  std::string_view xff;
  std::string_view host;
  for (size_t i = 0; i < req.headerCount(); ++i) {
    std::string_view name = req.headerName(i);
    std::string_view value = req.headerValue(i);
    if (skipRequestHeader(name)) {
      if (xff.empty() && equalsIgnoreCase(name, "x-forwarded-for")) xff = value;
      continue;
    }
    if (connection_tokens && http::hasToken(connection, name)) continue;
    if (host.empty() && name.size() == 4 && equalsIgnoreCase(name, "host")) host = value;
    head_.append(name);
    head_.append(": ");
    head_.append(value);
    head_.append("\r\n");
  }
  head_.append("X-Forwarded-For: ");
  if (!xff.empty()) {
    head_.append(xff);
    head_.append(", ");
  }
  head_.append(id.client_ip);
  head_.append(id.tls ? "\r\nX-Forwarded-Proto: https\r\n"
                               : "\r\nX-Forwarded-Proto: http\r\n");
  if (!host.empty()) {
    head_.append("X-Forwarded-Host: ");
    head_.append(host);
    head_.append("\r\n");
  }
  head_.append("X-Request-Id: ");
  head_.append(id.request_id);
  head_.append("\r\n");
  if (upgrade_) {
    head_.append("Connection: Upgrade\r\nUpgrade: ");
    head_.append(req.header("upgrade"));
    head_.append("\r\n");
  }
  if (!req.body().empty() || req.contentLength() >= 0 || req.chunked()) {
    head_.append("Content-Length: ");
    appendUint(head_, req.body().size());
    head_.append("\r\n");
  }
  head_.append("\r\n");
}

void ProxyExchange::writeClientHead() {
  const http::Response& r = parser_.response();
  bool switching = r.status() == 101;
  if (r.closeDelimited()) down_.codec().disableKeepAlive();
  std::string_view connection = r.header("connection");
  bool connection_tokens = !switching && !connection.empty() &&
                           !equalsIgnoreCase(connection, "keep-alive") &&
                           !equalsIgnoreCase(connection, "close");
  std::vector<HeaderField>& fields = down_.responseFields();
  const bool pass_server = app_->pass_server_header;
  bool has_server = false;
  for (size_t i = 0; i < r.headerCount(); ++i) {
    std::string_view name = r.headerName(i);
    if (skipResponseHeader(name, switching, pass_server)) continue;
    if (connection_tokens && http::hasToken(connection, name)) continue;
    if (pass_server && name.size() == 6 && equalsIgnoreCase(name, "server")) has_server = true;
    fields.emplace_back(name, r.headerValue(i));
  }
  // As nginx: the upstream's Server header is hidden (apps.<app>.pass_server_header keeps it), and
  // the response names the gateway when it carries no upstream's.
  if (!has_server) fields.emplace_back("Server", "shipgate");
  if (!set_cookie_.empty()) fields.emplace_back("Set-Cookie", set_cookie_);
  ResponseHeaders head;
  head.status = r.status();
  head.reason = r.reason();
  head.switching = switching;
  head.fields = &fields;
  head.endpoint = endpoint_;
  down_.encodeHeaders(head);
  head_written_ = true;
}

}  // namespace shipgate::server
