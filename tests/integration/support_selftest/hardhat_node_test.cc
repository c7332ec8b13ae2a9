// Self-test of HardhatNode: a real hardhat node answers eth_blockNumber, mining advances it, and
// the node's whole process group is gone after the fixture is destroyed.
#include "support/hardhat_node.h"

#include <signal.h>

#include <gtest/gtest.h>

#include "support/net.h"

namespace testsupport {
namespace {

TEST(HardhatNodeTest, AnswersBlockNumberAndMiningAdvancesIt) {
  pid_t pid = -1;
  uint16_t port = 0;
  {
    HardhatNode node;
    ASSERT_TRUE(node.start());
    pid = node.pid();
    port = node.port();

    std::optional<uint64_t> before = node.blockNumber();
    ASSERT_TRUE(before.has_value()) << node.rpc("eth_blockNumber").dump();
    ASSERT_TRUE(node.mine(5));
    std::optional<uint64_t> after = node.blockNumber();
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(*after, *before + 5);

    nlohmann::json chain = node.rpc("eth_chainId");
    ASSERT_TRUE(chain.contains("result")) << chain.dump();
    EXPECT_EQ(chain["result"], "0x7a69");  // 31337, hardhat's default chain id.

    nlohmann::json bad = node.rpc("no_such_method");
    EXPECT_TRUE(bad.contains("error")) << bad.dump();
    nlohmann::json bad_params = node.rpc("eth_blockNumber", "[not json");
    EXPECT_TRUE(bad_params.contains("error"));
  }
  // The process group (npx and the node it spawned) is gone.
  EXPECT_NE(::kill(-pid, 0), 0) << "hardhat process group still alive";
  EXPECT_FALSE(portAccepts(port));
}

TEST(HardhatNodeTest, MissingInstallFailsStart) {
  HardhatNode::Options options;
  options.js_dir = "/nonexistent/js";
  HardhatNode node(options);
  auto r = node.start();
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("install-deps"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace testsupport
