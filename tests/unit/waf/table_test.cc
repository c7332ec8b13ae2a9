// Runs every tests/waf/*.test file (format: table_file.h). For each expression it also checks the
// printer round trip parse(print(ast)) == ast, and that the Cloudflare rewrite (printCloudflare)
// parses without warnings and gives the same verdicts. A last test checks that the files cover
// every field of the scheme, every function and every comparison operator.
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "shipgate/waf/filter.h"
#include "shipgate/waf/parser.h"
#include "shipgate/waf/request.h"
#include "table_file.h"

namespace shipgate::waf {
namespace {

using testing::TableBlock;

std::vector<std::string> testFiles() {
  std::vector<std::string> out;
  const char* root = std::getenv("SHIPGATE_SOURCE_DIR");
  if (root == nullptr) return out;
  for (auto& e : std::filesystem::directory_iterator(std::filesystem::path(root) / "tests/waf")) {
    if (e.path().extension() == ".test") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(const std::vector<std::string>& lines, const char* sep) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? sep : "") + lines[i];
  return out;
}

std::string where(const TableBlock& b) { return b.file + ":" + std::to_string(b.line); }

// Builds a request from a block; returns null (after a gtest failure) on bad input.
std::unique_ptr<OwnedRequest> buildRequest(const TableBlock& b) {
  std::vector<std::string> raw;
  std::vector<std::string> keys;
  for (const std::string& l : b.body) {
    if (l == ">" || l.rfind("> ", 0) == 0) {
      raw.push_back(l.size() > 2 ? l.substr(2) : "");
    } else {
      keys.push_back(l);
    }
  }
  std::unique_ptr<OwnedRequest> req;
  if (!raw.empty()) {
    auto parsed = parseRawHttpRequest(join(raw, "\r\n"));
    if (!parsed.isOk()) {
      ADD_FAILURE() << where(b) << ": " << parsed.status().message();
      return nullptr;
    }
    req = std::move(parsed.value());
  } else {
    req = std::make_unique<OwnedRequest>();
    req->setMethod("GET");
    req->setTarget("/");
  }
  for (const std::string& l : keys) {
    size_t colon = l.find(':');
    if (colon == std::string::npos) {
      ADD_FAILURE() << where(b) << ": bad request line: " << l;
      return nullptr;
    }
    std::string key = l.substr(0, colon);
    std::string value = l.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    Request& r = req->mutableRequest();
    if (key == "method") {
      req->setMethod(value);
    } else if (key == "target") {
      req->setTarget(value);
    } else if (key == "header") {
      size_t c = value.find(':');
      std::string v = c == std::string::npos ? "" : value.substr(c + 1);
      if (!v.empty() && v[0] == ' ') v.erase(0, 1);
      req->addHeader(value.substr(0, c), v);
    } else if (key == "ip") {
      r.client_ip = IpAddr::parse(value);
      if (!r.client_ip) ADD_FAILURE() << where(b) << ": bad ip " << value;
    } else if (key == "tls") {
      r.tls = value == "true";
    } else if (key == "body") {
      req->setBody(value);
    } else if (key == "body_size") {
      r.body_size = std::stoll(value);
    } else if (key == "bot_score") {
      r.bot_score = std::stoll(value);
    } else if (key == "verified_bot") {
      r.verified_bot = value == "true";
    } else if (key == "response_code") {
      r.response_code = std::stoll(value);
    } else if (key == "waf_score") {
      r.waf_score = std::stoll(value);
    } else if (key == "waf_score_sqli") {
      r.waf_score_sqli = std::stoll(value);
    } else if (key == "waf_score_xss") {
      r.waf_score_xss = std::stoll(value);
    } else if (key == "waf_score_rce") {
      r.waf_score_rce = std::stoll(value);
    } else if (key == "managed_matched_rules") {
      // Comma-separated rule ids; kept for the whole test run (the request holds a span).
      static std::deque<std::vector<int64_t>> lists;
      std::vector<int64_t>& ids = lists.emplace_back();
      std::stringstream in(value);
      for (std::string id; std::getline(in, id, ',');) ids.push_back(std::stoll(id));
      r.managed_matched_rules = ids;
    } else {
      ADD_FAILURE() << where(b) << ": unknown request key " << key;
      return nullptr;
    }
  }
  return req;
}

struct Options {
  CompileOptions compile;
  std::vector<std::string> warnings;
  std::optional<std::string> rewrite;
};

Options blockOptions(const TableBlock& b, const ListRegistry& lists) {
  Options o;
  o.compile.lists = &lists;
  for (const std::string& opt : b.options) {
    size_t colon = opt.find(':');
    std::string key = opt.substr(0, colon);
    std::string value = opt.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (key == "normalize") {
      std::istringstream words(value);
      std::string w;
      while (words >> w) {
        if (!w.empty() && w.back() == ',') w.pop_back();
        auto n = parseNormalizer(w);
        if (n)
          o.compile.normalize.push_back(*n);
        else
          ADD_FAILURE() << where(b) << ": unknown normaliser " << w;
      }
    } else if (key == "warning") {
      o.warnings.push_back(value);
    } else {
      o.rewrite = value;
    }
  }
  return o;
}

// parse(print(ast)) == ast, and printing is idempotent.
void checkRoundTrip(const TableBlock& b, const Scheme& scheme, const Node& ast) {
  std::string printed = printExpression(ast);
  ParseOutput again = parseExpression(printed, scheme);
  ASSERT_TRUE(again.ok()) << where(b) << ": canonical form does not parse: " << printed << "\n"
                          << again.error->render(printed, "error");
  EXPECT_EQ(dumpAst(*again.root), dumpAst(ast)) << where(b) << ": round trip changed the tree\n"
                                                << printed;
  EXPECT_EQ(printExpression(*again.root), printed) << where(b);
}

class TableFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TableFileTest, Passes) {
  const Scheme scheme = Scheme::http();
  std::map<std::string, std::unique_ptr<OwnedRequest>> requests;
  ListRegistry lists;
  auto blocks = testing::readTableFile(GetParam());
  ASSERT_FALSE(blocks.empty()) << GetParam();
  int checks = 0;
  for (const TableBlock& b : blocks) {
    SCOPED_TRACE(where(b));
    if (b.kind == "request") {
      ASSERT_EQ(b.args.size(), 1u) << where(b) << ": request NAME";
      auto r = buildRequest(b);
      ASSERT_NE(r, nullptr);
      requests[b.args[0]] = std::move(r);
      continue;
    }
    if (b.kind == "list") {
      ASSERT_EQ(b.args.size(), 2u) << where(b) << ": list NAME TYPE";
      Kind kind = b.args[1] == "int" ? Kind::kInt : b.args[1] == "ip" ? Kind::kIp : Kind::kBytes;
      auto list = makeNamedList(kind, b.body);
      ASSERT_TRUE(list.isOk()) << where(b) << ": " << list.status().message();
      lists[b.args[0]] = std::move(list.value());
      continue;
    }
    const std::string expr = join(b.body, "\n");
    if (b.kind == "format") {
      auto sep = std::find(b.body.begin(), b.body.end(), "----");
      ASSERT_NE(sep, b.body.end()) << where(b) << ": format needs a ---- line";
      std::string input = join({b.body.begin(), sep}, "\n");
      std::string want = join({sep + 1, b.body.end()}, "\n");
      auto got = formatExpression(input);
      ASSERT_TRUE(got.isOk()) << where(b) << ": " << got.status().message();
      EXPECT_EQ(got.value(), want) << where(b);
      ParseOutput p = parseExpression(input, scheme);
      checkRoundTrip(b, scheme, *p.root);
      ++checks;
      continue;
    }
    Options opts = blockOptions(b, lists);
    CompileOutput out = compileExpression(expr, scheme, opts.compile);
    std::string all_warnings;
    for (const Diagnostic& w : out.warnings) all_warnings += w.render(expr, "warning") + "\n";
    for (const std::string& w : opts.warnings) {
      EXPECT_NE(all_warnings.find(w), std::string::npos)
          << where(b) << ": expected a warning containing \"" << w << "\", got:\n"
          << all_warnings;
    }
    if (opts.warnings.empty() && b.kind != "error") {
      EXPECT_TRUE(out.warnings.empty()) << where(b) << ": unexpected warnings:\n" << all_warnings;
    }
    if (opts.rewrite) {
      ASSERT_FALSE(out.warnings.empty()) << where(b);
      EXPECT_EQ(out.warnings[0].rewrite, *opts.rewrite) << where(b);
    }
    if (b.kind == "error") {
      ASSERT_EQ(b.args.size(), 2u) << where(b) << ": error LINE:COL TEXT";
      ASSERT_FALSE(out.ok()) << where(b) << ": expected an error, but it compiled:\n" << expr;
      std::string at = std::to_string(out.error->line) + ":" + std::to_string(out.error->column);
      std::string rendered = out.error->render(expr, "error");
      EXPECT_EQ(at, b.args[0]) << where(b) << ":\n" << rendered;
      EXPECT_NE(out.error->message.find(b.args[1]), std::string::npos)
          << where(b) << ": message lacks \"" << b.args[1] << "\":\n"
          << rendered;
      EXPECT_NE(rendered.find('^'), std::string::npos) << rendered;
      if (out.ast) checkRoundTrip(b, scheme, *out.ast);  // parsed, failed to compile
      ++checks;
      continue;
    }
    ASSERT_TRUE(b.kind == "match" || b.kind == "nomatch")
        << where(b) << ": unknown block " << b.kind;
    ASSERT_TRUE(out.ok()) << where(b) << ":\n" << out.error->render(expr, "error");
    ASSERT_FALSE(b.args.empty()) << where(b) << ": name at least one request";
    checkRoundTrip(b, scheme, *out.ast);
    // The Cloudflare rewrite is warning-free and behaves the same.
    std::string cf = printCloudflare(*out.ast);
    CompileOutput cf_out = compileExpression(cf, scheme, opts.compile);
    ASSERT_TRUE(cf_out.ok()) << where(b) << ": rewrite does not compile: " << cf;
    for (const Diagnostic& w : cf_out.warnings) {
      EXPECT_EQ(w.message.find("not Cloudflare"), std::string::npos) << where(b) << ": " << cf;
      EXPECT_EQ(w.message.find("expects an Array<Bool>"), std::string::npos) << where(b);
    }
    const bool want = b.kind == "match";
    for (const std::string& name : b.args) {
      auto it = requests.find(name);
      ASSERT_NE(it, requests.end()) << where(b) << ": unknown request " << name;
      EXPECT_EQ(out.filter->matches(it->second->request()), want)
          << where(b) << ": request " << name << ": " << expr;
      EXPECT_EQ(cf_out.filter->matches(it->second->request()), want)
          << where(b) << ": rewrite, request " << name << ": " << cf;
      ++checks;
    }
  }
  EXPECT_GT(checks, 0) << GetParam() << " has no checks";
}

INSTANTIATE_TEST_SUITE_P(Files, TableFileTest, ::testing::ValuesIn(testFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = std::filesystem::path(info.param).stem().string();
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

void collect(const Node& n, std::set<std::string>& fields, std::set<std::string>& functions,
             std::set<int>& ops) {
  if (n.kind == NodeKind::kField) fields.insert(n.name);
  if (n.kind == NodeKind::kCall) functions.insert(n.name);
  if (n.kind == NodeKind::kCompare) ops.insert(static_cast<int>(n.compare));
  for (const auto& k : n.kids) collect(*k, fields, functions, ops);
}

TEST(TableFiles, FoundAndCoverEveryFieldFunctionAndOperator) {
  auto files = testFiles();
  ASSERT_FALSE(files.empty()) << "no tests/waf/*.test (is SHIPGATE_SOURCE_DIR set?)";
  const Scheme scheme = Scheme::http();
  std::set<std::string> fields, functions;
  std::set<int> ops;
  ListRegistry none;
  for (const std::string& f : files) {
    for (const TableBlock& b : testing::readTableFile(f)) {
      if (b.kind != "match" && b.kind != "nomatch") continue;
      ParseOutput p = parseExpression(join(b.body, "\n"), scheme);
      if (p.ok()) collect(*p.root, fields, functions, ops);
    }
  }
  for (const FieldDef& f : scheme.fields()) EXPECT_TRUE(fields.count(f.name)) << f.name;
  for (const char* fn : {"any", "all", "lower", "upper", "len", "starts_with", "ends_with",
                         "concat", "substring", "url_decode", "to_string"}) {
    EXPECT_TRUE(functions.count(fn)) << fn;
  }
  for (int op = 0; op <= static_cast<int>(CompareOp::kInList); ++op) {
    EXPECT_TRUE(ops.count(op)) << "CompareOp " << op;
  }
}

}  // namespace
}  // namespace shipgate::waf
