// URL parsing on top of uriparser (RFC 3986 syntax), with shipgate's restrictions (url.h).
#include "shipgate/http/url.h"

#include <uriparser/Uri.h>

#include <charconv>

#include "shipgate/common/strings.h"

namespace shipgate::http {
namespace {

std::string_view range(const UriTextRangeA& r) {
  if (r.first == nullptr || r.afterLast == nullptr) return {};
  return {r.first, static_cast<size_t>(r.afterLast - r.first)};
}

// Frees the parsed members on every return path.
class ParsedUri {
 public:
  ParsedUri() = default;
  ~ParsedUri() { uriFreeUriMembersA(&uri_); }
  ParsedUri(const ParsedUri&) = delete;
  ParsedUri& operator=(const ParsedUri&) = delete;
  UriUriA* get() { return &uri_; }

 private:
  UriUriA uri_{};
};

}  // namespace

std::string Url::hostPort() const {
  std::string out = ipv6 ? "[" + host + "]" : host;
  out += ':';
  out += std::to_string(port);
  return out;
}

Result<Url> parseUrl(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Status::invalidArgument("spaces and control characters must be percent-encoded");
    }
  }
  ParsedUri parsed;
  const char* error_pos = nullptr;
  if (uriParseSingleUriExA(parsed.get(), text.data(), text.data() + text.size(), &error_pos) !=
      URI_SUCCESS) {
    std::string_view scheme_end = text.substr(0, text.find("://"));
    if (scheme_end.size() == text.size() || (!equalsIgnoreCase(scheme_end, "http") &&
                                             !equalsIgnoreCase(scheme_end, "https"))) {
      return Status::invalidArgument("must start with http:// or https://");
    }
    size_t col = error_pos != nullptr ? static_cast<size_t>(error_pos - text.data()) : 0;
    return Status::invalidArgument("not a valid URL (at character " + std::to_string(col + 1) +
                                   ")");
  }
  UriUriA& uri = *parsed.get();
  Url url;
  url.scheme = std::string(range(uri.scheme));
  for (char& c : url.scheme) c = asciiLower(c);
  if ((url.scheme != "http" && url.scheme != "https") || uri.hostText.first == nullptr) {
    return Status::invalidArgument("must start with http:// or https://");
  }
  if (uri.userInfo.first != nullptr) {
    return Status::invalidArgument("credentials in URLs are not supported");
  }
  url.host = std::string(range(uri.hostText));
  url.ipv6 = uri.hostData.ip6 != nullptr;
  if (url.host.empty()) return Status::invalidArgument("missing host");
  if (uri.hostData.ipFuture.first != nullptr) {
    return Status::invalidArgument("IPvFuture hosts are not supported");
  }
  std::string_view port = range(uri.portText);
  if (uri.portText.first != nullptr) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return Status::invalidArgument("port \"" + std::string(port) +
                                     "\" is not a number from 1 to 65535");
    }
    url.port = static_cast<uint16_t>(value);
    url.explicit_port = true;
  } else {
    url.port = url.tls() ? 443 : 80;
  }
  std::string path;
  for (const UriPathSegmentA* s = uri.pathHead; s != nullptr; s = s->next) {
    path += '/';
    path += range(s->text);
  }
  if (path.empty()) path = "/";
  if (uri.query.first != nullptr) {
    path += '?';
    path += range(uri.query);
  }
  url.path_and_query = std::move(path);
  return url;
}

}  // namespace shipgate::http
