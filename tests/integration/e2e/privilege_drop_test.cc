// Started as root, shipgate refuses to serve without `user:` (or allow_root), and with
// `user: nobody` binds, drops to nobody and keeps working as nobody: static files, HTTPS, and
// reloads (SIGHUP and the admin API) that re-read the config, change the active slot and the
// certificate. Needs root: run as another user the test is reported as skipped (ctest's
// SKIP_REGULAR_EXPRESSION), never as passed; it has its own binary so that a skip cannot hide
// another test's result.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_util.h"
#include "support/gateway_process.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;

struct Ports {
  uint16_t http = testsupport::freePort();
  uint16_t https = testsupport::freePort();
  uint16_t admin = testsupport::freePort();
};

std::string configYaml(const Ports& p, const std::string& token, const testsupport::TempDir& dir,
                       const std::string& server, const std::string& cert,
                       const std::string& active_slot, const ApiServer& blue,
                       const ApiServer& green) {
  return "server:\n  workers: 2\n" + server +
         "listeners:\n"
         "  - {name: http, address: \"127.0.0.1:" + std::to_string(p.http) + "\"}\n"
         "  - name: https\n"
         "    address: \"127.0.0.1:" + std::to_string(p.https) + "\"\n"
         "    tls: [{cert: \"" + dir.file(cert + ".crt") + "\", key: \"" +
         dir.file(cert + ".key") + "\"}]\n"
         "admin: {address: \"127.0.0.1:" + std::to_string(p.admin) + "\", token_file: \"" + token +
         "\"}\n"
         "sites:\n"
         "  - {name: api, path_prefix: /api/, app: api}\n"
         "  - {name: frontend, static: {root: \"" + testsupport::buildDir() +
         "/coinestate/frontend\", spa_fallback: true}}\n"
         "apps:\n  api:\n    active_slot: " + active_slot +
         "\n    slots: {blue: [{address: \"" + blue.address() + "\"}], green: [{address: \"" +
         green.address() + "\"}]}\n";
}

// The subject of the certificate a new HTTPS connection sees, and the answer to GET path on it.
std::pair<std::string, testsupport::HttpResponse> httpsGet(uint16_t port, const std::string& path) {
  testsupport::RawHttpClient c;
  if (!c.connect(port) || !c.startTls("app.test")) return {"", {}};
  auto r = c.roundTrip("GET " + path + " HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n");
  return {c.peerCertificateSubject(), r};
}

template <typename Check>
bool eventually(Check check) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(PrivilegeDrop, AsRootItRefusesOrDropsToTheUserAndKeepsServingReloadingAndTls) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CI runs as root)";
  // Everything the gateway reads after the drop must be readable by nobody, as in a real
  // deployment (/etc/shipgate): the directory, the config, the certificates.
  testsupport::TempDir dir("sg-drop");
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  Ports ports;
  std::string token = writeToken(dir);
  ASSERT_TRUE(makeCert(dir, "first"));
  ASSERT_TRUE(makeCert(dir, "second"));
  for (const char* f : {"first.key", "second.key"}) {
    ASSERT_EQ(::chmod(dir.file(f).c_str(), 0644), 0);
  }
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  ASSERT_TRUE(blue.start());
  ASSERT_TRUE(green.start());
  {
    std::string path = dir.writeFile(
        "root.yaml", configYaml(ports, token, dir, "", "first", "blue", blue, green));
    auto r = runCli({"serve", "--config", path});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("refusing to serve as root"), std::string::npos) << r.err;
  }

  auto config = [&](const std::string& cert, const std::string& slot) {
    return configYaml(ports, token, dir, "  user: nobody\n", cert, slot, blue, green);
  };
  GatewayProcess gw;
  ASSERT_TRUE(gw.start(config("first", "blue"), {ports.http, ports.https, ports.admin}));
  ASSERT_EQ(::chmod(gw.dir().path().c_str(), 0755), 0);  // the config file, for reloads
  // The drop follows the bind: wait for it, then no id (real, effective, saved, fs) is root's.
  auto ids = [&](const char* which) {
    std::string status = testsupport::readFile("/proc/" + std::to_string(gw.pid()) + "/status");
    size_t at = status.find(which);
    return at == std::string::npos ? std::string() : status.substr(at, status.find('\n', at) - at);
  };
  EXPECT_TRUE(eventually([&] {
    return ids("Uid:").find("\t0") == std::string::npos && ids("Gid:").find("\t0") == std::string::npos;
  })) << ids("Uid:") << " " << ids("Gid:");
  // Proxy, static files and TLS as nobody.
  auto api = get(ports.http, "/api/health", "app.test");
  EXPECT_EQ(api.status, 200) << api.raw << gw.logs();
  EXPECT_EQ(api.header("X-App-Version"), "v1");
  auto page = get(ports.http, "/", "app.test");
  EXPECT_EQ(page.status, 200) << page.raw << gw.logs();
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  std::smatch asset;  // a hashed asset the page links, e.g. /app.ce22b9ecbb.js
  ASSERT_TRUE(std::regex_search(page.body, asset, std::regex(R"(/app\.[0-9a-f]+\.js)"))) << page.body;
  auto js = get(ports.http, asset.str(), "app.test");
  EXPECT_EQ(js.status, 200) << js.raw;
  EXPECT_NE(js.header("Cache-Control").find("immutable"), std::string::npos) << js.raw;
  auto [subject, tls] = httpsGet(ports.https, "/api/health");
  EXPECT_NE(subject.find("O=first"), std::string::npos) << subject;
  EXPECT_EQ(tls.status, 200) << tls.raw << tls.error << gw.logs();

  // SIGHUP: green and the second certificate.
  ASSERT_TRUE(gw.reload(config("second", "green")));
  EXPECT_TRUE(eventually([&] {
    return get(ports.http, "/api/health", "app.test").header("X-App-Version") == "v2";
  })) << gw.logs();
  EXPECT_TRUE(eventually([&] {
    return httpsGet(ports.https, "/").first.find("O=second") != std::string::npos;
  })) << gw.logs();

  // The admin API's reload: back to blue and the first certificate.
  std::ofstream(gw.configPath(), std::ios::trunc) << config("first", "blue");
  auto r = runCli({"reload", "--admin", "http://127.0.0.1:" + std::to_string(ports.admin),
                   "--token-file", token});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << gw.logs();
  EXPECT_EQ(get(ports.http, "/api/health", "app.test").header("X-App-Version"), "v1");
  auto [subject2, tls2] = httpsGet(ports.https, "/");
  EXPECT_NE(subject2.find("O=first"), std::string::npos) << subject2;
  EXPECT_EQ(tls2.status, 200) << tls2.raw << tls2.error;
  EXPECT_NE(tls2.body.find("<html"), std::string::npos) << "static files over TLS after reloads";
  EXPECT_EQ(get(ports.http, "/", "app.test").status, 200);
  EXPECT_TRUE(gw.running());
}

// The ready file goes where root put it (a directory only root may write, as /run/shipgate), so
// it is written before the drop: it names the bound ports and the pid of a gateway that then
// serves as nobody.
TEST(PrivilegeDrop, TheReadyFileIsWrittenBeforeTheDropIntoADirectoryOnlyRootMayWrite) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CI runs as root)";
  testsupport::TempDir dir("sg-drop-ready");
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  Ports ports;
  std::string token = writeToken(dir);
  ASSERT_TRUE(makeCert(dir, "first"));
  ASSERT_EQ(::chmod(dir.file("first.key").c_str(), 0644), 0);
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  ASSERT_TRUE(blue.start());
  ASSERT_TRUE(green.start());
  std::string ready = dir.file("ready.json");
  GatewayProcess::Options options;
  options.extra_args = {"--ready-file", ready};
  GatewayProcess gw(options);
  ASSERT_TRUE(gw.start(configYaml(ports, token, dir, "  user: nobody\n", "first", "blue", blue,
                                  green),
                       {ports.http, ports.https, ports.admin}));
  ASSERT_TRUE(eventually([&] { return !testsupport::readFile(ready).empty(); })) << gw.logs();
  std::string json = testsupport::readFile(ready);
  EXPECT_NE(json.find("\"pid\":" + std::to_string(gw.pid())), std::string::npos) << json;
  EXPECT_NE(json.find("\"http\":" + std::to_string(ports.http)), std::string::npos) << json;
  EXPECT_NE(json.find("\"https\":" + std::to_string(ports.https)), std::string::npos) << json;
  EXPECT_NE(json.find("\"admin_port\":" + std::to_string(ports.admin)), std::string::npos) << json;
  struct stat st {};
  ASSERT_EQ(::stat(ready.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "written by root, before the drop";
  EXPECT_EQ(get(ports.http, "/api/health", "app.test").status, 200) << gw.logs();
  std::string status = testsupport::readFile("/proc/" + std::to_string(gw.pid()) + "/status");
  EXPECT_EQ(status.find("\nUid:\t0"), std::string::npos) << status;
  EXPECT_EQ(gw.logs().find("ready"), std::string::npos) << "no complaint: " << gw.logs();
  EXPECT_TRUE(gw.running());
}

}  // namespace
}  // namespace e2e
