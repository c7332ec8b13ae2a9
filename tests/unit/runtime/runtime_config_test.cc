// readRuntime through the real config loader: a test validator hands it the map under the
// top-level key "x-runtime" (ignored by the loader), as the release area hands it
// apps.<app>.release.runtime, so diagnostics carry real file:line:col.
#include "shipgate/runtime/runtime_config.h"

#include <gtest/gtest.h>

#include "shipgate/config/loader.h"
#include "shipgate/config/section.h"

namespace shipgate::runtime {
namespace {

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

struct Loaded {
  config::LoadResult result;
  const RuntimeConfig* runtime = nullptr;
  std::string errors;
};

Loaded load(const std::string& yaml) {
  static TestValidator validator;
  Loaded l;
  l.result = config::loadString(yaml, "shipgate.yaml", {&validator});
  l.errors = l.result.toString();
  if (l.result.ok()) {
    auto it = l.result.config->sections.find("x-runtime-test");
    if (it != l.result.config->sections.end()) {
      l.runtime = &static_cast<const RuntimeSettings&>(*it->second).runtime;
    }
  }
  return l;
}

TEST(RuntimeConfigTest, ReadsEveryKey) {
  Loaded l = load(R"(
x-runtime:
  kind: process
  command: "{release_dir}/coinestate-api --port {port} --name 'two words' --version {version}"
  replicas: 2
  ports: "9200-9299"
  env: {NODE_ENV: production, SELF: "http://127.0.0.1:{port}/"}
  stop_grace: 3s
  logs: {max_bytes: 1MiB, keep: 5}
  restart: {initial_backoff: 100ms, max_backoff: 5s, crash_loop_restarts: 4, crash_loop_window: 30s}
)");
  ASSERT_NE(l.runtime, nullptr) << l.errors;
  const RuntimeConfig& r = *l.runtime;
  EXPECT_EQ(r.kind, RuntimeKind::kProcess);
  EXPECT_EQ(r.argv, (std::vector<std::string>{"{release_dir}/coinestate-api", "--port", "{port}",
                                              "--name", "two words", "--version", "{version}"}));
  EXPECT_EQ(r.replicas, 2);
  EXPECT_EQ(r.ports.first, 9200);
  EXPECT_EQ(r.ports.last, 9299);
  ASSERT_EQ(r.env.size(), 2u);
  EXPECT_EQ(r.env[0], (std::pair<std::string, std::string>{"NODE_ENV", "production"}));
  EXPECT_EQ(r.env[1].second, "http://127.0.0.1:{port}/");
  EXPECT_EQ(r.stop_grace, Millis(3000));
  EXPECT_EQ(r.logs.max_bytes, 1024u * 1024u);
  EXPECT_EQ(r.logs.keep, 5);
  EXPECT_EQ(r.restart.initial_backoff, Millis(100));
  EXPECT_EQ(r.restart.max_backoff, Millis(5000));
  EXPECT_EQ(r.restart.crash_loop_restarts, 4);
  EXPECT_EQ(r.restart.crash_loop_window, Millis(30000));
}

TEST(RuntimeConfigTest, DefaultsAndStaticKind) {
  Loaded l = load(R"(
x-runtime:
  kind: static
  static: {site: frontend, max_archive_bytes: 64MiB}
)");
  ASSERT_NE(l.runtime, nullptr) << l.errors;
  EXPECT_EQ(l.runtime->kind, RuntimeKind::kStatic);
  EXPECT_EQ(l.runtime->static_site.site, "frontend");
  EXPECT_EQ(l.runtime->static_site.max_archive_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(l.runtime->static_site.max_entries, 100'000u);
  EXPECT_EQ(l.runtime->stop_grace, Millis(10'000));
  EXPECT_EQ(l.runtime->logs.keep, 3);
  EXPECT_EQ(l.runtime->restart.crash_loop_restarts, 5);
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* expect;  // "line:col: error: ..." fragment
};

class RuntimeConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(RuntimeConfigErrorTest, IsReportedWithItsLocation) {
  Loaded l = load(GetParam().yaml);
  EXPECT_FALSE(l.result.ok()) << GetParam().name;
  EXPECT_NE(l.errors.find(GetParam().expect), std::string::npos)
      << GetParam().name << ":\n" << l.errors;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RuntimeConfigErrorTest,
    ::testing::Values(
        BadCase{"misspelt key",
                "x-runtime:\n  command: run\n  ports: \"9200-9201\"\n  replica: 2\n",
                "shipgate.yaml:4:3: error: unknown key \"replica\" in apps.api.release.runtime "
                "(did you mean \"replicas\"?)"},
        BadCase{"unterminated quote",
                "x-runtime:\n  command: \"run --name 'oops\"\n  ports: \"9200-9201\"\n",
                "shipgate.yaml:2:24: error: apps.api.release.runtime.command: unterminated "
                "single quote"},
        BadCase{"unknown placeholder",
                "x-runtime:\n  command: run --port {prot}\n  ports: \"9200-9201\"\n",
                "shipgate.yaml:2:23: error: apps.api.release.runtime.command: unknown "
                "placeholder {prot} (did you mean \"port\"?)"},
        BadCase{"bad range", "x-runtime:\n  command: run\n  ports: \"9300-9200\"\n",
                "shipgate.yaml:3:10: error: apps.api.release.runtime.ports: \"9300-9200\": the "
                "first port is above the last"},
        BadCase{"range not ports", "x-runtime:\n  command: run\n  ports: \"abc\"\n",
                "apps.api.release.runtime.ports: \"abc\" is not a port range"},
        BadCase{"range too small",
                "x-runtime:\n  command: run\n  ports: \"9200-9201\"\n  replicas: 3\n",
                "apps.api.release.runtime.ports: 2 port(s) for 3 replicas"},
        BadCase{"no command", "x-runtime:\n  ports: \"9200-9201\"\n",
                "shipgate.yaml:2:3: error: apps.api.release.runtime: kind process needs a "
                "command"},
        BadCase{"no ports", "x-runtime:\n  command: run\n",
                "apps.api.release.runtime: kind process needs a port range"},
        BadCase{"bad kind", "x-runtime:\n  kind: docker\n",
                "apps.api.release.runtime.kind"},
        BadCase{"PORT in env",
                "x-runtime:\n  command: run\n  ports: \"9200-9201\"\n  env: {PORT: 1}\n",
                "shipgate.yaml:4:9: error: apps.api.release.runtime.env.PORT: PORT is set by "
                "the supervisor"},
        BadCase{"bad env name",
                "x-runtime:\n  command: run\n  ports: \"9200-9201\"\n  env: {\"A-B\": 1}\n",
                "apps.api.release.runtime.env.A-B: not a valid environment variable name"},
        BadCase{"backoff order",
                "x-runtime:\n  command: run\n  ports: \"9200-9201\"\n  restart: "
                "{initial_backoff: 2s, max_backoff: 1s}\n",
                "apps.api.release.runtime.restart.max_backoff: must not be below "
                "initial_backoff"},
        BadCase{"misspelt restart key",
                "x-runtime:\n  command: run\n  ports: \"9200-9201\"\n  restart: "
                "{crash_loop_restart: 2}\n",
                "shipgate.yaml:4:13: error: unknown key \"crash_loop_restart\" in "
                "apps.api.release.runtime.restart (did you mean \"crash_loop_restarts\"?)"},
        BadCase{"command on static", "x-runtime:\n  kind: static\n  command: run\n",
                "apps.api.release.runtime.command: only for kind: process"},
        BadCase{"static on process",
                "x-runtime:\n  command: run\n  ports: \"9200-9201\"\n  static: {site: x}\n",
                "apps.api.release.runtime.static: only for kind: static"},
        BadCase{"logs too small",
                "x-runtime:\n  command: run\n  ports: \"9200-9201\"\n  logs: {max_bytes: 10}\n",
                "apps.api.release.runtime.logs.max_bytes: must be at least 1024 bytes"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string n = info.param.name;
      for (char& c : n) {
        if (c == ' ') c = '_';
      }
      return n;
    });

TEST(SplitCommandTest, ShellLikeQuotingWithoutAShell) {
  std::vector<std::string> argv;
  SplitError err;
  ASSERT_TRUE(splitCommand(R"(  a  'b c' "d \"e\" \$HOME" f\ g 'it''s' "" x$y)", argv, err));
  EXPECT_EQ(argv, (std::vector<std::string>{"a", "b c", "d \"e\" $HOME", "f g", "its", "",
                                            "x$y"}));
  EXPECT_FALSE(splitCommand("run \"open", argv, err));
  EXPECT_EQ(err.message, "unterminated double quote");
  EXPECT_EQ(err.offset, 4u);
  EXPECT_FALSE(splitCommand("run \\", argv, err));
  EXPECT_FALSE(splitCommand("   ", argv, err));
  EXPECT_EQ(err.message, "the command is empty");
}

TEST(PlaceholderTest, ExpandsKnownNamesOnly) {
  PlaceholderValues v{9201, "v1.2.3", "/srv/rel eases/v1", 1};
  EXPECT_EQ(expandPlaceholders("{release_dir}/bin --port={port} {version}#{replica} {other} {} {",
                               v),
            "/srv/rel eases/v1/bin --port=9201 v1.2.3#1 {other} {} {");
  EXPECT_EQ(findUnknownPlaceholder("{port} {json: 1} {prot}").name, "prot");
  EXPECT_EQ(findUnknownPlaceholder("{port} {json: 1} {prot}").offset, 17u);
  EXPECT_TRUE(findUnknownPlaceholder("{\"a\":1} {port}").name.empty());
}

TEST(PortRangeTest, Parses) {
  auto r = parsePortRange("9200-9299");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->size(), 100);
  auto one = parsePortRange("8080");
  ASSERT_TRUE(one.isOk());
  EXPECT_EQ(one->first, 8080);
  EXPECT_EQ(one->last, 8080);
  for (const char* bad : {"", "0-10", "9200-70000", "-5", "92a0", "9200-", "1-2-3"}) {
    EXPECT_FALSE(parsePortRange(bad).isOk()) << bad;
  }
}

}  // namespace
}  // namespace shipgate::runtime

namespace shipgate::runtime {
namespace {

TEST(RuntimeConfigTest, UserAndGroup) {
  Loaded l = load(R"(
x-runtime: {kind: process, command: "./run", ports: "9200-9201", user: nobody, group: nogroup}
)");
  ASSERT_NE(l.runtime, nullptr) << l.errors;
  EXPECT_EQ(l.runtime->user, "nobody");
  EXPECT_EQ(l.runtime->group, "nogroup");
  EXPECT_FALSE(l.runtime->non_root_user);  // the release area sets it from container_security

  Loaded bad = load(R"(
x-runtime: {kind: process, command: "./run", ports: "9200-9201", group: nogroup}
)");
  EXPECT_EQ(bad.runtime, nullptr);
  EXPECT_NE(bad.errors.find("shipgate.yaml:2:66: error: apps.api.release.runtime.group: needs user"),
            std::string::npos)
      << bad.errors;
  Loaded stat = load(R"(
x-runtime: {kind: static, static: {site: web}, user: nobody}
)");
  EXPECT_NE(stat.errors.find("apps.api.release.runtime.user: only for kind: process"),
            std::string::npos)
      << stat.errors;
}

}  // namespace
}  // namespace shipgate::runtime
