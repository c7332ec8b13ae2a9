// User-agent classification. See bot_signals.h.
#include "bot_signals.h"

#include <array>
#include <cctype>
#include <functional>
#include <string>

#include "shipgate/common/strings.h"

namespace shipgate::shield {
namespace {

constexpr std::string_view kAttackTools[] = {"sqlmap",   "nikto",    "nmap",      "masscan",
                                             "zgrab",    "nuclei",   "wpscan",    "dirbuster",
                                             "gobuster", "acunetix", "netsparker"};
constexpr std::string_view kHeadless[] = {"headlesschrome", "phantomjs", "selenium", "puppeteer",
                                          "playwright"};
constexpr std::string_view kAutomationTools[] = {
    "curl/",       "wget/",          "python-requests", "python-urllib", "python-httpx",
    "aiohttp",     "go-http-client", "okhttp",          "java/",         "apache-httpclient",
    "libwww-perl", "scrapy",         "axios/",          "node-fetch",    "postmanruntime",
    "httpie",      "winhttp",        "libcurl"};
constexpr std::string_view kCrawlerTokens[] = {"bot/",   "bot;",  "crawler",
                                               "spider", "slurp", "+http"};

constexpr size_t kMaxUserAgent = 1024;

// Reads "<token>N[.M]" and returns N (and M).
bool versionAfter(std::string_view ua, std::string_view token, int* major, int* minor) {
  size_t pos = ua.find(token);
  if (pos == std::string_view::npos) return false;
  pos += token.size();
  int v = 0;
  size_t start = pos;
  while (pos < ua.size() && std::isdigit(static_cast<unsigned char>(ua[pos])) && pos - start < 6) {
    v = v * 10 + (ua[pos++] - '0');
  }
  if (pos == start) return false;
  *major = v;
  *minor = 0;
  if (pos < ua.size() && ua[pos] == '.') {
    ++pos;
    int m = 0;
    size_t ms = pos;
    while (pos < ua.size() && std::isdigit(static_cast<unsigned char>(ua[pos])) && pos - ms < 6) {
      m = m * 10 + (ua[pos++] - '0');
    }
    *minor = m;
  }
  return true;
}

UaInfo classifyUncached(std::string_view ua) {
  UaInfo info;
  size_t first = ua.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    info.cls = UaClass::kEmpty;
    return info;
  }
  ua = ua.substr(0, kMaxUserAgent);  // classification never needs more
  char buf[kMaxUserAgent];
  for (size_t i = 0; i < ua.size(); ++i) buf[i] = asciiLower(ua[i]);
  const std::string_view lower(buf, ua.size());
  auto has = [&lower](std::string_view token) {
    return lower.find(token) != std::string_view::npos;
  };
  for (auto t : kAttackTools) {
    if (has(t)) return UaInfo{UaClass::kAttackTool, t};
  }
  for (auto t : kHeadless) {
    if (has(t)) return UaInfo{UaClass::kHeadless, t};
  }
  for (auto t : kAutomationTools) {
    if (has(t)) return UaInfo{UaClass::kAutomationTool, t};
  }
  for (auto t : kCrawlerTokens) {
    if (has(t)) return UaInfo{UaClass::kCrawler, t};
  }
  if (ua.find("Mozilla/5.0") == std::string_view::npos) return info;  // kOther
  int major = 0, minor = 0;
  if (versionAfter(ua, "Firefox/", &major, &minor)) {
    info.browser = BrowserKind::kFirefox;
  } else if (versionAfter(ua, "Edg/", &major, &minor)) {
    info.browser = BrowserKind::kEdge;
  } else if (versionAfter(ua, "Chrome/", &major, &minor)) {
    info.browser = BrowserKind::kChrome;
  } else if (ua.find("Safari/") != std::string_view::npos &&
             versionAfter(ua, "Version/", &major, &minor)) {
    info.browser = BrowserKind::kSafari;
  } else {
    return info;  // "Mozilla/5.0" alone is not a browser claim we can check
  }
  info.cls = UaClass::kBrowser;
  info.family = info.browser == BrowserKind::kFirefox  ? "firefox"
                : info.browser == BrowserKind::kEdge   ? "edge"
                : info.browser == BrowserKind::kChrome ? "chrome"
                                                       : "safari";
  info.major = major;
  info.minor = minor;
  return info;
}

}  // namespace

UaInfo classifyUserAgent(std::string_view ua) {
  // A gateway sees the same few hundred user agents over and over: each thread keeps the last
  // classification per slot of a small direct-mapped cache (UAs over 512 bytes are not cached).
  constexpr size_t kSlots = 256;
  constexpr size_t kMaxCached = 512;
  struct Slot {
    std::string ua;
    UaInfo info;
    bool used = false;
  };
  if (ua.size() > kMaxCached) return classifyUncached(ua);
  thread_local std::array<Slot, kSlots> cache;
  Slot& slot = cache[std::hash<std::string_view>{}(ua) % kSlots];
  if (slot.used && slot.ua == ua) return slot.info;
  slot.info = classifyUncached(ua);
  slot.ua.assign(ua);
  slot.used = true;
  return slot.info;
}

}  // namespace shipgate::shield
