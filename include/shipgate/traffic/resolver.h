// Resolver: turns an endpoint's host:port into a socket address when a TrafficPlan is built. The
// system resolver uses getaddrinfo (IPv4 preferred when both families answer); tests inject
// their own to make a name stop resolving.
// Thread-safety: resolve() may be called from any thread.
#pragma once

#include <sys/socket.h>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"

namespace shipgate::traffic {

struct ResolvedAddress {
  sockaddr_storage address{};
  socklen_t length = 0;
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // An error says why ("cannot resolve api.internal:80: Name or service not known").
  virtual Result<ResolvedAddress> resolve(const config::HostPort& address) const = 0;
};

// getaddrinfo. Lives for the whole process.
const Resolver& systemResolver();

}  // namespace shipgate::traffic
