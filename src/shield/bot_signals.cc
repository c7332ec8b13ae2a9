// User-agent classification. See bot_signals.h.
#include "bot_signals.h"

#include <cctype>

namespace shipgate::shield {
namespace {

char lowerChar(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

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

}  // namespace

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerChar(a[i]) != lowerChar(b[i])) return false;
  }
  return true;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsNoCase(s.substr(0, prefix.size()), prefix);
}

bool containsNoCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (lowerChar(haystack[i]) == lowerChar(needle[0]) &&
        equalsNoCase(haystack.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

UaInfo classifyUserAgent(std::string_view ua) {
  UaInfo info;
  size_t first = ua.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    info.cls = UaClass::kEmpty;
    return info;
  }
  ua = ua.substr(0, 1024);  // classification never needs more
  for (auto t : kAttackTools) {
    if (containsNoCase(ua, t)) return UaInfo{UaClass::kAttackTool, t};
  }
  for (auto t : kHeadless) {
    if (containsNoCase(ua, t)) return UaInfo{UaClass::kHeadless, t};
  }
  for (auto t : kAutomationTools) {
    if (containsNoCase(ua, t)) return UaInfo{UaClass::kAutomationTool, t};
  }
  for (auto t : kCrawlerTokens) {
    if (containsNoCase(ua, t)) return UaInfo{UaClass::kCrawler, t};
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

}  // namespace shipgate::shield
