// switch_latency: the time from a slot switch call to the first request served by the new slot,
// under load, against the real binary.
//
// Starts two upstream processes (forked httplib servers answering "blue" / "green"), then
// `shipgate serve` on a generated config (plain listener and admin API on free ports, read back
// from --ready-file), drives keep-alive load from --clients threads, and switches the app between
// blue and green --switches times through the admin API (POST /api/v1/apps/api/switch). For each
// switch, latency = first response from the new slot to a request sent after the call started,
// minus the call's start. Prints one line per figure and a summary line:
//   switches=N median_ms=X p99_ms=Y max_ms=Z admin_call_median_ms=W requests=R errors=E
// Exits 1 when a figure could not be measured (a switch never took effect, the gateway did not
// start) or a request failed.
//
// With --waf-rules N the config also carries N regex WAF rules and a static site, the parts a
// switch used to rebuild.
//
// With --pg-url URL --nodes N (N >= 2), N nodes share the state store in that PostgreSQL
// database (state.url): the switch call goes to node 0's admin API and the load to the other
// nodes, so latency is the switch's propagation: from the call's start to the moment every other
// node has served the new slot (the latest of their first answers from it). Printed the same way.
//
// Usage: switch_latency --shipgate build/shipgate [--switches 200] [--clients 4] [--waf-rules 0]
//                       [--pg-url postgres://... --nodes 3]
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// A forked upstream answering every GET with its name. Returns the child's pid; port via pipe.
pid_t startUpstream(const std::string& name, uint16_t& port) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    httplib::Server server;
    server.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(name, "text/plain");
    });
    server.set_keep_alive_max_count(1000000);
    server.set_tcp_nodelay(true);
    int p = server.bind_to_any_port("127.0.0.1");
    uint16_t p16 = static_cast<uint16_t>(p);
    (void)!write(fds[1], &p16, sizeof(p16));
    close(fds[1]);
    server.listen_after_bind();
    _exit(0);
  }
  close(fds[1]);
  if (read(fds[0], &port, sizeof(port)) != sizeof(port)) port = 0;
  close(fds[0]);
  return pid;
}

// One keep-alive HTTP/1.1 connection; returns the body of a GET or "" on any error.
class Conn {
 public:
  explicit Conn(uint16_t port) : port_(port) {}
  ~Conn() { closeFd(); }
  std::string get(const std::string& host) {
    if (fd_ < 0 && !open()) return "";
    const std::string req = "GET /x HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      closeFd();
      return "";
    }
    std::string head;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return "";
    }
    head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t length = 0;
    const size_t cl = head.find("Content-Length: ");
    if (cl != std::string::npos) length = std::strtoul(head.c_str() + cl + 16, nullptr, 10);
    while (buf_.size() < length) {
      if (!fill()) return "";
    }
    std::string body = buf_.substr(0, length);
    buf_.erase(0, length);
    if (head.compare(0, 12, "HTTP/1.1 200") != 0) return "";
    if (head.find("Connection: close") != std::string::npos) closeFd();
    return body;
  }

 private:
  bool open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      closeFd();
      return false;
    }
    buf_.clear();
    return true;
  }
  bool fill() {
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      closeFd();
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  void closeFd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  uint16_t port_;
  int fd_ = -1;
  std::string buf_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::vector<pid_t> children;

void stopChildren() {
  for (pid_t pid : children) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  children.clear();
}

int fail(const std::string& why) {
  std::fprintf(stderr, "switch_latency: error: %s\n", why.c_str());
  stopChildren();
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shipgate = "build/shipgate";
  int switches = 200;
  int clients = 4;
  int waf_rules = 0;
  std::string pg_url;
  int nodes = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--shipgate")
      shipgate = argv[i + 1];
    else if (flag == "--switches")
      switches = std::atoi(argv[i + 1]);
    else if (flag == "--clients")
      clients = std::atoi(argv[i + 1]);
    else if (flag == "--waf-rules")
      waf_rules = std::atoi(argv[i + 1]);
    else if (flag == "--pg-url")
      pg_url = argv[i + 1];
    else if (flag == "--nodes")
      nodes = std::atoi(argv[i + 1]);
    else
      return fail("unknown flag " + flag);
  }
  if (nodes < 1 || nodes > 8) return fail("--nodes must be 1..8");
  if (nodes > 1 && pg_url.empty()) return fail("--nodes > 1 needs --pg-url (a shared state store)");
  signal(SIGPIPE, SIG_IGN);
  uint16_t blue_port = 0, green_port = 0;
  children.push_back(startUpstream("blue", blue_port));
  children.push_back(startUpstream("green", green_port));
  if (blue_port == 0 || green_port == 0) return fail("upstreams did not start");

  char dir_template[] = "/tmp/switch-latency.XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string token = "bench-token-0123456789abcdef";
  std::ofstream(dir + "/token") << token << "\n";
  std::ostringstream yaml;
  yaml << "server: {workers: 2, allow_root: true}\n"
       << "listeners:\n  - {name: http, address: \"127.0.0.1:0\"}\n"
       << "admin: {address: \"127.0.0.1:0\", token_file: \"" << dir << "/token\"}\n"
       << "sites:\n  - {name: api, hosts: [api.test], app: api}\n";
  if (waf_rules > 0) {
    mkdir((dir + "/www").c_str(), 0755);
    std::ofstream(dir + "/www/index.html") << "<html>bench</html>\n";
    yaml << "  - {name: www, hosts: [www.test], static: {root: \"" << dir << "/www\"}}\n";
  }
  yaml << "apps:\n  api:\n    slots:\n"
       << "      blue: [{address: \"127.0.0.1:" << blue_port << "\"}]\n"
       << "      green: [{address: \"127.0.0.1:" << green_port << "\"}]\n";
  if (waf_rules > 0) {
    yaml << "security_rules:\n";
    for (int r = 0; r < waf_rules; ++r) {
      yaml << "  - name: rule " << r << "\n    expression: 'http.request.uri.path matches \"^/r"
           << r << "/[a-z]+[0-9]*$\" or http.user_agent contains \"bot" << r << "\"'\n"
           << "    action: block\n";
    }
  }
  std::vector<uint16_t> http_ports, admin_ports;
  for (int n = 0; n < nodes; ++n) {
    const std::string node_dir = dir + "/node" + std::to_string(n);
    mkdir(node_dir.c_str(), 0755);
    std::ofstream(node_dir + "/shipgate.yaml")
        << yaml.str() << "state: {dir: \"" << node_dir << "/state\""
        << (pg_url.empty() ? std::string() : ", url: \"" + pg_url + "\"") << "}\n";
    const std::string ready = node_dir + "/ready.json";
    pid_t gw = fork();
    if (gw == 0) {
      const std::string log = node_dir + "/shipgate.log";
      FILE* f = std::fopen(log.c_str(), "w");
      if (f) {
        dup2(fileno(f), 1);
        dup2(fileno(f), 2);
      }
      const std::string config = node_dir + "/shipgate.yaml";
      const std::string node_id = "bench-node-" + std::to_string(n);
      setenv("SHIPGATE_NODE_ID", node_id.c_str(), 1);
      execl(shipgate.c_str(), shipgate.c_str(), "serve", "--config", config.c_str(),
            "--ready-file", ready.c_str(), "--log-level", "warn", static_cast<char*>(nullptr));
      _exit(127);
    }
    children.push_back(gw);
    nlohmann::json ports;
    for (int i = 0; i < 1000 && ports.is_null(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::ifstream in(ready);
      if (in) ports = nlohmann::json::parse(in, nullptr, false);
      if (ports.is_discarded()) ports = nullptr;
    }
    if (ports.is_null()) return fail("shipgate did not start (see " + node_dir + "/shipgate.log)");
    http_ports.push_back(ports["listeners"]["http"].get<uint16_t>());
    admin_ports.push_back(ports["admin_port"].get<uint16_t>());
  }
  const uint16_t admin_port = admin_ports[0];
  // The nodes the load goes to: every node but the one switched through (the only node alone).
  const int first_loaded = nodes > 1 ? 1 : 0;
  const int loaded = nodes - first_loaded;

  std::atomic<bool> stop{false};
  std::atomic<int64_t> switch_start{INT64_MAX};
  std::atomic<int> target{0};  // 0 blue, 1 green
  // Per loaded node: its first answer from the new slot to a request sent after the call.
  std::vector<std::atomic<int64_t>> first_new(static_cast<size_t>(loaded));
  for (auto& f : first_new) f.store(INT64_MAX);
  std::atomic<uint64_t> requests{0}, errors{0};
  std::vector<std::thread> load;
  for (int c = 0; c < std::max(clients, loaded); ++c) {
    const int node = c % loaded;
    load.emplace_back([&, node] {
      Conn conn(http_ports[static_cast<size_t>(first_loaded + node)]);
      std::atomic<int64_t>& mine = first_new[static_cast<size_t>(node)];
      while (!stop.load(std::memory_order_relaxed)) {
        const int64_t sent = nowNs();
        const std::string body = conn.get("api.test");
        const int64_t done = nowNs();
        requests.fetch_add(1, std::memory_order_relaxed);
        if (body.empty()) {
          errors.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        const int want = target.load(std::memory_order_acquire);
        if (sent >= switch_start.load(std::memory_order_acquire) &&
            body == (want == 0 ? "blue" : "green")) {
          int64_t cur = mine.load(std::memory_order_relaxed);
          while (done < cur && !mine.compare_exchange_weak(cur, done)) {
          }
        }
      }
    });
  }
  // The latest node's first answer from the new slot; INT64_MAX while some node has none.
  auto allFollowed = [&]() -> int64_t {
    int64_t latest = 0;
    for (auto& f : first_new) latest = std::max(latest, f.load());
    return latest;
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up

  httplib::Client admin("127.0.0.1", admin_port);
  admin.set_keep_alive(true);
  admin.set_tcp_nodelay(true);
  const httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  std::vector<double> latency_ms, call_ms;
  for (int i = 0; i < switches; ++i) {
    const int next = (i % 2 == 0) ? 1 : 0;
    for (auto& f : first_new) f.store(INT64_MAX);
    target.store(next, std::memory_order_release);
    const int64_t t0 = nowNs();
    switch_start.store(t0, std::memory_order_release);
    auto res = admin.Post("/api/v1/apps/api/switch", auth,
                          std::string("{\"slot\": \"") + (next ? "green" : "blue") + "\"}",
                          "application/json");
    const int64_t t1 = nowNs();
    if (!res || res->status != 200) {
      stop = true;
      for (auto& t : load) t.join();
      return fail("switch call failed: " +
                  (res ? std::to_string(res->status) + " " + res->body : std::string("no answer")));
    }
    call_ms.push_back(static_cast<double>(t1 - t0) / 1e6);
    for (int w = 0; w < 25000 && allFollowed() == INT64_MAX; ++w) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (allFollowed() == INT64_MAX) {
      stop = true;
      for (auto& t : load) t.join();
      return fail("switch " + std::to_string(i) + " never took effect");
    }
    latency_ms.push_back(static_cast<double>(allFollowed() - t0) / 1e6);
    if (latency_ms.back() > 100) {  // the tail, one line each: which switch, how slow, the call
      std::string per_node;
      for (size_t k = 0; k < first_new.size(); ++k) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " node %d %.3f ms", first_loaded + static_cast<int>(k),
                      static_cast<double>(first_new[k].load() - t0) / 1e6);
        per_node += buf;
      }
      std::printf("# slow switch %d: %.3f ms (admin call %.3f ms;%s)\n", i, latency_ms.back(),
                  call_ms.back(), per_node.c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let every client settle
  }
  stop = true;
  for (auto& t : load) t.join();
  stopChildren();
  std::printf("# switch latency under load: %d switches, %d keep-alive clients, %d node(s)%s, "
              "%llu requests\n",
              switches, std::max(clients, loaded), nodes,
              nodes > 1 ? " on one PostgreSQL (switched through node 0, load on the others)" : "",
              static_cast<unsigned long long>(requests.load()));
  std::printf(
      "switches=%d median_ms=%.3f p99_ms=%.3f max_ms=%.3f admin_call_median_ms=%.3f "
      "requests=%llu errors=%llu\n",
      switches, percentile(latency_ms, 0.5), percentile(latency_ms, 0.99),
      percentile(latency_ms, 1.0), percentile(call_ms, 0.5),
      static_cast<unsigned long long>(requests.load()),
      static_cast<unsigned long long>(errors.load()));
  std::string rm = "rm -rf " + dir;
  (void)!std::system(rm.c_str());
  return errors.load() == 0 ? 0 : 1;
}
