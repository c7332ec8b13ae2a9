// Facts about a file name and HTTP dates that static responses need: the Content-Type table, the
// hashed-asset-name test that selects immutable caching, and IMF-fixdate formatting/parsing.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shipgate::staticsite {

// Content-Type by extension (case-insensitive); text types carry "; charset=utf-8".
// Unknown extensions get "application/octet-stream".
std::string_view contentTypeFor(std::string_view file_name);

// The extension of the last path segment without the dot ("" when none). "a/b.tar.gz" -> "gz".
std::string_view extensionOf(std::string_view path);

// The content-hash segment of a file name such as "app.3f9a1c2b.js" or "main-8c2f1e9a0b.css",
// or "" when the name does not look hashed. A hash segment sits between '.'/'-' separators before
// the extension and is at least 8 characters of either hex (with a digit, or 10+ characters) or
// base64url-like alphanumerics (with a digit, an upper- and a lower-case letter).
std::string_view hashSegmentOf(std::string_view path);

// RFC 9110 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string formatHttpDate(int64_t unix_seconds);

// Parses IMF-fixdate (and the obsolete RFC 850 and asctime forms); nullopt when malformed.
std::optional<int64_t> parseHttpDate(std::string_view text);

}  // namespace shipgate::staticsite
