// HttpPost: one reusable libcurl easy handle (driven by its own multi handle) that POSTs a JSON body and reports the HTTP status,
// the Retry-After the server asked for, and a short error text (never the URL's path or query:
// webhook URLs are secrets). Redirects are not followed; only http and https are allowed.
// Thread: one thread at a time (the Notifier's worker).
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "shipgate/common/clock.h"

namespace shipgate::notify {

struct PostResult {
  int http_status = 0;              // 0: no HTTP answer
  std::optional<Millis> retry_after;
  std::string error;                // empty on 2xx; redacted
};

class HttpPost {
 public:
  HttpPost();
  ~HttpPost();
  HttpPost(const HttpPost&) = delete;
  HttpPost& operator=(const HttpPost&) = delete;

  bool valid() const { return curl_ != nullptr && multi_ != nullptr; }
  // POSTs `body` as application/json. `abort` set by another thread cuts the transfer short
  // (within ~50 ms).
  PostResult post(const std::string& url, const std::string& body, Millis connect_timeout,
                  Millis timeout, const std::atomic<bool>* abort);

 private:
  void* curl_ = nullptr;   // CURL*, reused for every post (keeps its connection)
  void* multi_ = nullptr;  // CURLM* that drives it
};

// Initializes libcurl's global state once (thread-safe).
void ensureCurlGlobalInit();

}  // namespace shipgate::notify
