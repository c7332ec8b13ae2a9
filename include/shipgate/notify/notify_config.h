// The notifications: section of the config and the notify area's section validator.
//
//   notifications:
//     slack:                       # Slack incoming webhook
//       webhook_url: "https://hooks.slack.com/services/..."   # or webhook_url_file: slack.url
//       events: [deploy_started, deploy_succeeded, deploy_failed, rolled_back, approval_needed,
//                incident_opened, incident_resolved]          # default: all
//       allow_insecure_file: false # webhook_url_file must be 0600 or stricter unless true
//     pagerduty:                   # PagerDuty Events API v2
//       url: "https://events.pagerduty.com/v2/enqueue"        # default
//       routing_key_file: pd.key   # required; 0600 or stricter unless allow_insecure_file: true
//       events: [deploy_failed, rolled_back, incident_opened, incident_resolved]  # default
//     retry: {attempts: 8, initial_backoff: 1s, max_backoff: 60s}
//     connect_timeout: 5s          # per attempt
//     timeout: 10s                 # per attempt, whole request
//     queue: 1000                  # pending deliveries held; when full low priority goes first
//     flush_timeout: 5s            # how long stop() keeps delivering what is pending
//
// Secrets: the webhook URL and the routing key are never printed; diagnostics name the file, or
// the webhook URL with its path redacted (redactUrl()). Files are read by Notifier::start(), not
// by the validator (which checks that they exist and their permissions).
// Use: pass notifySection() to config::loadFile(); notifyConfigOf() finds the settings.
// Thread: pure functions; a NotifyConfig is immutable once loaded.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/config/section.h"
#include "shipgate/notify/event.h"

namespace shipgate::notify {

inline constexpr char kNotifySectionKey[] = "notify";
inline constexpr char kDefaultPagerDutyUrl[] = "https://events.pagerduty.com/v2/enqueue";

struct RetryPolicy {
  int attempts = 8;                // total attempts per delivery, >= 1
  Millis initial_backoff{1'000};  // delay after the first failed attempt (before jitter)
  Millis max_backoff{60'000};     // cap of the exponential delay
};

struct SlackConfig {
  std::string webhook_url;       // set from webhook_url, or empty when webhook_url_file is used
  std::string webhook_url_file;  // absolute path, or empty
  std::vector<EventKind> events{std::begin(kAllEventKinds), std::end(kAllEventKinds)};
  bool allow_insecure_file = false;
  config::Location where;
};

struct PagerDutyConfig {
  std::string url = kDefaultPagerDutyUrl;
  std::string routing_key_file;  // absolute path
  std::vector<EventKind> events{EventKind::kDeployFailed, EventKind::kRolledBack,
                                EventKind::kIncidentOpened, EventKind::kIncidentResolved};
  bool allow_insecure_file = false;
  config::Location where;
};

struct NotifyConfig : config::SectionSettings {
  std::optional<SlackConfig> slack;
  std::optional<PagerDutyConfig> pagerduty;
  RetryPolicy retry;
  Millis connect_timeout{5'000};
  Millis timeout{10'000};
  size_t queue = 1000;
  Millis flush_timeout{5'000};

  bool anyChannel() const { return slack.has_value() || pagerduty.has_value(); }
};

// The validator for `notifications:` (Config::sections key "notify").
std::unique_ptr<config::SectionValidator> notifySection();
// The loaded settings, or the defaults (no channel) when the section was absent or not validated.
const NotifyConfig& notifyConfigOf(const config::Config& config);

// "https://hooks.slack.com/services/T0/B0/xyz" -> "https://hooks.slack.com/…" (scheme and
// authority kept, without any user:password; everything after them replaced). Not a URL: "…".
std::string redactUrl(const std::string& url);

// Reads a one-line secret (routing key, webhook URL) from `path`: trims surrounding whitespace,
// rejects an empty file or one with more than one line, and (unless allow_insecure) a file that
// group or others may read or write. Errors name the path, never the content.
Result<std::string> readSecretFile(const std::string& path, bool allow_insecure);

}  // namespace shipgate::notify
