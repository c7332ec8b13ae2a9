// The static site's part of the config: the `static:` block of a site (sites[].static), read and
// validated by readStaticSite(). The sites: section itself (hosts, path prefix, static or app) is
// routing, traffic's section (traffic/traffic_config.h), which calls readStaticSite() for each
// static site. A StaticSiteConfig is what StaticSite::open() builds from.
// Thread: pure functions; a StaticSiteConfig is plain immutable data once read.
#pragma once

#include <cstdint>
#include <string>

#include "shipgate/config/diagnostics.h"
#include "shipgate/config/yaml.h"

namespace shipgate::staticsite {

struct StaticSiteConfig {
  std::string root;  // release directory; nothing outside it is ever served
  std::string index = "index.html";
  bool spa_fallback = false;                 // unknown paths without an extension get index.html
  int64_t html_max_age_s = 60;               // Cache-Control for HTML and non-hashed names
  int64_t immutable_max_age_s = 31'536'000;  // hashed asset names: max-age + immutable
};

// Reads the static: block `n` (at `path`, e.g. "sites.www.static") into `out`: root is required
// and made absolute against the file that names it; a root that does not exist yet is a warning
// (serve fails until it does), one that is not a directory an error.
void readStaticSite(const config::YNode& n, const std::string& path, config::Diagnostics& d,
                    StaticSiteConfig& out);

}  // namespace shipgate::staticsite
