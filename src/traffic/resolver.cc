#include "shipgate/traffic/resolver.h"

#include <netdb.h>

#include <cstring>
#include <string>

namespace shipgate::traffic {
namespace {

class SystemResolver final : public Resolver {
 public:
  Result<ResolvedAddress> resolve(const config::HostPort& address) const override {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(address.port);
    std::string host = address.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) {
      // AI_ADDRCONFIG hides loopback-only families on hosts without other interfaces; retry.
      hints.ai_flags = AI_NUMERICSERV;
      rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    }
    if (rc != 0 || res == nullptr) {
      return Status::invalidArgument("cannot resolve " + address.toString() + ": " +
                                     gai_strerror(rc));
    }
    // Prefer IPv4 when both families resolve ("localhost"): upstreams commonly bind 127.0.0.1.
    const addrinfo* chosen = res;
    for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family == AF_INET) {
        chosen = ai;
        break;
      }
    }
    ResolvedAddress out;
    std::memcpy(&out.address, chosen->ai_addr, chosen->ai_addrlen);
    out.length = chosen->ai_addrlen;
    freeaddrinfo(res);
    return out;
  }
};

}  // namespace

const Resolver& systemResolver() {
  static const SystemResolver* const resolver = new SystemResolver();  // never destroyed
  return *resolver;
}

}  // namespace shipgate::traffic
