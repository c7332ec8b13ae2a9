#include "crs_ftw.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "support/raw_http_client.h"

namespace crsftw {
namespace fs = std::filesystem;

namespace {

const std::set<int> kAttackCategories = {930, 931, 932, 933, 934, 941, 942, 943, 944};

std::string scalar(const YAML::Node& n, const std::string& fallback = "") {
  if (!n || n.IsNull()) return fallback;
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) {  // data given as a list of lines
    std::string out;
    for (size_t i = 0; i < n.size(); ++i) {
      if (i > 0) out += "\r\n";
      out += scalar(n[i]);
    }
    return out;
  }
  return fallback;
}

bool truthy(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return false;
  std::string v = n.Scalar();
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "true" || v == "yes" || v == "1";
}

std::string base64Decode(const std::string& in, bool* ok) {
  auto val = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  *ok = true;
  for (unsigned char c : in) {
    if (c == '=' || std::isspace(c)) continue;
    int v = val(c);
    if (v < 0) {
      *ok = false;
      return out;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

bool equalsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::vector<int64_t> idsIn(const std::string& text) {
  std::vector<int64_t> ids;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i == 6) ids.push_back(std::stoll(text.substr(i, 6)));
    i = j;
  }
  return ids;
}

// Builds the bytes of one stage's request (see the header for the rules).
std::string buildRequest(const YAML::Node& input, std::string* error, bool* head) {
  *head = false;
  if (input["encoded_request"] && !scalar(input["encoded_request"]).empty()) {
    bool ok = false;
    std::string raw = base64Decode(scalar(input["encoded_request"]), &ok);
    if (!ok) *error = "encoded_request is not base64";
    *head = raw.rfind("HEAD ", 0) == 0;
    return raw;
  }
  if (input["raw_request"] && !scalar(input["raw_request"]).empty()) {
    std::string raw = scalar(input["raw_request"]);
    *head = raw.rfind("HEAD ", 0) == 0;
    return raw;
  }
  std::string method = scalar(input["method"], "GET");
  std::string uri = scalar(input["uri"], "/");
  std::string version = scalar(input["version"], "HTTP/1.1");
  bool stop_magic = truthy(input["stop_magic"]);
  std::string data = scalar(input["data"]);
  *head = method == "HEAD";
  std::string out = method + " " + uri + " " + version + "\r\n";
  bool has_length = false, has_type = false;
  const YAML::Node& headers = input["headers"];
  if (headers && headers.IsMap()) {
    for (const auto& kv : headers) {
      std::string name = kv.first.Scalar();
      if (equalsIgnoreCase(name, "Content-Length") ||
          equalsIgnoreCase(name, "Transfer-Encoding")) {
        has_length = true;
      }
      if (equalsIgnoreCase(name, "Content-Type")) has_type = true;
      out += name + ": " + scalar(kv.second) + "\r\n";
    }
  }
  if (!data.empty() && !stop_magic) {
    if (!has_type) out += "Content-Type: application/x-www-form-urlencoded\r\n";
    if (!has_length) out += "Content-Length: " + std::to_string(data.size()) + "\r\n";
  }
  out += "\r\n";
  out += data;
  return out;
}

}  // namespace

LoadResult loadSuite(const std::string& tests_dir) {
  LoadResult result;
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(tests_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".yaml") files.push_back(it->path());
  }
  if (ec) result.errors.push_back(tests_dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::string rel = fs::relative(path, tests_dir).string();
    YAML::Node doc;
    try {
      doc = YAML::LoadFile(path.string());
    } catch (const YAML::Exception& e) {
      result.errors.push_back(rel + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
      continue;
    }
    ++result.files;
    if (doc["meta"] && doc["meta"]["enabled"] && !truthy(doc["meta"]["enabled"])) continue;
    const YAML::Node& tests = doc["tests"];
    if (!tests || !tests.IsSequence()) {
      result.errors.push_back(rel + ": no tests[]");
      continue;
    }
    for (const auto& test : tests) {
      ++result.tests;
      std::string title = scalar(test["test_title"]);
      const YAML::Node& stages = test["stages"];
      if (!stages || !stages.IsSequence()) {
        result.errors.push_back(rel + ": test " + title + " has no stages[]");
        continue;
      }
      int index = 0;
      for (const auto& item : stages) {
        YAML::Node st = item["stage"] ? item["stage"] : item;
        Stage s;
        s.file = rel;
        s.test_title = title;
        s.stage_index = index++;
        std::string error;
        s.request = buildRequest(st["input"], &error, &s.head_request);
        if (!error.empty()) result.errors.push_back(rel + ": " + title + ": " + error);
        const YAML::Node& out = st["output"];
        if (out) {
          const YAML::Node& status = out["status"];
          if (status && status.IsSequence()) {
            for (const auto& v : status) s.expected_status.push_back(v.as<int>(0));
          } else if (status && status.IsScalar()) {
            s.expected_status.push_back(status.as<int>(0));
          }
          s.log_contains = scalar(out["log_contains"]);
          s.no_log_contains = scalar(out["no_log_contains"]);
          s.expect_error = truthy(out["expect_error"]);
        }
        s.expected_ids = idsIn(s.log_contains);
        if (!s.expected_ids.empty()) {
          int cat = static_cast<int>(s.expected_ids.front() / 1000);
          if (kAttackCategories.count(cat) != 0) s.category = cat;
        }
        result.stages.push_back(std::move(s));
      }
    }
  }
  return result;
}

std::map<int64_t, int> readRuleLevels(const std::string& rules_dir) {
  std::map<int64_t, int> levels;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(rules_dir, ec)) {
    if (e.path().extension() == ".conf") files.push_back(e.path());
  }
  static const std::regex id_re(R"(\bid\s*:\s*'?(\d+))");
  static const std::regex pl_re(R"(paranoia-level/(\d))");
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line, directive;
    auto flush = [&] {
      std::smatch m;
      if (std::regex_search(directive, m, id_re)) {
        int64_t id = std::stoll(m[1]);
        std::smatch p;
        levels[id] = std::regex_search(directive, p, pl_re) ? std::stoi(p[1]) : 1;
      }
      directive.clear();
    };
    while (std::getline(in, line)) {
      size_t first = line.find_first_not_of(" \t");
      if (first != std::string::npos && line[first] == '#') continue;
      bool cont = !line.empty() && line.back() == '\\';
      directive += cont ? line.substr(0, line.size() - 1) : line;
      directive += ' ';
      if (!cont) flush();
    }
    flush();
  }
  return levels;
}

Outcome sendStage(uint16_t port, const Stage& stage, std::chrono::milliseconds timeout) {
  return sendRaw(port, stage.request, stage.head_request, timeout);
}

Outcome sendRaw(uint16_t port, const std::string& bytes, bool head_request,
                std::chrono::milliseconds timeout) {
  Outcome o;
  testsupport::RawHttpClient client;
  if (!client.connect(port, timeout)) {
    o.error = "connect: " + client.error();
    return o;
  }
  if (!client.send(bytes, timeout)) {
    // The server may answer and close before reading everything; try to read the answer.
    o.error = "send: " + client.error();
  }
  testsupport::ReadOptions ro;
  ro.head_request = head_request;
  ro.timeout = timeout;
  testsupport::HttpResponse r = client.readResponse(ro);
  while (r.status >= 100 && r.status < 200) r = client.readResponse(ro);
  o.status = r.status;
  if (r.status == 0) {
    o.error += (o.error.empty() ? "" : "; ") + r.error;
  } else {
    o.error.clear();
    o.request_id = r.header("x-request-id");
  }
  return o;
}

std::set<int64_t> ruleIdsIn(const std::string& text) {
  std::set<int64_t> ids;
  for (int64_t id : idsIn(text)) {
    if (id >= 900000 && id <= 999999) ids.insert(id);
  }
  return ids;
}

std::map<std::string, std::set<int64_t>> ruleIdsByRequestId(const std::string& log,
                                                            const std::set<std::string>& wanted) {
  std::map<std::string, std::set<int64_t>> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    // A request id is a token of [A-Za-z0-9-_]; look each token up.
    size_t i = 0;
    while (i < line.size()) {
      size_t j = i;
      while (j < line.size() && (std::isalnum(static_cast<unsigned char>(line[j])) ||
                                 line[j] == '-' || line[j] == '_')) {
        ++j;
      }
      if (j > i) {
        std::string tok = line.substr(i, j - i);
        if (wanted.count(tok) != 0) {
          // shipgate's line names the rules as ` rules=942100,949110 `; other logs: any id.
          std::string rest = line.substr(0, i) + " " + line.substr(j);
          size_t r = rest.find(" rules=");
          if (r != std::string::npos) {
            size_t e = rest.find(' ', r + 7);
            rest = rest.substr(r + 7, e == std::string::npos ? std::string::npos : e - r - 7);
          }
          auto ids = ruleIdsIn(rest);
          out[tok].insert(ids.begin(), ids.end());
          break;
        }
        i = j;
      } else {
        ++i;
      }
    }
  }
  return out;
}

bool agrees(const Stage& stage, const std::set<int64_t>& fired) {
  std::string log;
  for (int64_t id : fired) log += "[id \"" + std::to_string(id) + "\"] ";
  auto matches = [&](const std::string& pattern) {
    try {
      return std::regex_search(log, std::regex(pattern));
    } catch (const std::regex_error&) {
      return log.find(pattern) != std::string::npos;
    }
  };
  if (!stage.log_contains.empty() && !matches(stage.log_contains)) return false;
  if (!stage.no_log_contains.empty() && matches(stage.no_log_contains)) return false;
  return true;
}

double percent(int part, int whole) { return whole == 0 ? 0.0 : 100.0 * part / whole; }

std::string categoryName(int category) {
  switch (category) {
    case 930: return "930 LFI";
    case 931: return "931 RFI";
    case 932: return "932 RCE";
    case 933: return "933 PHP";
    case 934: return "934 Node.js";
    case 941: return "941 XSS";
    case 942: return "942 SQLi";
    case 943: return "943 session fixation";
    case 944: return "944 Java";
    default: return std::to_string(category);
  }
}

RunFigures score(const std::string& label, int paranoia_level, const std::vector<Stage>& stages,
                 const std::vector<Outcome>& outcomes, const std::map<int64_t, int>& levels) {
  RunFigures run;
  run.label = label;
  run.paranoia_level = paranoia_level;
  for (int c : kAttackCategories) run.by_category[c];
  for (size_t i = 0; i < stages.size() && i < outcomes.size(); ++i) {
    const Stage& s = stages[i];
    const Outcome& o = outcomes[i];
    ++run.stages_run;
    if (o.status == 0) ++run.connection_errors;
    bool has_expectation = !s.log_contains.empty() || !s.no_log_contains.empty();
    bool agreed = false;
    if (o.fired && has_expectation) {
      agreed = agrees(s, *o.fired);
      ++run.agreement_judged;
      if (agreed) ++run.agreement_agreed;
    }
    if (s.category == 0) continue;
    auto lv = levels.find(s.expected_ids.front());
    int level = lv == levels.end() ? 1 : lv->second;
    bool caught = o.status == 403;
    for (CategoryFigures* f : {&run.by_category[s.category], &run.all}) {
      ++f->cases;
      if (caught) ++f->caught;
      if (level == 1) {
        ++f->pl1_cases;
        if (caught) ++f->pl1_caught;
      }
      if (level <= paranoia_level) {
        ++f->level_cases;
        if (caught) ++f->level_caught;
      }
      if (o.fired) {
        ++f->judged;
        if (agreed) ++f->agreed;
      }
    }
    if (!caught && level <= paranoia_level) {
      run.missed.push_back(s.file + " #" + s.test_title + "/" + std::to_string(s.stage_index) +
                           " expects " + std::to_string(s.expected_ids.front()) + " (PL" +
                           std::to_string(level) + "), got " + std::to_string(o.status) +
                           (o.error.empty() ? "" : " (" + o.error + ")"));
    }
  }
  return run;
}

std::string markdownTable(const RunFigures& run) {
  std::ostringstream out;
  char buf[64];
  auto pct = [&](int part, int whole) {
    std::snprintf(buf, sizeof buf, "%.1f %%", percent(part, whole));
    return std::string(buf);
  };
  bool with_agreement = run.all.judged > 0;
  out << "### " << run.label << " (paranoia level " << run.paranoia_level << ")\n\n";
  out << "| category | cases | caught | cases whose rule is a PL1 rule | caught"
      << " | cases whose rule is PL<=" << run.paranoia_level << " | caught"
      << (with_agreement ? " | expected-rule agreement" : "") << " |\n";
  out << "|---|---:|---:|---:|---:|---:|---:" << (with_agreement ? "|---:" : "") << "|\n";
  auto row = [&](const std::string& name, const CategoryFigures& f) {
    out << "| " << name << " | " << f.cases << " | " << pct(f.caught, f.cases) << " | "
        << f.pl1_cases << " | " << pct(f.pl1_caught, f.pl1_cases) << " | " << f.level_cases
        << " | " << pct(f.level_caught, f.level_cases);
    if (with_agreement) out << " | " << pct(f.agreed, f.judged);
    out << " |\n";
  };
  for (const auto& [cat, f] : run.by_category) row(categoryName(cat), f);
  row("all", run.all);
  out << "\nstages sent: " << run.stages_run << ", connection errors or timeouts: "
      << run.connection_errors;
  if (run.agreement_judged > 0) {
    out << ", expected-rule agreement over every stage with log_contains/no_log_contains: "
        << run.agreement_agreed << "/" << run.agreement_judged << " ("
        << pct(run.agreement_agreed, run.agreement_judged) << ")";
  }
  out << "\n";
  return out.str();
}

std::vector<Floor> readFloors(const std::string& path, std::vector<std::string>* errors) {
  std::vector<Floor> floors;
  std::ifstream in(path);
  if (!in) {
    errors->push_back(path + ": cannot read");
    return floors;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream ls(line);
    Floor f;
    f.line = n;
    if (!(ls >> f.category)) continue;
    std::string extra;
    if (!(ls >> f.pl >> f.minimum) || (ls >> extra) || f.pl < 1 || f.pl > 4 ||
        (f.category != "all" && !std::all_of(f.category.begin(), f.category.end(), ::isdigit))) {
      errors->push_back(path + ":" + std::to_string(n) +
                        ":1: expected `<category|all> <pl 1-4> <minimum %>`");
      continue;
    }
    floors.push_back(f);
  }
  return floors;
}

std::vector<std::string> checkFloors(const std::vector<Floor>& floors, const RunFigures& run) {
  std::vector<std::string> failures;
  for (const Floor& f : floors) {
    if (f.pl != run.paranoia_level) continue;
    const CategoryFigures* fig = nullptr;
    if (f.category == "all") {
      fig = &run.all;
    } else {
      auto it = run.by_category.find(std::stoi(f.category));
      if (it == run.by_category.end()) {
        failures.push_back("floor line " + std::to_string(f.line) + ": unknown category " +
                           f.category);
        continue;
      }
      fig = &it->second;
    }
    double got = percent(fig->caught, fig->cases);
    if (got + 1e-9 < f.minimum) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "%s at PL%d: recall %.1f %% (%d/%d) is below its floor %.1f %%",
                    f.category == "all" ? "all" : categoryName(std::stoi(f.category)).c_str(),
                    f.pl, got, fig->caught, fig->cases, f.minimum);
      failures.push_back(buf);
    }
  }
  return failures;
}

}  // namespace crsftw
