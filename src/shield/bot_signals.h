// User-agent classification for the bot score: which family a UA belongs to and, for browsers,
// which engine and major version it claims. Pure functions; thread-safe.
#pragma once

#include <string_view>

namespace shipgate::shield {

enum class UaClass { kEmpty, kAttackTool, kHeadless, kAutomationTool, kCrawler, kBrowser, kOther };
enum class BrowserKind { kNone, kChrome, kEdge, kFirefox, kSafari };

struct UaInfo {
  UaClass cls = UaClass::kOther;
  std::string_view family;  // matched token, e.g. "curl"; static storage
  BrowserKind browser = BrowserKind::kNone;
  int major = 0;  // claimed major version (Safari: Version/N), 0 when unknown
  int minor = 0;
};

UaInfo classifyUserAgent(std::string_view ua);

// Case-insensitive substring search.
bool containsNoCase(std::string_view haystack, std::string_view needle);
bool equalsNoCase(std::string_view a, std::string_view b);
bool startsWithNoCase(std::string_view s, std::string_view prefix);

}  // namespace shipgate::shield
