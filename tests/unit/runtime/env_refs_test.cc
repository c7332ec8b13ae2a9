// Env references (secret:/path, ${NAME}): the parsers, the expansion, and the config errors
// readRuntime reports for them with their location.
#include "shipgate/runtime/env_refs.h"

#include <gtest/gtest.h>

#include <map>

#include "shipgate/config/loader.h"
#include "shipgate/config/section.h"
#include "shipgate/runtime/runtime_config.h"

namespace shipgate::runtime {
namespace {

EnvLookup mapLookup(std::map<std::string, std::string> m) {
  return [m](const std::string& name) -> std::optional<std::string> {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

TEST(SecretRefTest, ParsesPathVersionAndLabel) {
  auto plain = parseSecretRef("postgres://x");
  ASSERT_TRUE(plain.isOk());
  EXPECT_FALSE(plain->has_value());

  auto latest = parseSecretRef("secret:/coinestate/prod/database/url");
  ASSERT_TRUE(latest.isOk()) << latest.status().message();
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->path, "/coinestate/prod/database/url");
  EXPECT_FALSE((*latest)->version.has_value());
  EXPECT_EQ((*latest)->label, "");
  EXPECT_EQ((*latest)->describe(), "/coinestate/prod/database/url");

  auto v3 = parseSecretRef("secret:/a/b#3");
  ASSERT_TRUE(v3.isOk());
  EXPECT_EQ((*v3)->version, 3);
  EXPECT_EQ((*v3)->describe(), "/a/b#3");

  auto label = parseSecretRef("secret:/a/b@stable");
  ASSERT_TRUE(label.isOk());
  EXPECT_EQ((*label)->label, "stable");
  EXPECT_EQ((*label)->describe(), "/a/b@stable");
}

TEST(SecretRefTest, RefusesMalformedReferencesWithTheReason) {
  struct Case {
    const char* text;
    const char* expect;
  };
  for (const Case& c :
       {Case{"secret:", "secret reference: "}, Case{"secret:a/b", "secret reference: "},
        Case{"secret:/a/../b", "secret reference: "},
        Case{"secret:/a/b#0", "the version after '#' must be a positive integer"},
        Case{"secret:/a/b#x1", "(got \"x1\")"}, Case{"secret:/a/b@", "the label after '@'"},
        Case{"secret:/a/b@123", "not only digits (got \"123\")"}}) {
    auto r = parseSecretRef(c.text);
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.text << ": " << r.status().message();
  }
}

TEST(ExpandVariablesTest, ReplacesFromTheEnvironmentAndKeepsOtherDollars) {
  auto lookup = mapLookup({{"HOST", "db.internal"}, {"EMPTY", ""}, {"_X1", "y"}});
  EXPECT_EQ(*expandVariables("postgres://${HOST}:5432/${_X1}", lookup),
            "postgres://db.internal:5432/y");
  EXPECT_EQ(*expandVariables("a${EMPTY}b", lookup), "ab");
  EXPECT_EQ(*expandVariables("cost $5 and $HOST", lookup), "cost $5 and $HOST");
  EXPECT_EQ(*expandVariables("literal $${HOST}", lookup), "literal ${HOST}");
  EXPECT_EQ(*expandVariables("trailing $", lookup), "trailing $");
  EXPECT_EQ(*expandVariables("", lookup), "");
}

TEST(ExpandVariablesTest, AnUnsetVariableIsAnErrorNamingIt) {
  auto r = expandVariables("x ${HOST} ${NOPE}", mapLookup({{"HOST", "h"}}));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "${NOPE}: NOPE is not set in shipgate's environment");
}

TEST(ExpandVariablesTest, SyntaxProblemsCarryTheirOffset) {
  auto unterminated = checkVariables("ab ${HOST");
  ASSERT_TRUE(unterminated.has_value());
  EXPECT_EQ(unterminated->offset, 3u);
  EXPECT_EQ(unterminated->message, "unterminated ${ (no closing })");
  auto empty = checkVariables("${}");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->message, "empty ${} (name a variable)");
  auto bad = checkVariables("x${1A}");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->offset, 1u);
  EXPECT_NE(bad->message.find("${1A}: not a variable name"), std::string::npos);
  EXPECT_FALSE(checkVariables("$${1A} ${OK} $x").has_value());
  EXPECT_FALSE(expandVariables("${1A}", mapLookup({})).isOk());
}

TEST(ExpandVariablesTest, ProcessEnvironmentReadsGetenv) {
  ::setenv("SHIPGATE_ENV_REFS_TEST", "v1", 1);
  ::unsetenv("SHIPGATE_ENV_REFS_UNSET");
  EnvLookup env = processEnvironment();
  EXPECT_EQ(env("SHIPGATE_ENV_REFS_TEST"), std::optional<std::string>("v1"));
  EXPECT_EQ(env("SHIPGATE_ENV_REFS_UNSET"), std::nullopt);
}

// The same checks at config time, through readRuntime with file:line:col.
struct RuntimeSettings : config::SectionSettings {
  RuntimeConfig runtime;
};
class TestValidator : public config::SectionValidator {
 public:
  std::string_view key() const override { return "x-runtime-test"; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config&, const config::YNode& document,
      config::Diagnostics& diags) const override {
    const config::YEntry* e = document.find("x-runtime");
    if (e == nullptr) return nullptr;
    config::MapView view(e->value, "apps.api.release.runtime", diags);
    auto s = std::make_shared<RuntimeSettings>();
    if (!readRuntime(view, s->runtime)) return nullptr;
    return s;
  }
};

config::LoadResult load(const std::string& yaml) {
  static TestValidator validator;
  return config::loadString(yaml, "shipgate.yaml", {&validator});
}

TEST(EnvRefsConfigTest, ValidReferencesAreKeptAsWritten) {
  auto r = load(
      "x-runtime:\n  command: run --db ${DB_HOST}\n  ports: \"9200-9201\"\n"
      "  env: {DATABASE_URL: \"secret:/coinestate/prod/database/url\", "
      "HOST: \"${DB_HOST}:5432\", PINNED: \"secret:/a/b#2\"}\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  const auto& rt =
      static_cast<const RuntimeSettings&>(*r.config->sections.at("x-runtime-test")).runtime;
  ASSERT_EQ(rt.env.size(), 3u);
  EXPECT_EQ(rt.env[0].second, "secret:/coinestate/prod/database/url");
  EXPECT_EQ(rt.env[1].second, "${DB_HOST}:5432");
  EXPECT_EQ(rt.argv[2], "${DB_HOST}");
}

TEST(EnvRefsConfigTest, BadReferencesAreLocatedErrors) {
  struct Case {
    const char* yaml;
    const char* expect;
  };
  for (const Case& c : {
           Case{"x-runtime:\n  command: run\n  ports: \"9200-9201\"\n"
                "  env: {DB: \"secret:/a//b\"}\n",
                "shipgate.yaml:4:13: error: apps.api.release.runtime.env.DB: secret reference: "},
           Case{"x-runtime:\n  command: run\n  ports: \"9200-9201\"\n"
                "  env: {DB: \"secret:/a/b#zero\"}\n",
                "apps.api.release.runtime.env.DB: secret reference: the version after '#'"},
           Case{"x-runtime:\n  command: run\n  ports: \"9200-9201\"\n"
                "  env: {DB: \"x ${HOST\"}\n",
                "shipgate.yaml:4:16: error: apps.api.release.runtime.env.DB: unterminated ${"},
           Case{"x-runtime:\n  command: run ${9X}\n  ports: \"9200-9201\"\n",
                "shipgate.yaml:2:16: error: apps.api.release.runtime.command: ${9X}: not a "
                "variable name"},
       }) {
    auto r = load(c.yaml);
    EXPECT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.toString().find(c.expect), std::string::npos) << c.yaml << "\n" << r.toString();
  }
}

}  // namespace
}  // namespace shipgate::runtime
