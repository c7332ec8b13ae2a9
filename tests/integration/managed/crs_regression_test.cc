// The OWASP CRS v3.3.4 regression suite and the benign corpus through the real shipgate binary
// with waf.managed_rules.crs (Debian's rule files, blocking, threshold 5), once at paranoia level
// 1 and once at 4, in front of an nginx `return 200` upstream. A case is caught when the stage
// that expects an attack rule is answered 403; the fired rule ids come from the gateway's
// `waf managed: request_id=... rules=...` log line of that request (by its X-Request-Id).
//
// Fails when a category's recall is below its floor in crs_floors.txt for that paranoia level,
// or when the benign corpus's blocked share at paranoia level 1 is above kBenignCeilingPercent.
// Prints the table and
// writes it to <build>/crs_regression.md (the README's figures come from there).
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "benign_corpus.h"
#include "crs_ftw.h"
#include "support/gateway_process.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"

namespace {

std::string testsDir() { return testsupport::crsRegressionTests(); }

// nginx answering 200 "hello world" to everything, on 127.0.0.1:port.
class Upstream {
 public:
  ::testing::AssertionResult start(uint16_t port) {
    std::string d = dir_.path();
    std::string conf = "daemon off;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " +
                       d + "/error.log warn;\nevents { worker_connections 512; }\nhttp {\n"
                       "  access_log off;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      conf += std::string("  ") + t + "_temp_path " + d + "/tmp_" + t + ";\n";
    }
    conf += "  client_max_body_size 20m;\n  server {\n    listen 127.0.0.1:" +
            std::to_string(port) +
            ";\n    location / { default_type text/plain; return 200 \"hello world\\n\"; }\n  }\n}\n";
    dir_.writeFile("nginx.conf", conf);
    process_ = std::make_unique<testsupport::Process>(
        testsupport::command({"nginx", "-e", "/dev/null", "-p", d, "-c", d + "/nginx.conf"}));
    auto started = process_->start();
    if (!started) return started;
    if (!testsupport::waitForPort(port, std::chrono::seconds(10))) {
      return ::testing::AssertionFailure()
             << "nginx upstream did not open port " << port << ": " << process_->describe();
    }
    return ::testing::AssertionSuccess();
  }

 private:
  testsupport::TempDir dir_;
  std::unique_ptr<testsupport::Process> process_;
};

std::string gatewayYaml(uint16_t port, uint16_t upstream, int pl) {
  return "server:\n  workers: 1\n  allow_root: true\n  log: {access_log: false, level: info}\n"
         "listeners:\n  - name: http\n    address: \"127.0.0.1:" + std::to_string(port) +
         "\"\nsites:\n  - name: s\n    app: a\napps:\n  a:\n    slots:\n      blue:\n"
         "        - {address: \"127.0.0.1:" + std::to_string(upstream) +
         "\"}\nwaf:\n  managed_rules:\n    crs: {paranoia_level: " + std::to_string(pl) +
         ", inbound_threshold: 5, action: block}\n";
}

void appendReport(const std::string& text) {
  static bool first = true;
  std::ofstream out(testsupport::buildDir() + "/crs_regression.md",
                    first ? std::ios::trunc : std::ios::app);
  if (first) {
    out << "# CRS v3.3.4 regression figures (crs_regression_test)\n\n";
    first = false;
  }
  out << text << "\n";
}

void runAtLevel(int pl, size_t benign_count, double max_benign_blocked_percent) {
  std::string tests = testsDir();
  ASSERT_FALSE(tests.empty()) << "the CRS v3.3.4 regression tests (../shared/crs/v3.3.4) are "
                                 "missing; set SHIPGATE_CRS_TESTS";
  crsftw::LoadResult suite = crsftw::loadSuite(tests);
  ASSERT_TRUE(suite.errors.empty()) << suite.errors.front();
  ASSERT_EQ(suite.stages.size(), 2396u);
  auto levels = crsftw::readRuleLevels("/usr/share/modsecurity-crs/rules");
  ASSERT_GT(levels.size(), 500u) << "modsecurity-crs rule files missing";

  uint16_t up_port = testsupport::freePort();
  Upstream upstream;
  ASSERT_TRUE(upstream.start(up_port));
  uint16_t port = testsupport::freePort();
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(gatewayYaml(port, up_port, pl), {port}));

  std::vector<crsftw::Outcome> outcomes;
  outcomes.reserve(suite.stages.size());
  for (const auto& stage : suite.stages) outcomes.push_back(crsftw::sendStage(port, stage));

  // The benign corpus on the same gateway.
  std::string error;
  auto corpus = benign::generate(1, benign_count, "localhost", &error);
  ASSERT_EQ(corpus.size(), benign_count) << error;
  int blocked = 0, benign_errors = 0;
  std::string blocked_examples;
  std::vector<std::string> blocked_ids;  // request ids of the blocked benign requests
  for (const auto& r : corpus) {
    crsftw::Outcome o = crsftw::sendRaw(port, r.bytes, false);
    if (o.status == 0) ++benign_errors;
    if (o.status == 403) {
      ++blocked;
      blocked_ids.push_back(o.request_id);
      if (blocked <= 5) blocked_examples += r.bytes.substr(0, r.bytes.find('\r')) + "\n";
    }
  }

  // The fired rules, from the gateway's log lines (give the last lines a moment to arrive).
  gw.waitForLog("\n", std::chrono::milliseconds(200));
  std::set<std::string> ids;
  for (const auto& o : outcomes) {
    if (!o.request_id.empty()) ids.insert(o.request_id);
  }
  auto fired = crsftw::ruleIdsByRequestId(gw.logs(), ids);
  // Which rules blocked the benign requests (rule id -> requests).
  std::set<std::string> benign_wanted(blocked_ids.begin(), blocked_ids.end());
  std::map<int64_t, int> benign_rules;
  for (const auto& [rid, rules] : crsftw::ruleIdsByRequestId(gw.logs(), benign_wanted)) {
    for (int64_t id : rules) ++benign_rules[id];
  }
  std::string benign_rule_text;
  for (const auto& [id, n] : benign_rules) {
    benign_rule_text += " " + std::to_string(id) + "x" + std::to_string(n);
  }
  for (auto& o : outcomes) {
    if (o.request_id.empty()) continue;  // no answer or no id: agreement not judged
    auto it = fired.find(o.request_id);
    o.fired = it == fired.end() ? std::set<int64_t>{} : it->second;
  }

  crsftw::RunFigures run = crsftw::score("shipgate, PL" + std::to_string(pl), pl, suite.stages,
                                         outcomes, levels);
  std::string table = crsftw::markdownTable(run);
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "\nbenign corpus (seed 1, %zu requests): blocked %d = %.2f %% (connection errors "
                "%d)\n",
                corpus.size(), blocked, crsftw::percent(blocked, static_cast<int>(corpus.size())),
                benign_errors);
  table += buf;
  std::cout << table;
  appendReport(table);
  size_t shown = 0;
  for (const auto& m : run.missed) {
    if (shown++ < 40) std::cout << "missed: " << m << "\n";
  }

  std::vector<std::string> floor_errors;
  auto floors = crsftw::readFloors(
      testsupport::sourceDir() + "/tests/integration/managed/crs_floors.txt", &floor_errors);
  ASSERT_TRUE(floor_errors.empty()) << floor_errors.front();
  for (const auto& f : crsftw::checkFloors(floors, run)) ADD_FAILURE() << f;
  if (max_benign_blocked_percent >= 0) {
    EXPECT_LE(crsftw::percent(blocked, static_cast<int>(corpus.size())),
              max_benign_blocked_percent)
        << "benign requests blocked by the rules (id x requests):" << benign_rule_text
        << "\ne.g.:\n"
        << blocked_examples;
  }
  EXPECT_EQ(benign_errors, 0);
}

// The benign ceiling at PL1: the goal, 1 %. nginx + libmodsecurity 3.0.9 + the same CRS
// blocks 110 of these 3,000 requests (3.67 %, measured with crs_modsec.sh + crs_ftw --benign
// 3000); shipgate blocks 7 (0.23 %) with its match confirmation (the default; without it 108,
// 3.60 %, the CRS's own false positives 942360, 932150, 932115, 932100: engine_confirm.h).
constexpr double kBenignCeilingPercent = 1.0;

TEST(CrsRegression, ParanoiaLevel1MeetsFloorsAndBlocksNoMoreBenignTrafficThanModSecurity) {
  runAtLevel(1, 3000, kBenignCeilingPercent);
}

TEST(CrsRegression, ParanoiaLevel4MeetsFloors) { runAtLevel(4, 1000, -1); }

}  // namespace
