#include "support/hardhat_node.h"

#include <unistd.h>

#include <thread>

#include "support/net.h"
#include "support/paths.h"
#include "support/raw_http_client.h"

namespace testsupport {

namespace {

nlohmann::json rpcError(const std::string& message) {
  return {{"error", {{"code", -32000}, {"message", message}}}};
}

}  // namespace

HardhatNode::~HardhatNode() { stop(); }

bool HardhatNode::running() { return process_ && process_->isRunning(); }

::testing::AssertionResult HardhatNode::start() {
  if (process_) return ::testing::AssertionFailure() << "HardhatNode::start called twice";
  std::string js_dir = options_.js_dir.empty() ? sourceDir() + "/tests/js" : options_.js_dir;
  if (::access((js_dir + "/node_modules/hardhat/package.json").c_str(), R_OK) != 0) {
    return ::testing::AssertionFailure()
           << "HardhatNode: hardhat is not installed in " << js_dir
           << "/node_modules; run scripts/install-deps.sh test (npm ci in tests/js)";
  }
  port_ = options_.port != 0 ? options_.port : freePort();
  if (port_ == 0) return ::testing::AssertionFailure() << "HardhatNode: no free port";

  ProcessOptions opts;
  opts.argv = {"npx", "--no-install", "hardhat", "node", "--port", std::to_string(port_),
               "--hostname", "127.0.0.1"};
  opts.cwd = js_dir;
  opts.env = {{"HARDHAT_DISABLE_TELEMETRY_PROMPT", "true"},
              {"DO_NOT_TRACK", "1"},
              {"NO_COLOR", "1"},
              {"npm_config_update_notifier", "false"},
              {"npm_config_offline", "true"}};
  opts.new_process_group = true;
  process_ = std::make_unique<Process>(opts);
  auto started = process_->start();
  if (!started) return started;

  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  std::string last_error;
  while (true) {
    if (!process_->isRunning()) {
      return ::testing::AssertionFailure()
             << "HardhatNode: hardhat exited during startup: " << process_->describe();
    }
    if (portAccepts(port_)) {
      auto block = blockNumber();
      if (block) return ::testing::AssertionSuccess();
      last_error = rpc("eth_blockNumber").dump();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string text = process_->describe();
      stop();
      return ::testing::AssertionFailure()
             << "HardhatNode: eth_blockNumber did not answer on 127.0.0.1:" << port_ << " within "
             << options_.start_timeout.count() << " ms (last: " << last_error << "): " << text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void HardhatNode::stop() {
  if (!process_) return;
  // SIGTERM to the whole group (npx and node), then SIGKILL to the group.
  process_->stop(SIGTERM, std::chrono::milliseconds(3000));
}

nlohmann::json HardhatNode::rpc(const std::string& method, const std::string& params_json) {
  nlohmann::json params;
  try {
    params = nlohmann::json::parse(params_json);
  } catch (const nlohmann::json::exception& e) {
    return rpcError(std::string("bad params JSON: ") + e.what());
  }
  nlohmann::json request = {
      {"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}};
  HttpResponse resp = httpRequest(port_, "POST", "/", {{"Content-Type", "application/json"}},
                                  request.dump(), std::chrono::milliseconds(30000));
  if (!resp.ok()) return rpcError("transport: " + resp.error);
  if (resp.status != 200) {
    return rpcError("HTTP " + std::to_string(resp.status) + ": " + resp.body);
  }
  try {
    return nlohmann::json::parse(resp.body);
  } catch (const nlohmann::json::exception& e) {
    return rpcError(std::string("bad response JSON: ") + e.what());
  }
}

std::optional<uint64_t> HardhatNode::blockNumber() {
  nlohmann::json r = rpc("eth_blockNumber");
  if (!r.contains("result") || !r["result"].is_string()) return std::nullopt;
  try {
    return std::stoull(r["result"].get<std::string>(), nullptr, 16);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

::testing::AssertionResult HardhatNode::mine(uint64_t blocks) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "\"0x%llx\"", static_cast<unsigned long long>(blocks));
  nlohmann::json r = rpc("hardhat_mine", std::string("[") + hex + "]");
  if (r.contains("error")) {
    return ::testing::AssertionFailure() << "hardhat_mine failed: " << r.dump();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace testsupport
