#include "e2e_util.h"

#include <random>
#include <thread>

namespace e2e {

ApiServer::ApiServer(std::string version, std::string region, std::vector<std::string> extra)
    : version_(std::move(version)), region_(std::move(region)), extra_(std::move(extra)) {}

::testing::AssertionResult ApiServer::start() {
  port_ = testsupport::freePort();
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/coinestate-api", "--listen", address(), "--version",
            version_, "--region", region_};
  o.argv.insert(o.argv.end(), extra_.begin(), extra_.end());
  process_ = std::make_unique<testsupport::Process>(o);
  auto st = process_->start();
  if (!st) return st;
  if (!testsupport::waitForPort(port_, std::chrono::seconds(10))) {
    return ::testing::AssertionFailure() << "coinestate-api did not listen on " << address() << ": "
                                         << process_->describe();
  }
  return ::testing::AssertionSuccess();
}

CliResult runCli(const std::vector<std::string>& args) {
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/shipgate"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  testsupport::Process p(o);
  CliResult r;
  if (!p.start()) return r;
  auto code = p.wait(std::chrono::seconds(60));
  r.exit_code = code ? *code : -1;
  r.out = p.stdoutText();
  r.err = p.stderrText();
  return r;
}

std::string writeToken(const testsupport::TempDir& dir) {
  std::random_device rd;
  std::string token;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) token += hex[rd() % 16];
  return dir.writeFile("admin.token", token + "\n");
}

testsupport::Headers bearer(const std::string& token_file) {
  std::string token = testsupport::readFile(token_file);
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return {{"Authorization", "Bearer " + token}};
}

::testing::AssertionResult makeCert(const testsupport::TempDir& dir, const std::string& org) {
  testsupport::Process openssl(testsupport::command(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-days", "2", "-keyout", dir.file(org + ".key"), "-out", dir.file(org + ".crt"),
       "-subj", "/O=" + org + "/CN=app.test", "-addext", "subjectAltName=DNS:app.test"}));
  auto started = openssl.start();
  if (!started) return started;
  auto code = openssl.wait(std::chrono::seconds(30));
  if (code != 0) return ::testing::AssertionFailure() << openssl.describe();
  return ::testing::AssertionSuccess();
}

testsupport::HttpResponse get(uint16_t port, const std::string& path, const std::string& host,
                              testsupport::Headers extra) {
  extra.emplace_back("Host", host);
  return testsupport::httpGet(port, path, extra);
}

}  // namespace e2e
