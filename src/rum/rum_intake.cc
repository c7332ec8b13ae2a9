// The RUM intake (see rum/rum_intake.h).
#include "shipgate/rum/rum_intake.h"

#include <algorithm>
#include <cstdio>


namespace shipgate::rum {
namespace {

bool sameRate(const RumConfig& a, const RumConfig& b) {
  return a.rate_limit_count == b.rate_limit_count && a.rate_limit_period == b.rate_limit_period;
}


}  // namespace

std::shared_ptr<const RumIntake> RumIntake::create(std::shared_ptr<const RumConfig> config,
                                                   RumStore* store, metrics::Registry& registry,
                                                   const Clock& clock, Attribution attribution,
                                                   const RumIntake* previous) {
  static const SlotReleaseLabels kSlotLabels;
  std::shared_ptr<RumIntake> in(new RumIntake());
  in->config_ = std::move(config);
  const RumConfig& c = *in->config_;
  in->rules_.metrics = c.metrics;
  in->rules_.max_value_ms = c.max_value_ms;
  in->rules_.max_metrics = c.max_metrics_per_beacon;
  in->rules_.max_body_bytes = c.max_body_bytes;
  in->store_ = store;
  in->labels_ = attribution.labels != nullptr ? attribution.labels : &kSlotLabels;
  in->apps_ = std::move(attribution.apps);
  std::sort(in->apps_.begin(), in->apps_.end());
  if (c.rate_limit_count > 0) {
    if (previous != nullptr && previous->limiter_ && sameRate(*previous->config_, c)) {
      in->limiter_ = previous->limiter_;
    } else {
      in->limiter_ =
          std::make_shared<ClientRateLimiter>(clock, c.rate_limit_count, c.rate_limit_period);
    }
  }
  registry.describe(kBeaconsMetric,
                    "RUM beacons received on the public listener, by result and reason.");
  registry.describe(kUnattributedMetric,
                    "Accepted RUM beacons without a usable sg_rel cookie (recorded as unknown).");
  registry.describe(kMeasurementsMetric, "RUM measurements recorded, by metric.");
  in->accepted_ = registry.counter(kBeaconsMetric, {{"result", "accepted"}, {"reason", "ok"}});
  for (RejectReason r : kAllRejectReasons) {
    in->rejected_.push_back(registry.counter(
        kBeaconsMetric, {{"result", "rejected"}, {"reason", std::string(reasonName(r))}}));
  }
  in->unattributed_ = registry.counter(kUnattributedMetric, {});
  for (const auto& m : c.metrics) {
    in->measurements_.emplace_back(m, registry.counter(kMeasurementsMetric, {{"metric", m}}));
  }
  in->script_ = rumScript(c.path);
  return in;
}

bool RumIntake::matches(std::string_view path) const {
  if (!config_->enabled) return false;
  const std::string& p = config_->path;
  if (path.size() == p.size()) return path == p;
  return path.size() == p.size() + 3 && path.substr(0, p.size()) == p &&
         path.substr(p.size()) == ".js";
}

std::string_view RumIntake::attribute(std::string_view cookie_value) const {
  if (!isValidReleaseLabel(cookie_value)) return kUnknownRelease;
  const size_t at = cookie_value.find('@');
  const std::string_view app = cookie_value.substr(0, at);
  const std::string_view version = cookie_value.substr(at + 1);
  if (!std::binary_search(apps_.begin(), apps_.end(), app, std::less<>())) return kUnknownRelease;
  return labels_->known(app, version) ? cookie_value : kUnknownRelease;
}

IntakeAnswer RumIntake::reject(RejectReason reason, std::string_view detail) const {
  rejected_[static_cast<size_t>(reason)].add();
  IntakeAnswer a;
  a.status = reasonStatus(reason);
  a.reason = reasonName(reason);
  a.body.reserve(detail.size() + 32);
  a.body = "rum beacon rejected (";
  a.body += a.reason;
  a.body += "): ";
  a.body += detail;
  a.body += '\n';
  a.content_type = "text/plain; charset=utf-8";
  a.headers.emplace_back("Cache-Control", "no-store");
  if (reason == RejectReason::kMethod) a.headers.emplace_back("Allow", "POST");
  if (reason == RejectReason::kRateLimited) a.headers.emplace_back("Retry-After", "60");
  return a;
}

IntakeAnswer RumIntake::handle(const IntakeRequest& req) const {
  if (req.path.size() != config_->path.size()) {  // the script
    IntakeAnswer a;
    if (req.method != "GET" && req.method != "HEAD") {
      a.status = 405;
      a.body = "the rum script is read with GET\n";
      a.content_type = "text/plain; charset=utf-8";
      a.headers.emplace_back("Allow", "GET, HEAD");
      return a;
    }
    a.status = 200;
    a.body = script_;
    a.content_type = "text/javascript; charset=utf-8";
    a.headers.emplace_back("Cache-Control", "public, max-age=300");
    a.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return a;
  }
  if (req.method != "POST") {
    return reject(RejectReason::kMethod, "beacons are sent with POST");
  }
  if (limiter_ && !limiter_->allow(req.client_ip)) {
    char detail[96];
    std::snprintf(detail, sizeof detail, "more than %lld beacons per %llds from this address",
                  static_cast<long long>(config_->rate_limit_count),
                  static_cast<long long>(config_->rate_limit_period.count() / 1000));
    return reject(RejectReason::kRateLimited, detail);
  }
  if (!acceptableContentType(req.content_type)) {
    return reject(RejectReason::kContentType,
                  "Content-Type must be text/plain or application/json");
  }
  auto parsed = parseBeacon(req.body, rules_);
  if (auto* e = std::get_if<BeaconError>(&parsed)) return reject(e->reason, e->detail);
  const Beacon& beacon = std::get<Beacon>(parsed);
  std::string_view release = attribute(req.release_cookie);
  if (release == kUnknownRelease) unattributed_.add();
  for (const Measurement& m : beacon.measurements) {
    if (store_ != nullptr) store_->record(m.name, release, m.value_ms);
    for (const auto& [name, counter] : measurements_) {
      if (name == m.name) {
        counter.add();
        break;
      }
    }
  }
  accepted_.add();
  IntakeAnswer a;
  a.status = 204;
  a.headers.emplace_back("Cache-Control", "no-store");
  return a;
}

void addRumCollector(metrics::Registry& registry, std::weak_ptr<const RumStore> store) {
  registry.addCollector([store = std::move(store)](std::string& out) {
    auto s = store.lock();
    if (!s) return;
    auto series = s->series();
    out += "# HELP ";
    out += kStoredSamplesMetric;
    out += " RUM samples held for SLA checks (within the store's max_age), by metric and release.\n";
    out += "# TYPE ";
    out += kStoredSamplesMetric;
    out += " gauge\n";
    for (const SeriesKey& k : series) {
      size_t n = s->count(k.metric, k.release, s->options().max_age);
      // Metric names are validated config; release labels are [A-Za-z0-9._~+-@] or "unknown":
      // nothing to escape.
      out += kStoredSamplesMetric;
      out += "{metric=\"";
      out += k.metric;
      out += "\",release=\"";
      out += k.release;
      out += "\"} ";
      out += std::to_string(n);
      out += '\n';
    }
  });
}

}  // namespace shipgate::rum
