// Helpers for the connection-cap tests: a small HTTP/1.1 upstream whose answers the test holds
// back, a client that holds many silent connections and reopens whichever the server closes, a
// connection from a chosen loopback source address, and /metrics readers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/common/mutex.h"
#include "support/raw_http_client.h"

namespace conncap {

// Answers every request on 127.0.0.1:port() with 200 "ok" (keep-alive), adding `Server: <server>`
// when `server` is not empty. A request for /hold is answered only after release(). Its threads
// stop in the destructor.
class Upstream {
 public:
  explicit Upstream(std::string server = "");
  ~Upstream();
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  uint16_t port() const { return port_; }
  // Requests for /hold received and not answered yet.
  int held() const { return held_.load(); }
  // Waits (up to `timeout`) until held() == n.
  bool waitHeld(int n, std::chrono::milliseconds timeout) const;
  void release() { released_ = true; }

 private:
  void acceptLoop();
  void serve(int fd);

  std::string server_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> released_{false};
  std::atomic<int> held_{0};
  std::thread acceptor_;
  shipgate::Mutex mu_;
  std::vector<std::thread> workers_ GUARDED_BY(mu_);
};

// Holds `count` connections to 127.0.0.1:port that never send a byte, and reopens each one the
// server closes (at most `reopen_per_second` a second), until stop() (or the destructor), as one
// client holding sockets open would.
class SilentFlood {
 public:
  SilentFlood(uint16_t port, int count, int reopen_per_second);
  ~SilentFlood();
  SilentFlood(const SilentFlood&) = delete;
  SilentFlood& operator=(const SilentFlood&) = delete;

  // Waits (up to `timeout`) until every connection has been opened once.
  bool waitOpen(std::chrono::milliseconds timeout) const;
  void stop();
  // Connections the server closed (each was reopened).
  long closedByServer() const { return closed_.load(); }

 private:
  void run();

  uint16_t port_;
  int count_;
  int reopen_per_second_;
  std::atomic<bool> stop_{false};
  std::atomic<int> opened_{0};
  std::atomic<long> closed_{0};
  std::thread thread_;
};

// A TCP connection to 127.0.0.1:port from source address `source` (e.g. "127.0.0.2"); -1 on
// failure. The caller closes it.
int connectFrom(const std::string& source, uint16_t port);
// True when the peer closed `fd` (EOF or reset) within `timeout` without sending a byte.
bool closedSilently(int fd, std::chrono::milliseconds timeout);

// GET /metrics from the admin API with the token in `token_file`.
std::string scrape(uint16_t admin_port, const std::string& token_file);
// The value of the sample `series` (exact text before the value, e.g.
// `shipgate_connections_reclaimed_total{reason="idle"}`); -1 when absent.
double sample(const std::string& metrics_text, const std::string& series);
// Waits (up to `timeout`) until shipgate_active_connections == n; the last value seen.
double waitActive(uint16_t admin_port, const std::string& token_file, double n,
                  std::chrono::milliseconds timeout);

// Raises this process's soft open-file limit to the hard one; false when the hard one is below
// `need`.
bool ensureFiles(long need);

}  // namespace conncap
