// The notifications: section, its validator, URL redaction and secret files (see
// notify/notify_config.h).
#include "shipgate/notify/notify_config.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/config/yaml.h"

namespace shipgate::notify {
namespace {

using config::asString;
using config::childPath;
using config::didYouMean;
using config::itemPath;
using config::MapView;
using config::YEntry;
using config::YNode;

constexpr char kTopKey[] = "notifications";

struct ParsedUrl {
  std::string scheme;
  std::string host;
  std::string port;  // empty when not written
};

// Parses an absolute http(s) URL with libcurl's URL API; nullopt when it is not one.
std::optional<ParsedUrl> parseHttpUrl(const std::string& text) {
  CURLU* u = curl_url();
  if (u == nullptr) return std::nullopt;
  std::optional<ParsedUrl> out;
  if (curl_url_set(u, CURLUPART_URL, text.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
      ParsedUrl p;
      p.scheme = scheme;
      p.host = host;
      if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK) p.port = port;
      if ((p.scheme == "http" || p.scheme == "https") && !p.host.empty()) out = std::move(p);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(u);
  return out;
}

// Reads `events:` (a list of kind names, or one name) with a located error per unknown name.
bool readEvents(MapView& m, std::vector<EventKind>& out) {
  const YNode* n = m.take("events");
  if (n == nullptr) return true;
  std::string path = m.sub("events");
  std::vector<const YNode*> items;
  if (n->isScalar()) {
    items.push_back(n);
  } else if (n->isSeq()) {
    for (const auto& item : n->items) items.push_back(&item);
  } else {
    m.diags().error(n->where, path + ": expected a list of event names, got " + n->kindName());
    return false;
  }
  std::vector<std::string> names;
  for (EventKind k : kAllEventKinds) names.emplace_back(eventKindName(k));
  std::vector<EventKind> kinds;
  bool ok = true;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string ipath = n->isSeq() ? itemPath(path, i) : path;
    std::string name;
    if (!asString(*items[i], ipath, m.diags(), name)) {
      ok = false;
      continue;
    }
    auto kind = eventKindFromName(name);
    if (!kind) {
      std::string hint = didYouMean(name, names);
      m.diags().error(items[i]->where,
                      ipath + ": unknown event \"" + name + "\"" +
                          (hint.empty() ? " (one of deploy_started, deploy_succeeded, "
                                          "deploy_failed, rolled_back, approval_needed, "
                                          "incident_opened, incident_resolved)"
                                        : hint));
      ok = false;
      continue;
    }
    if (std::find(kinds.begin(), kinds.end(), *kind) != kinds.end()) {
      m.diags().warning(items[i]->where, ipath + ": \"" + name + "\" is listed twice");
      continue;
    }
    kinds.push_back(*kind);
  }
  if (ok) out = std::move(kinds);
  return ok;
}

// A URL key: present, an http(s) URL with a host. Messages show it redacted.
bool readUrl(MapView& m, std::string_view key, std::string& out) {
  const YNode* n = m.take(key);
  if (n == nullptr) return false;
  std::string text;
  if (!asString(*n, m.sub(key), m.diags(), text)) return false;
  if (!parseHttpUrl(text)) {
    m.diags().error(n->where, m.sub(key) + ": \"" + redactUrl(text) +
                                  "\" is not an http:// or https:// URL with a host");
    return false;
  }
  out = std::move(text);
  return true;
}

// A secret file key: the path is resolved; a file that exists must be private unless allowed.
void checkSecretFile(MapView& m, std::string_view key, const std::string& path, bool allow,
                     const std::string& what) {
  const YNode* n = m.take(key);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    config::warnIfMissing(n->where, what, path, m.diags());
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    m.diags().error(n->where, m.sub(key) + ": \"" + path + "\" is not a regular file");
    return;
  }
  if (!allow && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    m.diags().error(n->where, m.sub(key) + ": \"" + path + "\" holds a secret but group or "
                                  "others may access it (mode " + mode +
                                  "); chmod 600 it, or set allow_insecure_file: true");
  }
}

std::optional<SlackConfig> loadSlack(const YEntry& e, config::Diagnostics& d) {
  SlackConfig s;
  s.where = e.key_where;
  MapView m(e.value, childPath(kTopKey, "slack"), d);
  if (!m.isMap()) return std::nullopt;
  m.getBool("allow_insecure_file", s.allow_insecure_file);
  bool has_url = m.take("webhook_url") != nullptr;
  bool has_file = m.take("webhook_url_file") != nullptr;
  if (has_url && has_file) {
    d.error(m.take("webhook_url_file")->where,
            m.path() + ": set webhook_url or webhook_url_file, not both");
  } else if (!has_url && !has_file) {
    d.error(e.key_where, m.path() + ": webhook_url or webhook_url_file is required");
  }
  if (has_url) readUrl(m, "webhook_url", s.webhook_url);
  if (has_file && !has_url && m.getPath("webhook_url_file", s.webhook_url_file)) {
    checkSecretFile(m, "webhook_url_file", s.webhook_url_file, s.allow_insecure_file,
                    "Slack webhook URL file");
  }
  readEvents(m, s.events);
  if (s.events.empty()) {
    d.warning(e.key_where, m.path() + ": events is empty, so nothing is sent to Slack");
  }
  m.finish();
  return s;
}

std::optional<PagerDutyConfig> loadPagerDuty(const YEntry& e, config::Diagnostics& d) {
  PagerDutyConfig p;
  p.where = e.key_where;
  MapView m(e.value, childPath(kTopKey, "pagerduty"), d);
  if (!m.isMap()) return std::nullopt;
  m.getBool("allow_insecure_file", p.allow_insecure_file);
  readUrl(m, "url", p.url);
  if (m.take("routing_key_file") == nullptr) {
    d.error(e.key_where, m.path() + ": routing_key_file is required (a file holding the "
                                    "integration's routing key)");
  } else if (m.getPath("routing_key_file", p.routing_key_file)) {
    checkSecretFile(m, "routing_key_file", p.routing_key_file, p.allow_insecure_file,
                    "PagerDuty routing key file");
  }
  if (m.take("routing_key") != nullptr) {
    d.error(m.take("routing_key")->where,
            m.sub("routing_key") + ": the routing key is a secret: put it in a file (mode 0600) "
                                   "and name it with routing_key_file");
  }
  readEvents(m, p.events);
  if (p.events.empty()) {
    d.warning(e.key_where, m.path() + ": events is empty, so nothing is sent to PagerDuty");
  }
  bool opens = std::find(p.events.begin(), p.events.end(), EventKind::kIncidentOpened) !=
               p.events.end();
  bool resolves = std::find(p.events.begin(), p.events.end(), EventKind::kIncidentResolved) !=
                  p.events.end();
  if (opens && !resolves) {
    d.warning(e.key_where, m.path() + ": events lists incident_opened but not incident_resolved, "
                                      "so PagerDuty alerts are never resolved by shipgate");
  }
  m.finish();
  return p;
}

class NotifySection : public config::SectionValidator {
 public:
  std::string_view key() const override { return kNotifySectionKey; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config& config, const YNode& document,
      config::Diagnostics& d) const override {
    bool had_errors = d.hasErrors();
    auto out = std::make_shared<NotifyConfig>();
    const YEntry* top = document.isMap() ? document.find(kTopKey) : nullptr;
    if (top == nullptr || top->value.isNull()) return out;
    MapView m(top->value, kTopKey, d);
    if (!m.isMap()) return nullptr;
    if (const YEntry* e = m.entry("slack"); e != nullptr && !e->value.isNull()) {
      out->slack = loadSlack(*e, d);
    }
    if (const YEntry* e = m.entry("pagerduty"); e != nullptr && !e->value.isNull()) {
      out->pagerduty = loadPagerDuty(*e, d);
    }
    if (const YNode* r = m.take("retry")) {
      MapView rm(*r, m.sub("retry"), d);
      int attempts = out->retry.attempts;
      if (rm.getInt("attempts", 1, 100, attempts)) out->retry.attempts = attempts;
      rm.getDuration("initial_backoff", out->retry.initial_backoff);
      rm.getDuration("max_backoff", out->retry.max_backoff);
      if (out->retry.initial_backoff.count() <= 0 && rm.take("initial_backoff") != nullptr) {
        d.error(rm.take("initial_backoff")->where,
                rm.sub("initial_backoff") + ": must be more than 0");
      }
      if (out->retry.max_backoff < out->retry.initial_backoff) {
        const YNode* at = rm.take("max_backoff");
        d.error(at != nullptr ? at->where : r->where,
                rm.sub("max_backoff") + ": must be at least initial_backoff");
      }
      rm.finish();
    }
    auto positive = [&](std::string_view key, Millis& value) {
      if (m.getDuration(key, value) && value.count() <= 0) {
        d.error(m.take(key)->where, m.sub(key) + ": must be more than 0");
      }
    };
    positive("connect_timeout", out->connect_timeout);
    positive("timeout", out->timeout);
    m.getDuration("flush_timeout", out->flush_timeout);
    if (out->connect_timeout > out->timeout && m.take("connect_timeout") != nullptr) {
      d.warning(m.take("connect_timeout")->where,
                m.sub("connect_timeout") + " is longer than timeout, which bounds the whole "
                                           "request, connection included");
    }
    int64_t queue = static_cast<int64_t>(out->queue);
    if (m.getInt64("queue", 1, 1'000'000, queue)) out->queue = static_cast<size_t>(queue);
    m.finish();
    if (!had_errors && d.hasErrors()) return nullptr;
    return out;
  }
};

}  // namespace

std::unique_ptr<config::SectionValidator> notifySection() {
  return std::make_unique<NotifySection>();
}

const NotifyConfig& notifyConfigOf(const config::Config& config) {
  return config.sectionOrDefault<NotifyConfig>(kNotifySectionKey);
}

std::string redactUrl(const std::string& url) {
  auto p = parseHttpUrl(url);
  if (!p) return "\xE2\x80\xA6";
  std::string host = p->host.find(':') != std::string::npos ? "[" + p->host + "]" : p->host;
  return p->scheme + "://" + host + (p->port.empty() ? "" : ":" + p->port) + "/\xE2\x80\xA6";
}

Result<std::string> readSecretFile(const std::string& path, bool allow_insecure) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::fromErrno("cannot read " + path, errno);
  if (!S_ISREG(st.st_mode)) return Status::invalidArgument(path + " is not a regular file");
  if (!allow_insecure && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::permissionDenied(path + " holds a secret but group or others may access it "
                                    "(mode " + std::string(mode) + "); chmod 600 it");
  }
  std::ifstream in(path);
  if (!in) return Status::permissionDenied("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && space(text[start])) ++start;
  text.erase(0, start);
  if (text.empty()) return Status::invalidArgument(path + " is empty");
  if (std::any_of(text.begin(), text.end(), space)) {
    return Status::invalidArgument(path + " must hold one line with no spaces");
  }
  return text;
}

}  // namespace shipgate::notify
