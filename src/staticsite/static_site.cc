#include "shipgate/staticsite/static_site.h"

#include <string>

#include "staticsite/content_meta.h"
#include "staticsite/file_cache.h"
#include "staticsite/negotiation.h"
#include "staticsite/request_path.h"

namespace shipgate::staticsite {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

StaticResponse errorResponse(int status, std::string_view text, bool head) {
  StaticResponse r;
  r.status = status;
  r.body = std::to_string(status);
  r.body.push_back(' ');
  r.body.append(text);
  r.body.push_back('\n');
  r.length = r.body.size();
  r.head = head;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

// Percent-encodes a decoded path segment for a Location header (never emits CR, LF or spaces).
std::string encodeSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : segment) {
    auto c = static_cast<unsigned char>(ch);
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("-._~!$&'()*+,;=:@").find(ch) != std::string_view::npos;
    if (safe) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

struct StaticSite::Impl {
  StaticSiteConfig config;
  std::unique_ptr<FileCache> cache;
  std::string short_cache_control;
  std::string immutable_cache_control;

  StaticResponse serveFile(const StaticRequest& request,
                           const std::shared_ptr<const FileInfo>& identity,
                           bool head) const;
};

Result<std::unique_ptr<StaticSite>> StaticSite::open(const StaticSiteConfig& config) {
  return open(config, RealClock::instance());
}

Result<std::unique_ptr<StaticSite>> StaticSite::open(const StaticSiteConfig& config,
                                                     const Clock& clock) {
  if (config.index.empty() || config.index.find('/') != std::string::npos ||
      config.index.front() == '.') {
    return Status::invalidArgument("static site index must be a plain file name: '" + config.index +
                                   "'");
  }
  auto cache = FileCache::open(config.root, clock, FileCacheOptions{});
  if (!cache.isOk()) return cache.status();
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->cache = std::move(cache).value();
  impl->short_cache_control = config.html_max_age_s > 0
                                  ? "public, max-age=" + std::to_string(config.html_max_age_s)
                                  : "no-cache";
  impl->immutable_cache_control =
      "public, max-age=" + std::to_string(config.immutable_max_age_s) + ", immutable";
  return std::unique_ptr<StaticSite>(new StaticSite(std::move(impl)));
}

StaticSite::StaticSite(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StaticSite::~StaticSite() = default;

StaticResponse StaticSite::serve(const StaticRequest& request) const {
  const bool head = request.method == "HEAD";
  if (!head && request.method != "GET") {
    StaticResponse r = errorResponse(405, "Method Not Allowed", false);
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  NormalizedPath path = normalizeRequestPath(request.path);
  if (path.verdict == PathVerdict::kBadRequest) return errorResponse(400, "Bad Request", head);
  if (path.verdict == PathVerdict::kNotFound) return errorResponse(404, "Not Found", head);

  const FileCache& cache = *impl_->cache;
  const std::string& index = impl_->config.index;
  std::string logical = std::move(path.relative);
  std::shared_ptr<const FileInfo> info = cache.lookup(logical);

  if (info->kind == FileInfo::Kind::kDirectory) {
    if (!path.trailing_slash && !logical.empty()) {
      // Relative Location so it stays right under whatever prefix the router mounted us at.
      StaticResponse r = errorResponse(301, "Moved Permanently", head);
      r.headers.emplace_back("Location", encodeSegment(path.last_segment) + "/");
      return r;
    }
    logical = logical.empty() ? index : logical + "/" + index;
    info = cache.lookup(logical);
    if (info->kind == FileInfo::Kind::kMissing && impl_->config.spa_fallback) {
      logical = index;  // a directory without an index is just another client-side route
      info = cache.lookup(logical);
    }
  } else if (info->kind == FileInfo::Kind::kFile && path.trailing_slash) {
    return errorResponse(404, "Not Found", head);
  } else if (info->kind == FileInfo::Kind::kMissing && impl_->config.spa_fallback &&
             extensionOf(path.last_segment).empty()) {
    logical = index;
    info = cache.lookup(logical);
  }
  if (info->kind == FileInfo::Kind::kError) return errorResponse(500, "Internal Error", head);
  if (info->kind != FileInfo::Kind::kFile) return errorResponse(404, "Not Found", head);
  return impl_->serveFile(request, info, head);
}

StaticResponse StaticSite::Impl::serveFile(const StaticRequest& request,
                                           const std::shared_ptr<const FileInfo>& identity,
                                           bool head) const {
  // Representation: a precompressed sibling when the client accepts it.
  const bool have_br = identity->br != nullptr;
  const bool have_gz = identity->gz != nullptr;
  Encoding encoding = chooseEncoding(request.accept_encoding, have_br, have_gz);
  const FileInfo& rep = encoding == Encoding::kBrotli ? *identity->br
                        : encoding == Encoding::kGzip ? *identity->gz
                                                      : *identity;

  StaticResponse r;
  r.head = head;
  Headers& h = r.headers;
  h.reserve(9);
  const bool hashed = identity->immutable;
  h.emplace_back("ETag", rep.etag);
  h.emplace_back("Last-Modified", rep.last_modified);
  h.emplace_back("Cache-Control", hashed ? immutable_cache_control : short_cache_control);
  if (have_br || have_gz) h.emplace_back("Vary", "Accept-Encoding");

  // Conditional GET (RFC 9110 13.2.2): If-None-Match wins over If-Modified-Since.
  bool not_modified = false;
  if (!request.if_none_match.empty()) {
    not_modified = ifNoneMatchMatches(request.if_none_match, rep.etag);
  } else if (!request.if_modified_since.empty()) {
    auto since = parseHttpDate(request.if_modified_since);
    not_modified = since && rep.mtime_s <= *since;
  }
  if (not_modified) {
    r.status = 304;
    return r;
  }

  h.emplace_back("Content-Type", std::string(identity->content_type));
  if (encoding != Encoding::kIdentity) {
    h.emplace_back("Content-Encoding", encoding == Encoding::kBrotli ? "br" : "gzip");
  }
  h.emplace_back("Accept-Ranges", "bytes");
  h.emplace_back("X-Content-Type-Options", "nosniff");

  off_t first = 0;
  off_t length = rep.size;
  if (!head && !request.range.empty()) {
    bool range_applies = true;
    if (!request.if_range.empty()) {
      if (request.if_range.front() == '"' || request.if_range.front() == 'W') {
        range_applies = ifRangeEtagMatches(request.if_range, rep.etag);
      } else {
        auto date = parseHttpDate(request.if_range);
        range_applies = date && *date == rep.mtime_s;
      }
    }
    ByteRange range = range_applies ? parseRange(request.range, rep.size) : ByteRange{};
    if (range.kind == ByteRange::Kind::kUnsatisfiable) {
      StaticResponse e = errorResponse(416, "Range Not Satisfiable", head);
      e.headers.emplace_back("Content-Range", "bytes */" + std::to_string(rep.size));
      e.headers.emplace_back("ETag", rep.etag);
      if (have_br || have_gz) e.headers.emplace_back("Vary", "Accept-Encoding");
      return e;
    }
    if (range.kind == ByteRange::Kind::kSatisfiable) {
      first = range.first;
      length = range.length;
      r.status = 206;
      h.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                          std::to_string(first + length - 1) + "/" +
                                          std::to_string(rep.size));
    }
  }

  r.length = static_cast<size_t>(length);
  r.offset = first;
  if (head) return r;
  if (rep.content) {
    r.body.assign(*rep.content, static_cast<size_t>(first), static_cast<size_t>(length));
    r.offset = 0;
  } else {
    r.file = rep.file;
  }
  return r;
}

}  // namespace shipgate::staticsite
