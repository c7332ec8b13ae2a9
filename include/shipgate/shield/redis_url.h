// RedisUrl: where the shared rate-limit counters live (waf.rate_limit.store), parsed from
//   redis://[[user]:password@]host[:port][/db]     host: a name, IPv4, or [IPv6]; port 6379
//   unix:/path/to/redis.sock[?db=N]                 (also unix:///path)
// Operator input: every error is invalidArgument naming what was expected, e.g.
//   redis URL "redis://h:99999": port 99999 is out of range (1..65535)
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::shield {

struct RedisUrl {
  std::string host;       // TCP: name or address (no brackets); empty for a unix socket
  int port = 6379;        // TCP only
  std::string unix_path;  // unix socket path; empty for TCP
  std::string password;   // empty = no AUTH
  std::string user;       // AUTH user (Redis 6 ACL); empty = the default user
  int db = 0;             // SELECT db, 0..15 by default configuration (we allow 0..1023)
  bool isUnix() const { return !unix_path.empty(); }
  // host:port or unix:path, without the password (for logs).
  std::string display() const;
};

Result<RedisUrl> parseRedisUrl(std::string_view text);

}  // namespace shipgate::shield
