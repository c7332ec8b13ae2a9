// readStaticSite (see staticsite/static_site_config.h).
#include "shipgate/staticsite/static_site_config.h"

#include <filesystem>
#include <string>
#include <system_error>

namespace shipgate::staticsite {

void readStaticSite(const config::YNode& n, const std::string& path, config::Diagnostics& d,
                    StaticSiteConfig& st) {
  config::MapView m(n, path, d);
  if (!m.isMap()) return;
  if (m.getPath("root", st.root)) {
    std::error_code ec;
    auto status = std::filesystem::status(st.root, ec);
    const config::YNode* at = m.take("root");
    if (!std::filesystem::exists(status)) {
      d.warning(at->where, path + ".root: \"" + st.root +
                               "\" does not exist yet (build the site first); serve fails until "
                               "it does");
    } else if (!std::filesystem::is_directory(status)) {
      d.error(at->where, path + ".root: \"" + st.root + "\" is not a directory");
    }
  } else if (m.take("root") == nullptr) {
    d.error(n.where, path + ": root is required (the release directory to serve)");
  }
  if (m.getString("index", st.index) &&
      (st.index.empty() || st.index.find('/') != std::string::npos)) {
    d.error(m.take("index")->where, path + ".index: must be a file name");
  }
  m.getBool("spa_fallback", st.spa_fallback);
  m.getSeconds("html_max_age", st.html_max_age_s);
  m.getSeconds("immutable_max_age", st.immutable_max_age_s);
  m.finish();
}

}  // namespace shipgate::staticsite
