// Integration test for coinestate-api: starts the real binary on a free loopback port and talks
// HTTP to it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

std::string apiBinary() {
  const char* dir = std::getenv("SHIPGATE_BUILD_DIR");
  if (dir == nullptr) {
    ADD_FAILURE() << "SHIPGATE_BUILD_DIR is not set (run through ctest)";
    return "coinestate-api";
  }
  return std::string(dir) + "/coinestate-api";
}

// A running coinestate-api process; killed (SIGKILL) on destruction unless already stopped.
class ApiProcess {
 public:
  explicit ApiProcess(std::vector<std::string> extra_args) {
    int out[2];
    if (::pipe(out) != 0) return;
    std::vector<std::string> args{apiBinary(), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(out[1]);
    stdout_fd_ = out[0];
    std::string line = readLine(std::chrono::seconds(10));
    size_t colon = line.rfind(':', line.find(" (version"));
    if (line.rfind("coinestate-api listening on ", 0) == 0 && colon != std::string::npos) {
      port_ = std::atoi(line.c_str() + colon + 1);
    }
  }
  ~ApiProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
  }

  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }

  // Sends sig and waits for the exit status (-1 when it did not exit normally in time).
  int stop(int sig) {
    ::kill(pid_, sig);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::usleep(10'000);
    }
    return -1;
  }

 private:
  std::string readLine(std::chrono::milliseconds timeout) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c;
      if (::read(stdout_fd_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
};

json body(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

TEST(CoinestateApiTest, HealthReportsVersionAndRegion) {
  ApiProcess api({"--version", "v7", "--region", "eu-west-1"});
  ASSERT_GT(api.port(), 0) << "the API did not start";
  auto res = api.client().Get("/api/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-App-Version"), "v7");
  EXPECT_EQ(res->get_header_value("X-App-Region"), "eu-west-1");
  json j = body(res);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["version"], "v7");
  EXPECT_EQ(j["region"], "eu-west-1");
}

TEST(CoinestateApiTest, PropertiesList) {
  ApiProcess api({});
  ASSERT_GT(api.port(), 0);
  auto res = api.client().Get("/api/properties");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->get_header_value("X-App-Version"), "v1");
  json j = body(res);
  ASSERT_TRUE(j["properties"].is_array());
  ASSERT_GE(j["properties"].size(), 3u);
  for (const auto& p : j["properties"]) {
    EXPECT_TRUE(p["id"].is_string());
    EXPECT_TRUE(p["name"].is_string());
    EXPECT_TRUE(p["city"].is_string());
    EXPECT_TRUE(p["price_eth"].is_number());
    EXPECT_GT(p["tokens"].get<int>(), 0);
  }
  std::string first_id = j["properties"][0]["id"];
  auto one = api.client().Get(("/api/properties/" + first_id).c_str());
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(body(one)["id"], first_id);
  auto missing = api.client().Get("/api/properties/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto unknown = api.client().Get("/no/such/route");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->get_header_value("X-App-Version"), "v1");
}

TEST(CoinestateApiTest, EchoReturnsRequestHeaders) {
  ApiProcess api({});
  ASSERT_GT(api.port(), 0);
  auto res = api.client().Get("/api/echo?a=1",
                              {{"X-Forwarded-For", "203.0.113.9"}, {"X-Request-Id", "req-42"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  json j = body(res);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/api/echo");
  EXPECT_EQ(j["query"]["a"], "1");
  EXPECT_EQ(j["headers"]["X-Forwarded-For"], "203.0.113.9");
  EXPECT_EQ(j["headers_lower"]["x-request-id"], "req-42");
  EXPECT_FALSE(j["headers"].contains("REMOTE_ADDR"));

  auto post = api.client().Post("/api/echo", "hello body", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(body(post)["body"], "hello body");
}

TEST(CoinestateApiTest, KnobsRoundTripAndHealth) {
  ApiProcess api({});
  ASSERT_GT(api.port(), 0);
  auto knobs = api.client().Get("/_knobs");
  ASSERT_TRUE(knobs);
  EXPECT_EQ(body(knobs), json::parse(R"({"error_rate":0.0,"latency_ms":0,"healthy":true})"));

  auto set = api.client().Post("/_knobs", R"({"healthy":false})", "application/json");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->status, 200);
  EXPECT_EQ(body(set)["healthy"], false);
  auto health = api.client().Get("/api/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(body(health)["status"], "unhealthy");

  ASSERT_TRUE(api.client().Post("/_knobs", R"({"healthy":true})", "application/json"));
  EXPECT_EQ(api.client().Get("/api/health")->status, 200);

  for (const char* bad :
       {"not json", "[]", R"({"error_rate":2})", R"({"error_rate":"x"})", R"({"latency_ms":-1})",
        R"({"latency_ms":1.5})", R"({"healthy":"yes"})"}) {
    auto r = api.client().Post("/_knobs", bad, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
  }
  EXPECT_EQ(body(api.client().Get("/_knobs"))["error_rate"],
            0.0);  // rejected updates change nothing
}

TEST(CoinestateApiTest, ErrorRateInjectsFailures) {
  ApiProcess api({"--seed", "7"});
  ASSERT_GT(api.port(), 0);
  auto client = api.client();
  ASSERT_TRUE(client.Post("/_knobs", R"({"error_rate":1.0})", "application/json"));
  for (int i = 0; i < 10; ++i) {
    auto r = client.Get("/api/properties");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->get_header_value("X-App-Version"), "v1");
  }
  EXPECT_EQ(client.Get("/api/health")->status, 200);  // health follows the healthy knob only

  ASSERT_TRUE(client.Post("/_knobs", R"({"error_rate":0.5})", "application/json"));
  int failures = 0;
  for (int i = 0; i < 200; ++i) failures += client.Get("/api/properties")->status == 500;
  EXPECT_GT(failures, 40);
  EXPECT_LT(failures, 160);

  ASSERT_TRUE(client.Post("/_knobs", R"({"error_rate":0})", "application/json"));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(client.Get("/api/properties")->status, 200);
}

TEST(CoinestateApiTest, ErrorRateFlagSetsTheInitialKnob) {
  ApiProcess api({"--error-rate", "1", "--latency-ms", "5"});
  ASSERT_GT(api.port(), 0);
  json k = body(api.client().Get("/_knobs"));
  EXPECT_EQ(k["error_rate"], 1.0);
  EXPECT_EQ(k["latency_ms"], 5);
  EXPECT_EQ(api.client().Get("/api/properties")->status, 500);
}

TEST(CoinestateApiTest, LatencyKnobDelaysResponses) {
  ApiProcess api({});
  ASSERT_GT(api.port(), 0);
  auto client = api.client();
  ASSERT_TRUE(client.Post("/_knobs", R"({"latency_ms":300})", "application/json"));
  auto start = std::chrono::steady_clock::now();
  auto r = client.Get("/api/health");
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_GE(waited, std::chrono::milliseconds(300));  // the injected delay is a floor
}

TEST(CoinestateApiTest, SigtermExitsCleanly) {
  ApiProcess api({});
  ASSERT_GT(api.port(), 0);
  ASSERT_TRUE(api.client().Get("/api/health"));
  EXPECT_EQ(api.stop(SIGTERM), 0);
  httplib::Client c("127.0.0.1", api.port());
  c.set_connection_timeout(1, 0);
  EXPECT_FALSE(c.Get("/api/health"));  // nothing listens any more
}

TEST(CoinestateApiTest, BadFlagsAreRefused) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--listen", "nonsense"},
                                        {"--error-rate", "3"},
                                        {"--listen", "127.0.0.1:99999"}}) {
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string bin = apiBinary();
      std::vector<char*> argv{bin.data()};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_NE(WEXITSTATUS(status), 0) << args[0] << " " << args[1];
    EXPECT_NE(WEXITSTATUS(status), 127) << "binary missing";
  }
}

}  // namespace
