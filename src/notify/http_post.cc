// JSON POST over a reused libcurl easy handle (see http_post.h).
#include "http_post.h"

#include <curl/curl.h>

#include <cctype>
#include <mutex>

#include "shipgate/notify/notify_config.h"

namespace shipgate::notify {
namespace {

constexpr size_t kMaxBodyKept = 300;

struct Sink {
  std::string body;
};

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  if (sink->body.size() < kMaxBodyKept) {
    sink->body.append(data, std::min(len, kMaxBodyKept - sink->body.size()));
  }
  return len;
}

constexpr Millis kAbortPoll{50};

// A server's answer, shortened to one printable line for logs.
std::string printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7F) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Removes every occurrence of `secret` from `text`.
std::string scrub(std::string text, const std::string& secret, const std::string& with) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), with);
    at += with.size();
  }
  return text;
}

}  // namespace

void ensureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpPost::HttpPost() {
  ensureCurlGlobalInit();
  curl_ = curl_easy_init();
  multi_ = curl_multi_init();
}

HttpPost::~HttpPost() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
  if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

PostResult HttpPost::post(const std::string& url, const std::string& body, Millis connect_timeout,
                          Millis timeout, const std::atomic<bool>* abort) {
  PostResult r;
  CURL* c = static_cast<CURL*>(curl_);
  CURLM* m = static_cast<CURLM*>(multi_);
  if (c == nullptr || m == nullptr) {
    r.error = "libcurl could not be initialized";
    return r;
  }
  Sink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  // Options are set again on every call; curl_easy_reset is not used so the connection cache
  // of the handle survives between posts.
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "shipgate-notify");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

  // Driven through the multi interface so `abort` is looked at every kAbortPoll, not only when
  // libcurl's progress callback runs (about once a second while a server is silent).
  CURLcode code = CURLE_OK;
  if (curl_multi_add_handle(m, c) != CURLM_OK) {
    code = CURLE_FAILED_INIT;
  } else {
    int running = 1;
    bool done = false;
    while (!done) {
      if (curl_multi_perform(m, &running) != CURLM_OK) {
        code = CURLE_FAILED_INIT;
        break;
      }
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(m, &queued)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == c) {
          code = msg->data.result;
          done = true;
        }
      }
      if (done) break;
      if (abort != nullptr && abort->load()) {
        code = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      curl_multi_poll(m, nullptr, 0, static_cast<int>(kAbortPoll.count()), nullptr);
    }
    curl_multi_remove_handle(m, c);
  }
  curl_slist_free_all(headers);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);

  if (code != CURLE_OK) {
    std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
    if (code == CURLE_ABORTED_BY_CALLBACK) detail = "cut off: the notifier is stopping";
    r.error = scrub(printable(detail), url, redactUrl(url));
    return r;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  r.http_status = static_cast<int>(status);
  curl_off_t retry_after = -1;
  if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
    r.retry_after = Millis(static_cast<int64_t>(retry_after) * 1000);
  }
  if (r.http_status < 200 || r.http_status >= 300) {
    r.error = "HTTP " + std::to_string(r.http_status);
    std::string answer = printable(sink.body);
    if (!answer.empty()) r.error += ": " + scrub(answer, url, redactUrl(url));
  }
  return r;
}

}  // namespace shipgate::notify
