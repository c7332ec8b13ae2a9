// Snapshot: everything a worker needs to serve one request, immutable once built: the config,
// the TrafficPlan, one StaticSite per static site (indexed like the plan's sites), one TLS
// context per gateway listener (indexed like Gateway::listeners_, null for plain listeners),
// the Firewall (WAF rules, rate limits, bot score, challenge; built from the previous one so
// counters and the challenge secret carry over) and the RUM intake (rum:; its rate-limit state
// carries over).
// Shared (shared_ptr) by the gateway and every request in flight on it. Static sites, TLS
// contexts and the Firewall are shared with the previous snapshot when their config section did
// not change (Gateway::apply), so a reload keeps warm caches and compiled rules.
// Runtime routing changes (slot, weights, approvals) are not in the snapshot: TrafficPlan::pick
// reads them from the traffic::RoutingOverlay.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/net/tls_context.h"
#include "shipgate/rum/rum_intake.h"
#include "shipgate/staticsite/static_site.h"
#include "shipgate/traffic/plan.h"

namespace shipgate::server {

struct Snapshot {
  uint64_t version = 0;
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const traffic::TrafficPlan> plan;
  std::vector<std::shared_ptr<staticsite::StaticSite>> static_sites;
  std::vector<std::shared_ptr<net::TlsServerContext>> tls;
  std::vector<std::string> tls_fingerprints;  // like tls: the certificate files' identity on disk
  std::shared_ptr<const firewall::Firewall> firewall;  // never null
  std::shared_ptr<const rum::RumIntake> rum;           // never null (matches nothing when off)
};

}  // namespace shipgate::server
