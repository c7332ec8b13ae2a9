// runtime_supervisor_host: runs a ProcessSupervisor in its own process, for the test that kills
// the supervisor's owner with SIGKILL and expects the replicas to die with it (PR_SET_PDEATHSIG).
//   runtime_supervisor_host LOG_DIR REPLICA_BINARY FIRST_PORT LAST_PORT REPLICAS
// Prints "replica pid P port Q" per replica, then "ready", then waits to be killed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "shipgate/runtime/process_supervisor.h"

int main(int argc, char** argv) {
  using namespace shipgate::runtime;
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s LOG_DIR REPLICA FIRST_PORT LAST_PORT REPLICAS\n", argv[0]);
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  SupervisorOptions options;
  options.log_dir = argv[1];
  ProcessSupervisor supervisor(options);
  ProcessSpec spec;
  spec.app = "host";
  spec.slot = "blue";
  spec.version = "v1";
  spec.runtime.argv = {argv[2], "--port", "{port}"};
  spec.runtime.ports = {std::atoi(argv[3]), std::atoi(argv[4])};
  spec.runtime.replicas = std::atoi(argv[5]);
  auto started = supervisor.start(spec);
  if (!started.isOk()) {
    std::printf("start failed: %s\n", started.status().message().c_str());
    return 1;
  }
  for (const auto& r : started->replicas) std::printf("replica pid %d port %d\n", r.pid, r.port);
  std::printf("ready\n");
  while (true) ::pause();
}
