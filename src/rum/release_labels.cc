#include "shipgate/rum/release_labels.h"

namespace shipgate::rum {
namespace {

bool labelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '-';
}

void appendClean(std::string& out, std::string_view part) {
  for (char c : part) out += labelChar(c) ? c : '_';
}

}  // namespace

std::string SlotReleaseLabels::version(std::string_view, std::string_view slot) const {
  return slot.empty() ? std::string(kStaticVersion) : std::string(slot);
}

bool SlotReleaseLabels::known(std::string_view, std::string_view version) const {
  return version == "blue" || version == "green" || version == kStaticVersion;
}

void ReleaseLabelTable::set(std::string_view app_or_site, std::string_view slot,
                            std::string_view version) {
  MutexLock lock(mu_);
  std::pair<std::string, std::string> key{std::string(app_or_site), std::string(slot)};
  if (version.empty()) {
    versions_.erase(key);
    return;
  }
  std::vector<std::string>& recent = recent_[key.first];
  std::string clean;  // as the cookie spells it
  appendClean(clean, version);
  std::erase(recent, clean);
  recent.push_back(std::move(clean));
  if (recent.size() > kRecentVersions) recent.erase(recent.begin());
  versions_[std::move(key)] = std::string(version);
}

bool ReleaseLabelTable::known(std::string_view app_or_site, std::string_view version) const {
  if (SlotReleaseLabels().known(app_or_site, version)) return true;
  MutexLock lock(mu_);
  auto it = recent_.find(app_or_site);
  if (it == recent_.end()) return false;
  for (const auto& v : it->second) {
    if (v == version) return true;
  }
  return false;
}

std::string ReleaseLabelTable::version(std::string_view app_or_site,
                                       std::string_view slot) const {
  {
    MutexLock lock(mu_);
    auto it = versions_.find({std::string(app_or_site), std::string(slot)});
    if (it != versions_.end()) return it->second;
  }
  return SlotReleaseLabels().version(app_or_site, slot);
}

std::string releaseLabel(std::string_view app_or_site, std::string_view version) {
  std::string out;
  out.reserve(app_or_site.size() + version.size() + 1);
  appendClean(out, app_or_site.empty() ? std::string_view("_") : app_or_site);
  out += '@';
  appendClean(out, version.empty() ? std::string_view("_") : version);
  if (out.size() > kMaxReleaseLabelBytes) out.resize(kMaxReleaseLabelBytes);
  return out;
}

bool isValidReleaseLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxReleaseLabelBytes) return false;
  size_t at = label.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == label.size()) return false;
  if (label.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : label) {
    if (c != '@' && !labelChar(c)) return false;
  }
  return true;
}

std::string releaseCookieHeader(std::string_view label) {
  std::string out(kReleaseCookie);
  out += '=';
  out += label;
  out += "; Path=/; HttpOnly; SameSite=Lax";
  return out;
}

}  // namespace shipgate::rum
