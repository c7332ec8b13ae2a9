// A runner for the OWASP CRS regression tests (the legacy ftw YAML format of CRS v3.3.x) against
// any HTTP server on loopback: shipgate, or nginx + libmodsecurity as the reference peer.
//
// Loading: every *.yaml under a directory (recursively, in path order); tests whose
// meta.enabled is false are skipped. Each test has stages[]; a stage is either `- stage: {input,
// output}` or `- {input, output}` (both occur in v3.3.4).
//
// Sending (go-ftw / ftw semantics, decided here and documented in the README section):
//   - each stage on a new TCP connection to 127.0.0.1:<port> (the YAML's dest_addr and port are
//     ignored: the runner targets the server under test);
//   - encoded_request (base64) and raw_request are sent as raw bytes, unchanged;
//   - otherwise the request line is `<method> <uri> <version>` exactly as written (defaults GET,
//     /, HTTP/1.1), then the headers in the YAML's order, names and values as written, no header
//     added (no Host when the test has none, no Connection);
//   - `data` is the body; a list of strings is joined with "\r\n". When the test has data but no
//     Content-Length (and no Transfer-Encoding) and stop_magic is not true, the runner adds
//     Content-Length: <bytes> as the last header, as ftw and go-ftw's autocomplete do; with
//     stop_magic: true nothing is added (the tests that set it want the request as written).
//   - the runner reads one response (a 100 Continue is skipped; HEAD has no body); a connection
//     error or timeout is status 0 with `error` set (what expect_error: true expects).
//
// Judging: a stage's expected rule ids are the 6-digit numbers in output.log_contains; its
// category is the first three digits of the first such id. An attack case is a stage whose
// expected id belongs to one of 930 931 932 933 934 941 942 943 944; it is caught when the answer
// is 403 (blocking deployment). The rule's paranoia level comes from the rule files
// (tag:'paranoia-level/N' in the directive that has the id).
// Rule agreement (when the fired ids of a stage are known, from the server's log): log_contains
// and no_log_contains are ECMAScript regular expressions matched against a synthetic log of the
// fired rules, one `[id "NNNNNN"]` per fired id, as ftw matches them against the WAF's log.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace crsftw {

struct Stage {
  std::string file;        // path relative to the tests directory
  std::string test_title;  // tests[].test_title
  int stage_index = 0;     // 0-based within the test
  std::string request;     // the exact bytes sent
  bool head_request = false;
  std::vector<int> expected_status;  // output.status (empty: none)
  std::string log_contains;          // regex, "" when absent
  std::string no_log_contains;       // regex, "" when absent
  bool expect_error = false;
  std::vector<int64_t> expected_ids;  // the numbers in log_contains
  int category = 0;                   // 930..944 for attack cases, else 0
};

struct LoadResult {
  std::vector<Stage> stages;
  int files = 0;
  int tests = 0;        // enabled tests
  std::vector<std::string> errors;  // "<file>: <what>"
};

LoadResult loadSuite(const std::string& tests_dir);

// Rule id -> paranoia level, read from rules_dir/*.conf (tag:'paranoia-level/N'; a rule without
// such a tag is level 1).
std::map<int64_t, int> readRuleLevels(const std::string& rules_dir);

struct Outcome {
  int status = 0;          // 0: connection error or timeout
  std::string error;
  std::string request_id;  // the response's X-Request-Id, if any
  std::optional<std::set<int64_t>> fired;  // rule ids from the server's log, when known
};

// Sends one stage on a new connection to 127.0.0.1:port and reads its answer.
Outcome sendStage(uint16_t port, const Stage& stage,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
// The same for any request bytes.
Outcome sendRaw(uint16_t port, const std::string& bytes, bool head_request,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

// True when the fired ids agree with the stage's log_contains / no_log_contains.
bool agrees(const Stage& stage, const std::set<int64_t>& fired);

// The rule ids a log text names: every `9xxxxx` number (six digits starting with 9) that is not
// part of a longer number.
std::set<int64_t> ruleIdsIn(const std::string& text);

// Rule ids per request id from a gateway log: for each line that contains a request id of
// `wanted`, the ids in its ` rules=ID,ID ` field (shipgate's `waf managed:` line), or, in a line
// without that field, every id ruleIdsIn() finds (after removing the request id itself).
std::map<std::string, std::set<int64_t>> ruleIdsByRequestId(const std::string& log,
                                                            const std::set<std::string>& wanted);

// The figures of one run.
struct CategoryFigures {
  int cases = 0, caught = 0;
  int pl1_cases = 0, pl1_caught = 0;      // cases whose expected rule is a PL1 rule
  int level_cases = 0, level_caught = 0;  // cases whose rule's PL <= the run's PL
  int judged = 0, agreed = 0;             // rule agreement (cases with a known fired set)
};

struct RunFigures {
  std::string label;  // "shipgate PL1"
  int paranoia_level = 1;
  std::map<int, CategoryFigures> by_category;  // 930..944
  CategoryFigures all;
  int stages_run = 0;
  int connection_errors = 0;
  int agreement_judged = 0, agreement_agreed = 0;  // over every stage with log expectations
  std::vector<std::string> missed;                 // "file#test/stage expected N got S"
};

RunFigures score(const std::string& label, int paranoia_level, const std::vector<Stage>& stages,
                 const std::vector<Outcome>& outcomes, const std::map<int64_t, int>& levels);

std::string categoryName(int category);  // "942 SQLi"
// A Markdown table per category like /work/shared/crs/README.md's, with the run's label.
std::string markdownTable(const RunFigures& run);
double percent(int part, int whole);  // 0 when whole == 0

// Floors: lines "<category|all> <pl> <minimum recall %>", '#' comments. Returns an error list
// (one line per category below its floor, or a parse error with file:line).
struct Floor {
  std::string category;  // "942" or "all"
  int pl = 1;
  double minimum = 0;
  int line = 0;
};
std::vector<Floor> readFloors(const std::string& path, std::vector<std::string>* errors);
std::vector<std::string> checkFloors(const std::vector<Floor>& floors, const RunFigures& run);

}  // namespace crsftw
