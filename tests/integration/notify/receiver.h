// Webhook receivers on loopback for the notify integration tests.
// Receiver: an httplib::Server on 127.0.0.1:<port 0> that records every POST (path, body, content
// type, arrival time) and answers from a script per path (status, Retry-After, body), then 202.
// HangingListener: accepts TCP connections and never reads or answers, until destroyed.
// Both stop and join their threads in the destructor.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/common/mutex.h"

namespace shipgate::notify::testing {

struct Answer {
  int status = 202;
  std::string retry_after{};  // Retry-After header value; empty: none
  std::string body = "{\"status\":\"success\"}";
};

struct Received {
  std::string path;
  std::string body;
  std::string content_type;
  int answered = 0;  // the status it was answered with
  std::chrono::steady_clock::time_point at;
};

class Receiver {
 public:
  Receiver() {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      Answer a;
      {
        MutexLock lock(mu_);
        auto& script = scripts_[req.path];
        if (!script.empty()) {
          a = script.front();
          script.pop_front();
        }
        received_.push_back({req.path, req.body, req.get_header_value("Content-Type"), a.status,
                             std::chrono::steady_clock::now()});
        changed_.notifyAll();
      }
      res.status = a.status;
      if (!a.retry_after.empty()) res.set_header("Retry-After", a.retry_after);
      res.set_content(a.body, "application/json");
    });
  }
  ~Receiver() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The answers for the next requests to `path`, in order; after them, 202.
  void script(const std::string& path, std::vector<Answer> answers) {
    MutexLock lock(mu_);
    for (auto& a : answers) scripts_[path].push_back(std::move(a));
  }
  std::vector<Received> received() const {
    MutexLock lock(mu_);
    return received_;
  }
  bool waitForCount(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(mu_);
    while (received_.size() < n) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      changed_.waitFor(lock, deadline - now);
    }
    return true;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable Mutex mu_;
  mutable CondVar changed_;
  std::map<std::string, std::deque<Answer>> scripts_ GUARDED_BY(mu_);
  std::vector<Received> received_ GUARDED_BY(mu_);
};

class HangingListener {
 public:
  HangingListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 64) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;  // shut down
        MutexLock lock(mu_);
        held_.push_back(c);
        accepted_.fetch_add(1);
      }
    });
  }
  ~HangingListener() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    MutexLock lock(mu_);
    for (int c : held_) ::close(c);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_.load(); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> accepted_{0};
  Mutex mu_;
  std::vector<int> held_ GUARDED_BY(mu_);
};

}  // namespace shipgate::notify::testing
