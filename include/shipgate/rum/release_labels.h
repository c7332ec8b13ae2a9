// ReleaseLabels: names the release that served a page, for RUM attribution. The gateway sets the
// cookie `sg_rel=<app-or-site>@<version>` on every HTML answer (a static site's text/html file or
// a proxied text/html answer); the RUM intake reads it back from the beacon's request and records
// the beacon's samples under that label in the RumStore.
//
// The version part comes from a ReleaseLabels lookup: by default (no version known) it is the
// slot name for an app ("api@blue") and "static" for a static site ("frontend@static"). The release
// controller feeds real versions with ReleaseLabelTable::set(app, slot, version) as deployments
// land ("api@v2.1.0", "frontend@v7").
//
// A label is at most kMaxReleaseLabelBytes of [A-Za-z0-9._~+-] with exactly one '@' that is neither
// first nor last; anything else in a cookie is treated as no attribution (kUnknownRelease).
//
// Thread-safety: ReleaseLabelTable is thread-safe (readers on worker threads, writers anywhere).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/common/mutex.h"

namespace shipgate::rum {

inline constexpr std::string_view kReleaseCookie = "sg_rel";
inline constexpr size_t kMaxReleaseLabelBytes = 128;
// The version part used for a static site when no version is known.
inline constexpr std::string_view kStaticVersion = "static";

class ReleaseLabels {
 public:
  virtual ~ReleaseLabels() = default;
  // The version part for what serves `app_or_site` from `slot` ("blue" / "green"; "" for a static
  // site). Never empty.
  virtual std::string version(std::string_view app_or_site, std::string_view slot) const = 0;
  // Whether `version` is one this lookup has named for `app_or_site` (now or recently), so a
  // cookie naming it may be trusted for attribution: the store keeps one series per release, and
  // a client must not be able to make up releases.
  virtual bool known(std::string_view app_or_site, std::string_view version) const = 0;
};

// The default lookup: the slot name, or kStaticVersion for a static site.
class SlotReleaseLabels final : public ReleaseLabels {
 public:
  std::string version(std::string_view app_or_site, std::string_view slot) const override;
  // "blue", "green" or kStaticVersion.
  bool known(std::string_view app_or_site, std::string_view version) const override;
};

// A table (app-or-site, slot) -> version set by the release controller; entries it has not set
// fall back to SlotReleaseLabels. known() accepts the slot defaults and the last
// kRecentVersions versions set for the app (pages served by the previous release still send
// beacons after a switch).
class ReleaseLabelTable final : public ReleaseLabels {
 public:
  static constexpr size_t kRecentVersions = 8;
  // An empty version removes the entry. For a static site pass slot "".
  void set(std::string_view app_or_site, std::string_view slot, std::string_view version);
  std::string version(std::string_view app_or_site, std::string_view slot) const override;
  bool known(std::string_view app_or_site, std::string_view version) const override;

 private:
  mutable Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> versions_ GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>, std::less<>> recent_ GUARDED_BY(mu_);
};

// "<app_or_site>@<version>", with characters outside the label alphabet replaced by '_' and the
// result cut to kMaxReleaseLabelBytes.
std::string releaseLabel(std::string_view app_or_site, std::string_view version);
// Whether `label` is a well-formed label (see above).
bool isValidReleaseLabel(std::string_view label);
// The Set-Cookie value naming `label`: "sg_rel=<label>; Path=/; HttpOnly; SameSite=Lax".
std::string releaseCookieHeader(std::string_view label);

}  // namespace shipgate::rum
