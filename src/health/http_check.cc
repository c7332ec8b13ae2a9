// The http and jsonrpc probes, over cpp-httplib's blocking client.
#include <httplib.h>

#include <algorithm>
#include <future>
#include <optional>
#include <vector>

#include "checker_impl.h"
#include "shipgate/health/parse.h"

namespace shipgate::health::internal {
namespace {

constexpr size_t kMaxBody = size_t{64} * 1024;  // the checkers only look at the start of a body

struct HttpAnswer {
  bool sent = false;  // a response (at least its status line) arrived
  int status = 0;
  std::string body;   // first kMaxBody bytes
  std::string error;  // transport error when !sent
};

std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "connection failed (refused or unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::Read:
      return "read failed or timed out";
    case httplib::Error::Write:
      return "write failed";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load CA certificates";
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed";
    default:
      return httplib::to_string(e);
  }
}

std::string baseUrl(bool tls, const config::HostPort& target) {
  return std::string(tls ? "https://" : "http://") + target.toString();
}

void configure(httplib::Client& client, Millis timeout) {
  const auto sec = static_cast<time_t>(timeout.count() / 1000);
  const auto usec = static_cast<time_t>((timeout.count() % 1000) * 1000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
  client.set_keep_alive(false);
  client.set_follow_location(false);
}

HttpAnswer exchange(httplib::Client& client, const std::string& method, const std::string& path,
                    const httplib::Headers& headers, const std::string& body) {
  HttpAnswer answer;
  if (!client.is_valid()) {
    answer.error = "invalid client (bad URL or TLS setup)";
    return answer;
  }
  bool capped = false;
  auto on_response = [&](const httplib::Response& r) {
    answer.sent = true;
    answer.status = r.status;
    return true;
  };
  auto on_body = [&](const char* data, size_t len) {
    const size_t take = std::min(len, kMaxBody - answer.body.size());
    answer.body.append(data, take);
    if (answer.body.size() >= kMaxBody) {
      capped = true;
      return false;  // enough: stop reading
    }
    return true;
  };
  auto send = [&]() -> httplib::Result {
    if (method == "GET") return client.Get(path, headers, on_response, on_body);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = headers;
    req.body = body;
    req.response_handler = on_response;
    req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
      return on_body(data, len);
    };
    return client.send(req);
  };
  httplib::Result res = send();
  if (!res && !(capped && answer.sent)) {
    answer.sent = false;
    answer.error = describe(res.error());
  }
  return answer;
}

std::string firstLine(const std::string& s, size_t max = 120) {
  std::string line = s.substr(0, s.find_first_of("\r\n"));
  if (line.size() > max) line = line.substr(0, max) + "...";
  return line;
}

struct BlockAnswer {
  std::optional<uint64_t> block;
  std::string error;
};

BlockAnswer blockNumber(bool tls, const config::HostPort& target, const std::string& path,
                        const std::string& host_header, Millis timeout) {
  httplib::Client client(baseUrl(tls, target));
  configure(client, timeout);
  httplib::Headers headers{{"Content-Type", "application/json"}};
  if (!host_header.empty()) headers.emplace("Host", host_header);
  HttpAnswer a = exchange(client, "POST", path, headers,
                          R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})");
  BlockAnswer out;
  if (!a.sent) {
    out.error = a.error;
  } else if (a.status < 200 || a.status > 299) {
    out.error = "HTTP " + std::to_string(a.status);
  } else {
    auto n = parseBlockNumberResponse(a.body);
    if (n.isOk()) {
      out.block = n.value();
    } else {
      out.error = n.status().message();
    }
  }
  return out;
}

}  // namespace

CheckResult checkHttp(const HealthCheckConfig& check, const config::HostPort& target) {
  httplib::Client client(baseUrl(check.tls, target));
  configure(client, check.timeout);
  httplib::Headers headers{{"User-Agent", "shipgate-health"}};
  if (!check.host_header.empty()) headers.emplace("Host", check.host_header);
  HttpAnswer a = exchange(client, "GET", check.path, headers, "");
  const std::string what = std::string(check.tls ? "https" : "http") + " GET " + check.path;
  if (!a.sent) return fail(what + ": " + a.error);
  const bool status_ok = check.expect_status.empty()
                             ? (a.status >= 200 && a.status <= 299)
                             : std::find(check.expect_status.begin(), check.expect_status.end(),
                                         a.status) != check.expect_status.end();
  std::string detail = "HTTP " + std::to_string(a.status);
  if (!status_ok) {
    if (check.expect_status.empty()) {
      detail += " (expected 2xx)";
    } else {
      detail += " (expected";
      for (int s : check.expect_status) detail += " " + std::to_string(s);
      detail += ")";
    }
    if (!a.body.empty()) detail += ": " + firstLine(a.body);
    return fail(detail);
  }
  if (!check.expect_body.empty() && a.body.find(check.expect_body) == std::string::npos) {
    return fail(detail + ", body lacks \"" + check.expect_body + "\"" +
                (a.body.empty() ? "" : ": " + firstLine(a.body)));
  }
  return pass(detail);
}

CheckResult checkJsonRpc(const HealthCheckConfig& check, const config::HostPort& target) {
  const std::string path = check.path == HealthCheckConfig{}.path ? "/" : check.path;
  // Peers are asked in parallel with this node, under the same timeout.
  struct PeerQuery {
    std::string url;
    std::future<BlockAnswer> answer;
    std::string error;  // URL parse error
  };
  std::vector<PeerQuery> peers;
  for (const std::string& url : check.peers) {
    PeerQuery q;
    q.url = url;
    auto parsed = parseUrl(url);
    if (!parsed.isOk()) {
      q.error = parsed.status().message();
    } else {
      ParsedUrl u = parsed.value();
      q.answer = std::async(std::launch::async, [u, timeout = check.timeout] {
        return blockNumber(u.tls(), u.address, u.path, "", timeout);
      });
    }
    peers.push_back(std::move(q));
  }
  BlockAnswer self = blockNumber(check.tls, target, path, check.host_header, check.timeout);
  uint64_t best = 0;
  std::string best_url;
  std::string peer_notes;
  for (PeerQuery& q : peers) {
    if (q.answer.valid()) {
      BlockAnswer a = q.answer.get();
      if (a.block) {
        if (best_url.empty() || *a.block > best) {
          best = *a.block;
          best_url = q.url;
        }
        continue;
      }
      q.error = a.error;
    }
    peer_notes += "; peer " + q.url + " unreachable: " + q.error;
  }
  if (!self.block) return fail("eth_blockNumber: " + self.error + peer_notes);
  std::string detail = "block " + std::to_string(*self.block);
  if (best_url.empty()) return pass(detail + peer_notes);
  detail += ", best peer " + std::to_string(best) + " (" + best_url + ")";
  const int64_t lag = best > *self.block ? static_cast<int64_t>(best - *self.block) : 0;
  if (lag > check.max_lag_blocks) {
    return fail(detail + ": " + std::to_string(lag) + " blocks behind, more than " +
                std::to_string(check.max_lag_blocks) + peer_notes);
  }
  return pass(detail + ", lag " + std::to_string(lag) + peer_notes);
}

}  // namespace shipgate::health::internal
