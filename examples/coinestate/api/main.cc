// coinestate-api: the example API service. Flags:
//   --listen HOST:PORT (port 0 picks a free port)  --version v1  --region us-east-1
//   --error-rate 0.0  --latency-ms 0  --seed N
// Prints "coinestate-api listening on HOST:PORT" once bound. SIGTERM or SIGINT stops it cleanly
// (exit status 0).
#include <httplib.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "api_service.h"

int main(int argc, char** argv) {
  CLI::App app{"coinestate example API"};
  std::string listen = "127.0.0.1:9101";
  coinestate::ApiOptions options;
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 = any free port)");
  app.add_option("--version", options.version, "version reported in X-App-Version");
  app.add_option("--region", options.region, "region reported in X-App-Region");
  app.add_option("--error-rate", options.knobs.error_rate, "share of /api/ requests failing 500")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--latency-ms", options.knobs.latency_ms, "delay added to /api/ responses")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", options.seed, "seed for error injection (0 = random)");
  CLI11_PARSE(app, argc, argv);

  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    fprintf(stderr, "coinestate-api: --listen wants HOST:PORT, got '%s'\n", listen.c_str());
    return 2;
  }
  std::string host = listen.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    fprintf(stderr, "coinestate-api: bad port in '%s'\n", listen.c_str());
    return 2;
  }

  // Block the stop signals in every thread; a dedicated thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  httplib::Server server;
  // Without TCP_NODELAY a keep-alive client waits for the peer's delayed ACK (~40 ms) on every
  // response after the first: the API would cap a load test at ~25 requests/s per connection.
  server.set_tcp_nodelay(true);
  coinestate::ApiService service(options);
  service.install(server);

  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    fprintf(stderr, "coinestate-api: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  printf("coinestate-api listening on %s:%d (version %s, region %s)\n", host.c_str(), bound,
         options.version.c_str(), options.region.c_str());
  fflush(stdout);

  std::atomic<bool> signalled{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    signalled = true;
    server.stop();
  });
  bool ok = server.listen_after_bind();
  if (!signalled) {
    // The loop ended on its own: wake the waiter (the signal is blocked, so only it sees this).
    pthread_kill(waiter.native_handle(), SIGTERM);
  }
  waiter.join();
  printf("coinestate-api stopped\n");
  return ok || signalled ? 0 : 1;
}
