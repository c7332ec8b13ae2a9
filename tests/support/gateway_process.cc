#include "support/gateway_process.h"

#include <stdlib.h>
#include <unistd.h>

#include <thread>

#include "support/net.h"

namespace testsupport {

GatewayProcess::GatewayProcess() : GatewayProcess(Options{}) {}

GatewayProcess::GatewayProcess(Options options) : options_(std::move(options)) {
  binary_ = options_.binary;
  if (binary_.empty()) {
    const char* env = ::getenv("SHIPGATE_BINARY");
    binary_ = (env != nullptr && *env != '\0') ? env : buildDir() + "/shipgate";
  }
}

GatewayProcess::~GatewayProcess() { stop(); }

::testing::AssertionResult GatewayProcess::start(const std::string& yaml,
                                                 const std::vector<uint16_t>& ports) {
  if (process_) return ::testing::AssertionFailure() << "GatewayProcess::start called twice";
  if (!dir_.ok()) return ::testing::AssertionFailure() << "GatewayProcess: " << dir_.error();
  if (::access(binary_.c_str(), X_OK) != 0) {
    return ::testing::AssertionFailure()
           << "GatewayProcess: " << binary_ << " does not exist or is not executable; build "
           << "the `shipgate` target first";
  }
  if (dir_.writeFile("shipgate.yaml", yaml).empty()) {
    return ::testing::AssertionFailure() << "GatewayProcess: cannot write " << configPath();
  }
  ProcessOptions opts;
  opts.argv = {binary_, "serve", "--config", configPath()};
  opts.argv.insert(opts.argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  opts.env = options_.env;
  opts.cwd = dir_.path();
  opts.stdout_path = dir_.file("stdout.log");
  opts.stderr_path = dir_.file("stderr.log");
  process_ = std::make_unique<Process>(opts);
  auto started = process_->start();
  if (!started) return started;

  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  for (uint16_t port : ports) {
    while (!portAccepts(port)) {
      if (!process_->isRunning()) {
        return ::testing::AssertionFailure()
               << "GatewayProcess: shipgate exited before port " << port
               << " accepted connections: " << process_->describe() << "\n--- config ---\n"
               << yaml;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return ::testing::AssertionFailure()
               << "GatewayProcess: port " << port << " not accepting after "
               << options_.start_timeout.count() << " ms: " << process_->describe();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult GatewayProcess::reload(const std::string& yaml) {
  if (!running()) return ::testing::AssertionFailure() << "GatewayProcess: not running";
  if (dir_.writeFile("shipgate.yaml", yaml).empty()) {
    return ::testing::AssertionFailure() << "GatewayProcess: cannot write " << configPath();
  }
  ::kill(process_->pid(), SIGHUP);
  return ::testing::AssertionSuccess();
}

std::optional<int> GatewayProcess::stop(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  return process_->stop(SIGTERM, timeout);
}

std::string GatewayProcess::logs() const {
  return process_ ? process_->stdoutText() + process_->stderrText() : "";
}

bool GatewayProcess::waitForLog(const std::string& needle, std::chrono::milliseconds timeout) {
  return process_ && process_->waitForOutput(needle, timeout);
}

}  // namespace testsupport
