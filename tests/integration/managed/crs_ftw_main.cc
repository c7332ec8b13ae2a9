// crs_ftw: runs the OWASP CRS v3.3.4 regression tests (and, with --benign, the benign corpus)
// against any HTTP server on 127.0.0.1 and prints the per-category recall table.
//
//   crs_ftw --port 8080 [--pl 1] [--label "nginx+ModSecurity"] [--tests DIR]
//           [--rules /usr/share/modsecurity-crs/rules] [--out FILE] [--floors FILE]
//           [--log FILE] [--benign N] [--seed S] [--missed]
//
// --log FILE: the server's log file; after each stage the runner reads what was appended
//   (waiting until it stops growing for a few ms) and takes the 9xxxxx rule ids in it as the
//   rules that fired for that stage (nginx + ModSecurity write `[id "942100"]` to the error log
//   while the request is processed). Without --log no expected-rule agreement is reported.
// --benign N: also sends N requests of the benign corpus (seed --seed, default 1) and reports the
//   share answered 403.
// --floors FILE: exit status 1 when a category is below its floor for --pl.
// Exit status: 0 ok, 1 below a floor, 2 usage or load error.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "benign_corpus.h"
#include "crs_ftw.h"
#include "support/paths.h"

namespace {

std::string defaultTestsDir() { return testsupport::crsRegressionTests(); }

int usage(const std::string& why) {
  std::cerr << "crs_ftw: " << why << "\n"
            << "usage: crs_ftw --port N [--pl 1-4] [--label TEXT] [--tests DIR] [--rules DIR]"
               " [--out FILE] [--floors FILE] [--log FILE] [--benign N] [--seed S] [--missed]\n";
  return 2;
}

std::string appended(const std::string& path, std::uintmax_t* offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::uintmax_t size = static_cast<std::uintmax_t>(in.tellg());
  if (size < *offset) *offset = 0;  // rotated or truncated
  in.seekg(static_cast<std::streamoff>(*offset));
  std::string text(size - *offset, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  *offset = size;
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, pl = 1;
  size_t benign_count = 0;
  uint64_t seed = 1;
  bool show_missed = false;
  std::string label = "server", tests = defaultTestsDir(),
              rules = "/usr/share/modsecurity-crs/rules", out_file, floors_file, log_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage(a + " needs a value");
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (a == "--port") port = std::stoi(next());
      else if (a == "--pl") pl = std::stoi(next());
      else if (a == "--label") label = next();
      else if (a == "--tests") tests = next();
      else if (a == "--rules") rules = next();
      else if (a == "--out") out_file = next();
      else if (a == "--floors") floors_file = next();
      else if (a == "--log") log_file = next();
      else if (a == "--benign") benign_count = std::stoul(next());
      else if (a == "--seed") seed = std::stoull(next());
      else if (a == "--missed") show_missed = true;
      else return usage("unknown argument " + a);
    } catch (const std::exception&) {
      return usage("bad number for " + a);
    }
  }
  if (port <= 0 || port > 65535) return usage("--port must be 1..65535");
  if (pl < 1 || pl > 4) return usage("--pl must be 1..4");

  crsftw::LoadResult suite = crsftw::loadSuite(tests);
  for (const auto& e : suite.errors) std::cerr << "crs_ftw: " << e << "\n";
  if (suite.stages.empty()) return usage("no stages loaded from " + tests);
  auto levels = crsftw::readRuleLevels(rules);
  std::cerr << "crs_ftw: " << suite.files << " files, " << suite.tests << " enabled tests, "
            << suite.stages.size() << " stages, " << levels.size() << " rule ids in " << rules
            << "\n";

  std::uintmax_t offset = 0;
  if (!log_file.empty()) appended(log_file, &offset);
  std::vector<crsftw::Outcome> outcomes;
  outcomes.reserve(suite.stages.size());
  for (const auto& stage : suite.stages) {
    crsftw::Outcome o = crsftw::sendStage(static_cast<uint16_t>(port), stage);
    if (!log_file.empty()) {
      // Let the server finish writing this request's lines.
      std::string text = appended(log_file, &offset);
      for (int quiet = 0; quiet < 3;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::string more = appended(log_file, &offset);
        if (more.empty()) {
          ++quiet;
        } else {
          text += more;
          quiet = 0;
        }
      }
      o.fired = crsftw::ruleIdsIn(text);
    }
    outcomes.push_back(std::move(o));
  }
  crsftw::RunFigures run = crsftw::score(label, pl, suite.stages, outcomes, levels);
  std::string table = crsftw::markdownTable(run);

  if (benign_count > 0) {
    std::string error;
    auto corpus = benign::generate(seed, benign_count, "localhost", &error);
    if (corpus.empty()) return usage(error);
    std::map<std::string, std::pair<int, int>> by_kind;  // kind -> (sent, blocked)
    int blocked = 0, errors = 0;
    for (const auto& r : corpus) {
      crsftw::Outcome o = crsftw::sendRaw(static_cast<uint16_t>(port), r.bytes, false);
      auto& k = by_kind[r.kind];
      ++k.first;
      if (o.status == 403) {
        ++k.second;
        ++blocked;
      }
      if (o.status == 0) ++errors;
    }
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "\nbenign corpus (seed %llu, %zu requests): blocked %d = %.2f %%"
                  " (connection errors %d); by kind:",
                  static_cast<unsigned long long>(seed), corpus.size(), blocked,
                  crsftw::percent(blocked, static_cast<int>(corpus.size())), errors);
    table += buf;
    for (const auto& [kind, k] : by_kind) {
      table += " " + kind + " " + std::to_string(k.second) + "/" + std::to_string(k.first);
    }
    table += "\n";
  }

  std::cout << table;
  if (show_missed) {
    for (const auto& m : run.missed) std::cout << "missed: " << m << "\n";
  }
  if (!out_file.empty()) {
    std::ofstream out(out_file, std::ios::app);
    out << table << "\n";
  }
  if (!floors_file.empty()) {
    std::vector<std::string> errors;
    auto floors = crsftw::readFloors(floors_file, &errors);
    for (const auto& e : errors) std::cerr << e << "\n";
    if (!errors.empty()) return 2;
    auto failures = crsftw::checkFloors(floors, run);
    for (const auto& f : failures) std::cerr << "crs_ftw: " << f << "\n";
    if (!failures.empty()) return 1;
  }
  return 0;
}
