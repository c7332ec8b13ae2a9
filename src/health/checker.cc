// runCheck() dispatch, and the tcp and postgres probes.
#include "shipgate/health/checker.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "checker_impl.h"

namespace shipgate::health {
namespace internal {
namespace {

int remainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// One non-blocking connect with a deadline; "" on success, else why not.
std::string connectOnce(const addrinfo* ai, std::chrono::steady_clock::time_point deadline) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  std::string error;
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      error = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      int rc = ::poll(&p, 1, remainingMs(deadline));
      if (rc == 0) {
        error = "connect timed out";
      } else if (rc < 0) {
        error = std::string("poll: ") + std::strerror(errno);
      } else {
        int so_error = 0;
        socklen_t len = sizeof(so_error);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error != 0) error = std::strerror(so_error);
      }
    }
  }
  ::close(fd);
  return error;
}

}  // namespace

CheckResult checkTcp(const HealthCheckConfig& check, const config::HostPort& target) {
  const auto deadline = std::chrono::steady_clock::now() + check.timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(target.port);
  int rc = ::getaddrinfo(target.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return fail("cannot resolve " + target.host + ": " + gai_strerror(rc));
  std::string last_error = "no address";
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    last_error = connectOnce(ai, deadline);
    if (last_error.empty()) break;
    if (remainingMs(deadline) == 0) break;
  }
  ::freeaddrinfo(res);
  if (last_error.empty()) return pass("connected");
  return fail("connect to " + target.toString() + ": " + last_error);
}

CheckResult checkPostgres(const HealthCheckConfig& check, const config::HostPort& target) {
  // libpq's connect_timeout is in whole seconds (values below 2 become 2).
  const auto secs = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(check.timeout + Millis(999)).count());
  const std::string port = std::to_string(target.port);
  const std::string timeout = std::to_string(secs);
  const std::string& database = check.pg_database.empty() ? check.pg_user : check.pg_database;
  const char* keys[] = {"host", "port", "user", "dbname", "connect_timeout", nullptr};
  const char* values[] = {target.host.c_str(), port.c_str(),    check.pg_user.c_str(),
                          database.c_str(),    timeout.c_str(), nullptr};
  switch (PQpingParams(keys, values, 0)) {
    case PQPING_OK:
      return pass("accepting connections");
    case PQPING_REJECT:
      return pass("server up, rejecting connections (starting up, shutting down or recovery)");
    case PQPING_NO_RESPONSE:
      return fail("no response from " + target.toString());
    case PQPING_NO_ATTEMPT:
      return fail("no attempt made (invalid connection parameters)");
  }
  return fail("unknown PQping result");
}

}  // namespace internal

CheckResult runCheck(const HealthCheckConfig& check, const config::HostPort& target) {
  const auto start = std::chrono::steady_clock::now();
  CheckResult result;
  switch (check.kind) {
    case HealthKind::kHttp:
      result = internal::checkHttp(check, target);
      break;
    case HealthKind::kTcp:
      result = internal::checkTcp(check, target);
      break;
    case HealthKind::kPostgres:
      result = internal::checkPostgres(check, target);
      break;
    case HealthKind::kJsonRpc:
      result = internal::checkJsonRpc(check, target);
      break;
    case HealthKind::kExec:
      result = internal::checkExec(check, target);
      break;
  }
  result.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace shipgate::health
