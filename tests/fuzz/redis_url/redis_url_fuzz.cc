// Fuzzes shield::parseRedisUrl (waf.rate_limit.store) with the whole input as the URL.
// Invariants: an accepted URL has a port in 1..65535 and a db in 0..1023, is either TCP (a host)
// or a unix socket (an absolute path), and its display() form parses back to the same endpoint.
// A refusal has a bounded message of printable ASCII that never contains the password.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/shield/redis_url.h"

namespace {

using shipgate::shield::parseRedisUrl;
using shipgate::shield::RedisUrl;

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  fprintf(stderr, "redis_url_fuzz invariant violated: %s\ninput: %.*s\n", what,
          static_cast<int>(input.size()), input.data());
  abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto r = parseRedisUrl(input);
  if (!r.isOk()) {
    const std::string& m = r.status().message();
    check(!m.empty(), "a refusal has a message", input);
    check(m.size() < 1200, "a refusal's message is bounded", input);
    for (char c : m) check(c >= 0x20 && c < 0x7f, "a refusal's message is printable ASCII", input);
    return 0;
  }
  const RedisUrl& u = *r;
  check(u.port >= 1 && u.port <= 65535, "port in range", input);
  check(u.db >= 0 && u.db <= 1023, "db in range", input);
  check(u.isUnix() != !u.host.empty(), "either a host or a socket path", input);
  if (u.isUnix()) {
    check(u.unix_path[0] == '/', "an absolute socket path", input);
    auto again = parseRedisUrl("unix:" + u.display().substr(5));
    check(again.isOk() && again->unix_path == u.unix_path && again->db == u.db,
          "display() parses back", input);
  } else {
    auto again = parseRedisUrl("redis://" + u.display());
    check(again.isOk() && again->host == u.host && again->port == u.port && again->db == u.db,
          "display() parses back", input);
    if (!u.password.empty()) {
      check(u.display().find(u.password) == std::string::npos ||
                u.host.find(u.password) != std::string::npos ||
                std::to_string(u.port).find(u.password) != std::string::npos ||
                std::to_string(u.db).find(u.password) != std::string::npos,
            "display() hides the password", input);
    }
  }
  return 0;
}
