// StaticSite: serves one immutable release directory. Built once per config snapshot; serve() is
// const and thread-safe. No path ever escapes the root: "..", encoded dots and slashes, NUL bytes
// and symlinks that resolve outside the root all get 404 (or 400 for malformed encodings).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/staticsite/static_site_config.h"

namespace shipgate::staticsite {

// An open file shared by concurrent responses; closes its fd when the last user lets go.
struct OpenFile {
  int fd = -1;
  off_t size = 0;
  ~OpenFile();
};

struct StaticRequest {
  std::string_view method;             // GET and HEAD are served; others get 405 with Allow
  std::string_view path;               // raw request path, percent-encoded, without the query
  std::string_view if_none_match;      // header values, "" when absent
  std::string_view if_modified_since;
  std::string_view range;
  std::string_view if_range;
  std::string_view accept_encoding;
};

struct StaticResponse {
  int status = 200;
  // Every header except Content-Length, Date, Server and Connection (the writer adds those).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                    // in-memory body (errors, redirects, small files)
  std::shared_ptr<const OpenFile> file;  // file body: send [offset, offset+length) of file
  off_t offset = 0;
  size_t length = 0;                   // body length (file or in-memory) for Content-Length
  bool head = false;                   // HEAD: send headers only, Content-Length still set
};

class StaticSite {
 public:
  // Fails when root does not exist or is not a directory.
  static Result<std::unique_ptr<StaticSite>> open(const StaticSiteConfig& config);
  // As above, with the clock that times the open-file cache's revalidation (tests pass a
  // SimulatedClock). REQUIRES: clock outlives the StaticSite.
  static Result<std::unique_ptr<StaticSite>> open(const StaticSiteConfig& config,
                                                  const Clock& clock);
  ~StaticSite();

  StaticResponse serve(const StaticRequest& request) const;

 private:
  struct Impl;
  explicit StaticSite(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shipgate::staticsite
