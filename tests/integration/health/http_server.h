// An in-process httplib::Server on 127.0.0.1:<port 0> running on its own thread, for the health
// integration tests. The destructor stops and joins it.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

namespace shipgate::health::testing {

class HttpServer {
 public:
  httplib::Server& server() { return server_; }
  // Binds, starts the thread and waits until the server accepts.
  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Connections queue on the bound socket already; wait for the loop so stop() cannot race it.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~HttpServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return static_cast<uint16_t>(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace shipgate::health::testing
