#include "waf_gateway_util.h"

#include <fstream>
#include <thread>
#include <sstream>

namespace wafgw {

using namespace std::chrono_literals;

std::string seedSecurityRules() {
  std::string yaml =
      testsupport::readFile(testsupport::sourceDir() + "/examples/coinestate/shipgate.yaml");
  size_t begin = yaml.find("\nsecurity_rules:\n");
  size_t end = yaml.find("\n# Container Security", begin);
  if (begin == std::string::npos || end == std::string::npos) return "";
  return yaml.substr(begin + 1, end - begin);
}

std::string gatewayYaml(const Ports& p, const std::string& token, const std::string& upstream,
                        const std::string& tail, bool frontend) {
  std::string static_site =
      frontend ? "  - {name: frontend, static: {root: \"" + testsupport::buildDir() +
                     "/coinestate/frontend\", spa_fallback: true}}\n"
               : "";
  return "server: {workers: 2, allow_root: true}\n"
         "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(p.http) + "\"}]\n"
         "admin: {address: \"127.0.0.1:" + std::to_string(p.admin) + "\", token_file: \"" +
         token + "\"}\n"
         "sites:\n"
         "  - {name: api, path_prefix: /api/, app: api}\n" + static_site +
         "apps:\n  api:\n    slots: {blue: [{address: \"" + upstream +
         "\"}], green: [{address: \"" + upstream + "\"}]}\n" + tail;
}

testsupport::Headers browserHeaders() {
  return {{"User-Agent",
           "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36"},
          {"Accept",
           "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;"
           "q=0.8"},
          {"Accept-Encoding", "gzip, deflate, br"},
          {"Accept-Language", "en-US,en;q=0.9"}};
}

testsupport::Headers curlHeaders() { return {{"User-Agent", "curl/8.5.0"}, {"Accept", "*/*"}}; }

testsupport::HttpResponse Client::get(const std::string& target,
                                      const testsupport::Headers& headers) {
  if (!conn_.connected() && !conn_.connect(port_)) {
    testsupport::HttpResponse r;
    r.error = "connect: " + conn_.error();
    return r;
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: app.test\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  req += "\r\n";
  auto r = conn_.roundTrip(req);
  if (!r.ok() || r.header("Connection") == "close") conn_.close();
  return r;
}

double metricValue(const std::string& text, const std::string& metric) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(metric, 0) != 0) continue;
    size_t after = metric.size();
    if (after < line.size() && line[after] != ' ' && line[after] != '{') continue;
    size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    return std::stod(line.substr(space + 1));
  }
  return -1;
}

void waitUntilBurstFitsOneRateWindow(std::chrono::seconds period, std::chrono::seconds burst) {
  auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  auto into_window = since_epoch % period;
  if (period - into_window < burst) {
    std::this_thread::sleep_for(period - into_window + std::chrono::milliseconds(50));
  }
}

long rssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::string promtoolProblems(const testsupport::TempDir& dir, const std::string& text) {
  std::string file = dir.writeFile("metrics.txt", text);
  testsupport::ProcessOptions o;
  o.argv = {"/bin/sh", "-c", "promtool check metrics < " + file};
  testsupport::Process promtool(o);
  if (!promtool.start()) return "promtool did not start";
  auto code = promtool.wait(30s);
  if (!code) return "promtool timed out";
  if (*code == 0) return "";
  return "exit " + std::to_string(*code) + ": " + promtool.stdoutText() + promtool.stderrText();
}

}  // namespace wafgw
