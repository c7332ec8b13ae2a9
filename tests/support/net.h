// Loopback port helpers for hermetic tests. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace testsupport {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
// Never the same port twice in one process. Returns 0 if no socket could be bound.
uint16_t freePort();

// Polls connect() to host:port until it succeeds or `timeout` passes. True when something accepts.
bool waitForPort(uint16_t port, std::chrono::milliseconds timeout,
                 const std::string& host = "127.0.0.1");

// One connect() attempt; true if something accepted the connection.
bool portAccepts(uint16_t port, const std::string& host = "127.0.0.1");

}  // namespace testsupport
