// Snapshot: everything a worker needs to serve one request, immutable once built: the config,
// the TrafficPlan, one StaticSite per static site (indexed like config.sites), one TLS
// context per gateway listener (indexed like Gateway::listeners_, null for plain listeners) and
// the Firewall (WAF rules, rate limits, bot score, challenge; built from the previous one so
// counters and the challenge secret carry over).
// Shared (shared_ptr) by the gateway and every request in flight on it.
#pragma once

#include <memory>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/net/tls_context.h"
#include "shipgate/staticsite/static_site.h"
#include "shipgate/traffic/plan.h"

namespace shipgate::server {

struct Snapshot {
  uint64_t version = 0;
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const traffic::TrafficPlan> plan;
  std::vector<std::unique_ptr<staticsite::StaticSite>> static_sites;
  std::vector<std::shared_ptr<net::TlsServerContext>> tls;
  std::shared_ptr<const firewall::Firewall> firewall;  // never null
};

}  // namespace shipgate::server
