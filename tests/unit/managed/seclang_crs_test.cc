// The SecRule reader against the rule set as Debian ships it (package modsecurity-crs): every
// *.conf and *.data file reads without error, the rule counts are what the files hold, and the
// forms whose reading matters to the engine (regex backslashes, chains, @pmFromFile) come out
// as ModSecurity reads them. A machine without the package FAILS these tests (it is a build
// dependency: scripts/install-deps.sh).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "shipgate/managed/seclang.h"

namespace shipgate::managed {
namespace {

namespace fs = std::filesystem;

const fs::path kRulesDir = "/usr/share/modsecurity-crs/rules";
const fs::path kSetupDir = "/etc/modsecurity/crs";

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> filesWithExt(const fs::path& dir, std::string_view ext) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct CrsFile {
  std::string name;
  std::vector<Directive> directives;
};

// Every CRS file, in ModSecurity's load order (setup, then rules), parsed.
std::vector<CrsFile> parseAll() {
  std::vector<fs::path> paths;
  paths.push_back(kSetupDir / "crs-setup.conf");
  paths.push_back(kSetupDir / "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf");
  for (auto& p : filesWithExt(kRulesDir, ".conf")) paths.push_back(p);
  paths.push_back(kSetupDir / "RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf");
  std::vector<CrsFile> out;
  for (const auto& p : paths) {
    EXPECT_TRUE(fs::exists(p)) << p << " is missing: install modsecurity-crs";
    auto r = parseSecLang(readFile(p), p.filename().string());
    EXPECT_TRUE(r.isOk()) << r.status().message();
    if (r.isOk()) out.push_back(CrsFile{p.filename().string(), std::move(r.value())});
  }
  return out;
}

void forEachRule(const std::vector<CrsFile>& files, const std::function<void(const Rule&)>& fn) {
  for (const auto& f : files) {
    for (const auto& d : f.directives) {
      if (d.kind == DirectiveKind::kDefaultAction) continue;
      for (const Rule* r = d.rule.get(); r != nullptr; r = r->chained.get()) fn(*r);
    }
  }
}

const Rule* findRule(const std::vector<CrsFile>& files, int64_t id) {
  for (const auto& f : files) {
    for (const auto& d : f.directives) {
      if (d.rule && d.rule->actions.id == id) return d.rule.get();
    }
  }
  return nullptr;
}

TEST(SecLangCrs, EveryDebianRuleFileParses) {
  ASSERT_TRUE(fs::is_directory(kRulesDir)) << "install modsecurity-crs";
  auto files = parseAll();
  ASSERT_EQ(files.size(), filesWithExt(kRulesDir, ".conf").size() + 3);
  int rules = 0, actions = 0, chained = 0, markers = 0, defaults = 0;
  std::set<int64_t> ids;
  for (const auto& f : files) {
    for (const auto& d : f.directives) {
      if (d.kind == DirectiveKind::kRule) ++rules;
      if (d.kind == DirectiveKind::kAction) ++actions;
      if (d.kind == DirectiveKind::kMarker) ++markers;
      if (d.kind == DirectiveKind::kDefaultAction) ++defaults;
      if (d.rule && d.rule->actions.id) {
        EXPECT_TRUE(ids.insert(*d.rule->actions.id).second)
            << "duplicate id " << *d.rule->actions.id << " at " << d.where.toString();
      }
      if (d.rule) {
        for (const Rule* c = d.rule->chained.get(); c != nullptr; c = c->chained.get()) ++chained;
      }
    }
  }
  std::printf("CRS (Debian modsecurity-crs): %d SecRule, %d SecAction, %d chained rules, "
              "%d SecMarker, %d SecDefaultAction, %zu ids in %zu files\n",
              rules, actions, chained, markers, defaults, ids.size(), files.size());
  // What `grep -c` finds in the files: 790 SecRule lines (chained ones included), 10 SecAction,
  // 40 SecMarker, 2 SecDefaultAction (crs-setup.conf).
  EXPECT_EQ(rules + chained, 790);
  EXPECT_EQ(actions, 10);
  EXPECT_EQ(markers, 40);
  EXPECT_EQ(defaults, 2);
  EXPECT_EQ(ids.size(), static_cast<size_t>(rules + actions));
}

TEST(SecLangCrs, EveryDataFileReadsAndEveryPmFromFileNamesOne) {
  auto data = filesWithExt(kRulesDir, ".data");
  ASSERT_GE(data.size(), 20u);
  std::set<std::string> names;
  for (const auto& p : data) {
    auto phrases = parseDataFile(readFile(p));
    EXPECT_FALSE(phrases.empty()) << p;
    for (const auto& ph : phrases) {
      EXPECT_FALSE(ph.empty());
      EXPECT_NE(ph[0], '#') << p;
      EXPECT_EQ(ph.find('\n'), std::string::npos);
      EXPECT_NE(ph.back(), ' ');
    }
    names.insert(p.filename().string());
  }
  auto files = parseAll();
  int uses = 0;
  forEachRule(files, [&](const Rule& r) {
    if (r.op.name == "pmfromfile" || r.op.name == "pmf") {
      ++uses;
      EXPECT_TRUE(names.count(r.op.param)) << r.where.toString() << " " << r.op.param;
    }
  });
  EXPECT_EQ(uses, 19);
  // A data file with comments, blank lines, CRLF and indentation.
  EXPECT_EQ(parseDataFile("# c\n\n  a b \r\nc\n   # d\n\t\n"),
            (std::vector<std::string>{"a b", "c"}));
}

TEST(SecLangCrs, VocabularyEveryRuleUsesIsTyped) {
  auto files = parseAll();
  std::map<std::string, int> ops;
  forEachRule(files, [&](const Rule& r) {
    ++ops[r.op.name];
    // Continuation lines never leak into an operator's parameter.
    EXPECT_EQ(r.op.param.find("\\\n"), std::string::npos) << r.where.toString();
    EXPECT_EQ(r.op.param.find('\n'), std::string::npos) << r.where.toString();
    EXPECT_EQ(r.op.param.find("   "), std::string::npos) << r.where.toString();
    EXPECT_TRUE(r.op.param.empty() || r.op.param.back() != ' ') << r.where.toString();
    for (const auto& t : r.actions.tags) EXPECT_EQ(t.find(' '), std::string::npos) << t;
    EXPECT_EQ(r.actions.msg.find("  "), std::string::npos) << r.where.toString();
  });
  EXPECT_EQ(ops["rx"], 265);  // 247 "@rx" + 18 "!@rx"
  EXPECT_EQ(ops["detectsqli"], 2);
  EXPECT_EQ(ops["detectxss"], 2);
  EXPECT_EQ(ops["unconditionalmatch"], 10);
}

TEST(SecLangCrs, KnownRulesReadAsModSecurityReadsThem) {
  auto files = parseAll();
  // 920460: "\\\\" in the file is one escaped backslash in the regex.
  const Rule* r = findRule(files, 920460);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->op.name, "rx");
  EXPECT_EQ(r->op.param.rfind("(?:^|[^\\\\])\\\\[cdeghijklmpqwxyz123456789]", 0), 0u)
      << r->op.param;
  EXPECT_EQ(r->where.file, "REQUEST-920-PROTOCOL-ENFORCEMENT.conf");

  // 942100: @detectSQLi with its transformations and tags.
  r = findRule(files, 942100);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->op.name, "detectsqli");
  EXPECT_EQ(r->op.param, "");
  EXPECT_EQ(r->actions.phase, 2);
  EXPECT_EQ(r->actions.disruptive, Disruptive::kBlock);
  EXPECT_TRUE(r->actions.capture);
  EXPECT_EQ(r->actions.severity, "CRITICAL");
  EXPECT_NE(std::find(r->actions.tags.begin(), r->actions.tags.end(), "paranoia-level/1"),
            r->actions.tags.end());
  EXPECT_EQ(r->actions.transforms.front(), Transform::kNone);
  ASSERT_FALSE(r->actions.setvars.empty());
  EXPECT_EQ(r->actions.setvars[0].collection, "tx");
  EXPECT_EQ(r->actions.setvars[0].op, SetVar::Op::kAdd);
  EXPECT_EQ(r->actions.setvars[0].value, "%{tx.critical_anomaly_score}");

  // 949110: the inbound blocking rule.
  r = findRule(files, 949110);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->targets.size(), 1u);
  EXPECT_EQ(r->targets[0].var, Var::kTx);
  EXPECT_EQ(r->targets[0].selector, "ANOMALY_SCORE");
  EXPECT_EQ(r->op.name, "ge");
  EXPECT_EQ(r->op.param, "%{tx.inbound_anomaly_score_threshold}");

  // 901001: a count target and an SecAction-like setvar.
  r = findRule(files, 901001);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->targets[0].count);
  EXPECT_EQ(r->targets[0].selector, "crs_setup_version");

  // A chain: 920180's second link exists and carries no id.
  int chains = 0;
  for (const auto& f : files) {
    for (const auto& d : f.directives) {
      if (d.rule && d.rule->chained) {
        ++chains;
        EXPECT_TRUE(d.rule->actions.chain);
        EXPECT_FALSE(d.rule->chained->actions.id);
      }
    }
  }
  EXPECT_GT(chains, 50);
}

// The printer: printing the whole CRS and reading it back gives the same model (its printed
// form is a fixed point), with the same rule count.
TEST(SecLangCrs, PrintedRuleSetReadsBackTheSame) {
  auto files = parseAll();
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    std::string printed = printSecLang(f.directives);
    auto again = parseSecLang(printed, f.name);
    ASSERT_TRUE(again.isOk()) << f.name << ": " << again.status().message();
    EXPECT_EQ(again->size(), f.directives.size()) << f.name;
    EXPECT_EQ(printSecLang(again.value()), printed) << f.name;
  }
  const Rule* r = findRule(files, 942100);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(printTargets(r->targets),
            "REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|REQUEST_COOKIES_NAMES|REQUEST_HEADERS:User-Agent|"
            "REQUEST_HEADERS:Referer|ARGS_NAMES|ARGS|XML:/*");
}

// The examples the CRS gives in comments (crs-setup.conf, the REQUEST-900 and RESPONSE-999
// exclusion templates) are what teams copy into their own exclusion files: uncommented, every
// one reads (one prose line without an id is rejected, as ModSecurity rejects it).
TEST(SecLangCrs, CommentedExamplesOfTheTemplatesParse) {
  const std::string_view kDirectives[] = {
      "SecRule ", "SecAction", "SecDefaultAction ", "SecRuleRemoveById ", "SecRuleRemoveByTag ",
      "SecRuleUpdateTargetById ", "SecRuleUpdateTargetByTag ", "SecRuleUpdateActionById "};
  int examples = 0;
  for (const char* name : {"crs-setup.conf", "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf",
                           "RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf"}) {
    std::string text = readFile(kSetupDir / name);
    ASSERT_FALSE(text.empty()) << name;
    std::istringstream in(text);
    std::string line, block;
    bool continuing = false;
    std::vector<std::string> blocks;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] != '#') {
        continuing = false;
        continue;
      }
      std::string body = line.substr(1);
      size_t first = body.find_first_not_of(" \t");
      std::string trimmed = first == std::string::npos ? "" : body.substr(first);
      bool starts = false;
      for (auto d : kDirectives) starts = starts || trimmed.rfind(d, 0) == 0;
      if (starts && trimmed.find("->") == std::string::npos &&
          trimmed.find(", ") == std::string::npos) {
        blocks.push_back(trimmed + "\n");
      } else if (continuing) {
        blocks.back() += body + "\n";
      } else {
        continue;
      }
      size_t last = body.find_last_not_of(" \t");
      continuing = last != std::string::npos && body[last] == '\\';
    }
    // A chain's next rule is its own commented block: join them.
    std::string all;
    for (const auto& b : blocks) all += b;
    auto r = parseSecLang(all, name);
    if (std::string_view(name) == "crs-setup.conf") {
      // "SecRule REQUEST_URI "@beginsWith /wordpress/" setvar:..." is prose: it has no id.
      ASSERT_FALSE(r.isOk());
      EXPECT_NE(r.status().message().find("rule has no id action"), std::string::npos)
          << r.status().message();
      size_t at = all.find("SecRule REQUEST_URI \"@beginsWith /wordpress/\" setvar");
      ASSERT_NE(at, std::string::npos);
      all.erase(at, all.find('\n', at) + 1 - at);
      r = parseSecLang(all, name);
    }
    ASSERT_TRUE(r.isOk()) << r.status().message() << "\n" << all;
    examples += static_cast<int>(r->size());
  }
  std::printf("examples in the CRS's comments that read: %d\n", examples);
  EXPECT_GT(examples, 40);
}

// Compiles `re` as the operators part does (DOTALL | DOLLAR_ENDONLY); "" when it compiles.
std::string pcreError(const std::string& re) {
  int code = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(re.data()), re.size(),
                                PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &code, &off, nullptr);
  if (c != nullptr) {
    pcre2_code_free(c);
    return "";
  }
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return std::string(reinterpret_cast<char*>(buf)) + " at offset " + std::to_string(off);
}

bool pcreMatches(const std::string& re, std::string_view subject) {
  int code = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(re.data()), re.size(),
                                PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &code, &off, nullptr);
  if (c == nullptr) return false;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(c, nullptr);
  int rc = pcre2_match(c, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, md,
                       nullptr);
  pcre2_match_data_free(md);
  pcre2_code_free(c);
  return rc >= 0;
}

// The quoting rules decide what the regex engine sees: every @rx (and every /regex/ selector) of
// the CRS, as read, compiles with PCRE2.
TEST(SecLangCrs, EveryRegexAsReadCompiles) {
  auto files = parseAll();
  int compiled = 0;
  forEachRule(files, [&](const Rule& r) {
    if (r.op.name == "rx" && r.op.param.find("%{") == std::string::npos) {
      EXPECT_EQ(pcreError(r.op.param), "") << r.where.toString() << " " << r.op.param;
      ++compiled;
    }
    for (const Target& t : r.targets) {
      if (t.selector_is_regex) {
        EXPECT_EQ(pcreError(t.selector), "") << r.where.toString() << " " << t.selector;
      }
    }
  });
  EXPECT_GT(compiled, 250);
}

// What the CRS regression tests expect of 920460 (abnormal escapes): a single backslash before
// a letter is caught, a doubled one is not. That holds only when "\\\\" in the file reads as
// one escaped backslash.
TEST(SecLangCrs, BackslashesAsTheRegressionTestsExpect) {
  auto files = parseAll();
  const Rule* r = findRule(files, 920460);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(pcreMatches(r->op.param, "file=cat /etc/\\passw\\d"));
  EXPECT_TRUE(pcreMatches(r->op.param, "\\c"));
  EXPECT_FALSE(pcreMatches(r->op.param, "\\\\c"));
  EXPECT_FALSE(pcreMatches(r->op.param, "plain text"));
  // The 932 (RCE) rules write [\\\\'\"] in the file: the class of backslash and both quotes.
  int with_class = 0;
  forEachRule(files, [&](const Rule& rule) {
    if (rule.where.file != "REQUEST-932-APPLICATION-ATTACK-RCE.conf") return;
    EXPECT_EQ(rule.op.param.find(R"([\\\\)"), std::string::npos) << rule.where.toString();
    if (rule.op.param.find(R"x([\\'"]*)x") != std::string::npos) ++with_class;
  });
  EXPECT_GE(with_class, 2);
}

}  // namespace
}  // namespace shipgate::managed
