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

// Case-insensitive for the tool and crawler tokens (the UA is lower-cased once, into a stack
// buffer, and searched with memchr-based find); case-sensitive for the browser tokens
// ("Mozilla/5.0", "Chrome/", ...), as browsers send them. Looks at the first 1024 bytes.
UaInfo classifyUserAgent(std::string_view ua);

}  // namespace shipgate::shield
