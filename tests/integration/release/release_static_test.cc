// Static-site releases through the real binary: `shipgate serve` with a managed app whose runtime
// is `static` (its site `www` serves the live release's directory), driven by the real CLI.
// Releases come from folders and .tar.gz archives (made with `tar`, or crafted with python3's
// tarfile to carry entries the import must refuse). Each test asserts what a user of the site
// sees: the exact status and body the gateway serves for Host www.test, the CLI's exit status and
// words, the recorded deployments, the release directories left on disk.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "release_util.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

// What the site serves before any release: the root the config names.
constexpr const char* kInitialPage = "initial page\n";

std::string pageOf(const std::string& version) { return "<h1>release " + version + "</h1>\n"; }

// A deployer whose config has, besides the process app `api`, the static app `www` (production,
// no approval) serving site `www` (Host www.test). `bake` is www's own bake.
struct StaticSite {
  explicit StaticSite(int keep_releases = 5, const std::string& bake = "1s",
                      const std::string& max_archive_bytes = "1MiB")
      : d(settings()) {
    d.dir().writeFile("initial/index.html", kInitialPage);
    d.settings().extra_sites =
        "  - {name: www, hosts: [www.test], static: {root: \"" + d.dir().file("initial") + "\"}}\n";
    setApp(keep_releases, bake, max_archive_bytes);
  }
  static Deployer::Settings settings() {
    Deployer::Settings s;
    s.approval = "none";
    return s;
  }
  void setApp(int keep_releases, const std::string& bake, const std::string& max_archive_bytes) {
    d.settings().extra_yaml =
        "  www:\n"
        "    environment: production\n"
        "    release:\n"
        "      runtime: {kind: static, static: {site: www, "
        "max_archive_bytes: " +
        max_archive_bytes +
        "}}\n"
        "      keep_releases: " +
        std::to_string(keep_releases) +
        "\n"
        "      bake: " +
        bake + "\n";
  }

  // A release folder for `version`: index.html with pageOf(version) and an asset.
  std::string folder(const std::string& version) {
    d.dir().writeFile("src/" + version + "/index.html", pageOf(version));
    d.dir().writeFile("src/" + version + "/assets/app.js", "console.log('" + version + "');\n");
    return d.dir().file("src/" + version);
  }
  // The same as a .tar.gz made by tar(1).
  std::string tarball(const std::string& version) {
    const std::string dir = folder(version);
    const std::string out = d.dir().file(version + ".tar.gz");
    const std::string cmd = "tar czf '" + out + "' -C '" + dir + "' .";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
  }
  // A .tar.gz with index.html and one more entry named `bad_name` written as it is: a regular
  // file, or a symbolic link to `link_target` when that is given.
  std::string craftedTarball(const std::string& file, const std::string& bad_name,
                             const std::string& link_target = "") {
    const std::string out = d.dir().file(file);
    const std::string script =
        d.dir().writeFile("craft.py",
                          "import io, sys, tarfile\n"
                          "out, bad, link = sys.argv[1], sys.argv[2], sys.argv[3]\n"
                          "with tarfile.open(out, 'w:gz') as t:\n"
                          "    page = b'<h1>crafted</h1>\\n'\n"
                          "    info = tarfile.TarInfo('index.html')\n"
                          "    info.size = len(page)\n"
                          "    t.addfile(info, io.BytesIO(page))\n"
                          "    info = tarfile.TarInfo(bad)\n"
                          "    if link:\n"
                          "        info.type = tarfile.SYMTYPE\n"
                          "        info.linkname = link\n"
                          "        t.addfile(info)\n"
                          "    else:\n"
                          "        evil = b'evil\\n'\n"
                          "        info.size = len(evil)\n"
                          "        t.addfile(info, io.BytesIO(evil))\n");
    const std::string cmd =
        "python3 '" + script + "' '" + out + "' '" + bad_name + "' '" + link_target + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
  }

  CliResult deploy(const std::string& version, const std::string& artifact) {
    return d.cli({"deploy", "--app", "www", "--version", version, "--artifact", artifact, "--lines",
                  "--reason", "release " + version});
  }
  CliResult rollback(std::vector<std::string> extra) {
    std::vector<std::string> args = {"rollback", "--app", "www", "--lines"};
    args.insert(args.end(), extra.begin(), extra.end());
    return d.cli(args);
  }
  // GET / for Host www.test: "<status> <body>".
  std::string page() {
    auto r = testsupport::httpGet(d.httpPort(), "/", {{"Host", "www.test"}});
    return std::to_string(r.status) + " " + r.body;
  }
  std::string releaseDir(const std::string& version) const {
    return d.stateDir() + "/static/www/" + version;
  }
  json deployment(const std::string& id) { return d.apiJson("GET", "/api/v1/deployments/" + id); }

  Deployer d;
};

std::string served(const std::string& version) { return "200 " + pageOf(version); }

TEST(ReleaseStatic, FolderThenTarGzChangesThePageAndBothAreListed) {
  StaticSite s;
  ASSERT_TRUE(s.d.startServe());
  EXPECT_EQ(s.page(), std::string("200 ") + kInitialPage);

  CliResult v1 = s.deploy("v1", s.folder("v1"));
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << s.d.serveLogs();
  EXPECT_NE(v1.out.find("www v1 is live"), std::string::npos) << v1.out;
  EXPECT_EQ(s.page(), served("v1"));
  auto asset = testsupport::httpGet(s.d.httpPort(), "/assets/app.js", {{"Host", "www.test"}});
  EXPECT_EQ(asset.status, 200);
  EXPECT_EQ(asset.body, "console.log('v1');\n");

  CliResult v2 = s.deploy("v2", s.tarball("v2"));
  ASSERT_EQ(v2.exit_code, 0) << v2.out << v2.err << s.d.serveLogs();
  EXPECT_NE(v2.out.find("www v2 is live"), std::string::npos) << v2.out;
  EXPECT_EQ(s.page(), served("v2"));

  json dep = s.deployment(acceptedId(v2.out));
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
  EXPECT_EQ(dep["previous_version"], "v1") << dep.dump(2);

  CliResult releases = s.d.cli({"releases", "--app", "www", "--json"});
  ASSERT_EQ(releases.exit_code, 0) << releases.err;
  json r = json::parse(releases.out, nullptr, false);
  ASSERT_TRUE(r.is_object()) << releases.out;
  ASSERT_EQ(r["releases"].size(), 2u) << r.dump(2);
  EXPECT_EQ(r["releases"][0]["version"], "v2") << r.dump(2);
  EXPECT_EQ(r["releases"][0]["live"], true) << r.dump(2);
  EXPECT_EQ(r["releases"][1]["version"], "v1") << r.dump(2);
  EXPECT_EQ(r["releases"][1]["live"], false) << r.dump(2);
  CliResult text = s.d.cli({"releases", "--app", "www"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("v1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("v2"), std::string::npos) << text.out;

  // Both releases are immutable directories in the state directory.
  EXPECT_EQ(testsupport::readFile(s.releaseDir("v1") + "/index.html"), pageOf("v1"));
  EXPECT_EQ(testsupport::readFile(s.releaseDir("v2") + "/index.html"), pageOf("v2"));
  struct stat st {};
  ASSERT_EQ(::stat((s.releaseDir("v2") + "/index.html").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u) << "a release's files are read-only";
}

TEST(ReleaseStatic, UnsafeOrOversizedArchivesAreRefusedAndTheOldReleaseStays) {
  StaticSite s(/*keep_releases=*/5, "1s", /*max_archive_bytes=*/"64KiB");
  ASSERT_TRUE(s.d.startServe());
  CliResult v1 = s.deploy("v1", s.folder("v1"));
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << s.d.serveLogs();
  ASSERT_EQ(s.page(), served("v1"));

  struct Bad {
    std::string version, archive, named, why;
  };
  std::vector<Bad> bad = {
      {"v2", s.craftedTarball("dotdot.tar.gz", "../evil"), "../evil", "\"..\""},
      {"v3", s.craftedTarball("absolute.tar.gz", "/tmp/shipgate-evil"), "/tmp/shipgate-evil",
       "absolute path"},
      {"v4", s.craftedTarball("link.tar.gz", "up", "../../../etc/passwd"), "up",
       "leaves the release tree"},
  };
  // Over static.max_archive_bytes (64 KiB): one 100 KiB file.
  s.d.dir().writeFile("big/index.html", std::string(100 * 1024, 'x'));
  const std::string big = s.d.dir().file("big.tar.gz");
  ASSERT_EQ(std::system(("tar czf '" + big + "' -C '" + s.d.dir().file("big") + "' .").c_str()), 0);
  bad.push_back({"v5", big, "index.html", "limit static.max_archive_bytes"});

  for (const Bad& b : bad) {
    SCOPED_TRACE(b.archive);
    CliResult r = s.deploy(b.version, b.archive);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string said = r.out + r.err;
    EXPECT_NE(said.find(b.named), std::string::npos) << said;
    EXPECT_NE(said.find(b.why), std::string::npos) << said;
    json dep = s.deployment(acceptedId(r.out));
    EXPECT_EQ(dep["state"], "failed") << dep.dump(2);
    EXPECT_NE(dep.value("failure", std::string()).find(b.named), std::string::npos) << dep.dump(2);
    // Nothing of the refused release is left, and the site still serves v1.
    EXPECT_FALSE(fs::exists(s.releaseDir(b.version)));
    EXPECT_EQ(s.page(), served("v1"));
  }
  EXPECT_FALSE(fs::exists("/tmp/shipgate-evil"));
  EXPECT_FALSE(fs::exists(s.d.stateDir() + "/static/evil"));
  EXPECT_FALSE(fs::exists(s.d.stateDir() + "/static/www/evil"));

  // A good release after the refused ones goes live as usual.
  CliResult v6 = s.deploy("v6", s.tarball("v6"));
  ASSERT_EQ(v6.exit_code, 0) << v6.out << v6.err << s.d.serveLogs();
  EXPECT_EQ(s.page(), served("v6"));
  EXPECT_EQ(s.deployment(acceptedId(v6.out))["previous_version"], "v1");
}

TEST(ReleaseStatic, StandardAndEmergencyRollbacksBringBackThePreviousRelease) {
  StaticSite s;
  ASSERT_TRUE(s.d.startServe());
  ASSERT_EQ(s.deploy("v1", s.folder("v1")).exit_code, 0) << s.d.serveLogs();
  ASSERT_EQ(s.deploy("v2", s.tarball("v2")).exit_code, 0) << s.d.serveLogs();
  ASSERT_EQ(s.page(), served("v2"));

  CliResult standard = s.rollback({"--to", "v1", "--reason", "broken checkout button"});
  ASSERT_EQ(standard.exit_code, 0) << standard.out << standard.err << s.d.serveLogs();
  EXPECT_EQ(s.page(), served("v1"));
  json dep = s.deployment(acceptedId(standard.out));
  EXPECT_EQ(dep["kind"], "rollback") << dep.dump(2);
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
  EXPECT_EQ(dep["version"], "v1") << dep.dump(2);
  EXPECT_EQ(dep["previous_version"], "v2") << dep.dump(2);
  EXPECT_EQ(dep["reason"], "broken checkout button") << dep.dump(2);

  // v2 again (already imported: no artifact needed), then the emergency way back to v1.
  CliResult again = s.d.cli({"deploy", "--app", "www", "--version", "v2", "--lines"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err << s.d.serveLogs();
  ASSERT_EQ(s.page(), served("v2"));
  CliResult emergency = s.rollback({"--emergency", "--reason", "pager: blank page"});
  ASSERT_EQ(emergency.exit_code, 0) << emergency.out << emergency.err << s.d.serveLogs();
  EXPECT_EQ(s.page(), served("v1"));
  dep = s.deployment(acceptedId(emergency.out));
  EXPECT_EQ(dep["kind"], "emergency_rollback") << dep.dump(2);
  EXPECT_EQ(dep["state"], "succeeded") << dep.dump(2);
  EXPECT_EQ(dep["version"], "v1") << dep.dump(2);
  EXPECT_EQ(dep["previous_version"], "v2") << dep.dump(2);
  for (const auto& step : dep["steps"]) {
    if (step["name"] == "approval" || step["name"] == "smoke" || step["name"] == "bake") {
      EXPECT_EQ(step["state"], "skipped") << step.dump(2);
    }
  }

  CliResult list = s.d.cli({"deployments", "--app", "www"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(acceptedId(standard.out)), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(acceptedId(emergency.out)), std::string::npos) << list.out;
}

// A rollback while the new release bakes flips the site straight back to the release it
// replaced (the deployment's own rollback, as a trigger would do it).
TEST(ReleaseStatic, RollbackDuringTheBakeFlipsBackToThePreviousRelease) {
  StaticSite s;
  ASSERT_TRUE(s.d.startServe());
  ASSERT_EQ(s.deploy("v1", s.folder("v1")).exit_code, 0) << s.d.serveLogs();
  s.setApp(5, "10m", "1MiB");
  CliResult reloaded = s.d.reloadConfig();
  ASSERT_EQ(reloaded.exit_code, 0) << reloaded.out << reloaded.err;

  for (bool emergency : {false, true}) {
    SCOPED_TRACE(emergency ? "emergency" : "standard");
    const std::string version = emergency ? "v3" : "v2";
    auto deploy = s.d.cliAsync({"deploy", "--app", "www", "--version", version, "--artifact",
                                s.tarball(version), "--lines", "--reason", "bake me"});
    ASSERT_TRUE(deploy->waitForOutput("accepted", 60s)) << deploy->describe();
    const std::string id = acceptedId(deploy->stdoutText());
    json baking = s.d.waitForState(id, {"baking"}, 60s);
    ASSERT_EQ(baking["state"], "baking") << baking.dump(2) << s.d.serveLogs();
    EXPECT_EQ(s.page(), served(version));

    std::vector<std::string> args = {"--reason", "the new page is blank"};
    if (emergency) args.push_back("--emergency");
    CliResult rb = s.rollback(args);
    // The rollback follows the deployment it rolled back, which ends rolled back (exit 1).
    EXPECT_EQ(acceptedId(rb.out), id) << rb.out << rb.err;
    EXPECT_EQ(rb.exit_code, 1) << rb.out << rb.err;
    EXPECT_EQ(deploy->wait(60s), std::optional<int>(1)) << deploy->describe();
    EXPECT_EQ(s.page(), served("v1"));

    json dep = s.deployment(id);
    EXPECT_EQ(dep["state"], "rolled_back") << dep.dump(2);
    ASSERT_TRUE(dep["rollback"].is_object()) << dep.dump(2);
    EXPECT_EQ(dep["rollback"]["trigger"], "manual") << dep.dump(2);
    EXPECT_EQ(dep["rollback"]["reason"], "the new page is blank") << dep.dump(2);
    EXPECT_EQ(dep["previous_version"], "v1") << dep.dump(2);

    // v1 is the live release again: the next deployment replaces it.
    CliResult releases = s.d.cli({"releases", "--app", "www", "--json"});
    ASSERT_EQ(releases.exit_code, 0) << releases.err;
    json r = json::parse(releases.out, nullptr, false);
    ASSERT_TRUE(r.is_object()) << releases.out;
    for (const auto& rel : r["releases"]) {
      EXPECT_EQ(rel["live"], rel["version"] == "v1") << r.dump(2);
    }
  }
}

// SIGKILL during the bake: the restarted `serve` resumes the bake on the new release, and a
// rollback still flips the site back to the previous one.
TEST(ReleaseStatic, RollbackAfterARestartDuringTheBakeFlipsBack) {
  StaticSite s;
  ASSERT_TRUE(s.d.startServe());
  ASSERT_EQ(s.deploy("v1", s.folder("v1")).exit_code, 0) << s.d.serveLogs();
  s.setApp(5, "10m", "1MiB");
  ASSERT_EQ(s.d.reloadConfig().exit_code, 0);
  auto deploy = s.d.cliAsync({"deploy", "--app", "www", "--version", "v2", "--artifact",
                              s.tarball("v2"), "--lines", "--no-wait"});
  ASSERT_EQ(deploy->wait(60s), std::optional<int>(0)) << deploy->describe();
  // --no-wait prints the id alone.
  std::string id = deploy->stdoutText();
  while (!id.empty() && id.back() == '\n') id.pop_back();
  ASSERT_EQ(s.d.waitForState(id, {"baking"}, 60s)["state"], "baking") << id << s.d.serveLogs();
  ASSERT_EQ(s.page(), served("v2"));

  s.d.killServe();
  ASSERT_TRUE(s.d.startServe());
  EXPECT_EQ(s.page(), served("v2"));
  json dep = s.d.waitForState(id, {"baking"}, 30s);
  ASSERT_EQ(dep["state"], "baking") << dep.dump(2) << s.d.serveLogs();

  CliResult rb = s.rollback({"--emergency", "--reason", "the new page is blank"});
  EXPECT_EQ(acceptedId(rb.out), id) << rb.out << rb.err;
  EXPECT_EQ(rb.exit_code, 1) << rb.out << rb.err;
  EXPECT_EQ(s.page(), served("v1")) << s.d.serveLogs();
  dep = s.deployment(id);
  EXPECT_EQ(dep["state"], "rolled_back") << dep.dump(2);
  EXPECT_EQ(dep["rollback"]["trigger"], "manual") << dep.dump(2);

  // The next release (a short bake again) replaces v1, the live one.
  s.setApp(5, "1s", "1MiB");
  ASSERT_EQ(s.d.reloadConfig().exit_code, 0);
  CliResult v3 = s.deploy("v3", s.folder("v3"));
  ASSERT_EQ(v3.exit_code, 0) << v3.out << v3.err << s.d.serveLogs();
  EXPECT_EQ(s.page(), served("v3"));
  EXPECT_EQ(s.deployment(acceptedId(v3.out))["previous_version"], "v1");
}

TEST(ReleaseStatic, OldReleasesArePrunedButTheLiveAndPreviousOnesStay) {
  StaticSite s(/*keep_releases=*/1);
  ASSERT_TRUE(s.d.startServe());
  for (const char* v : {"v1", "v2", "v3", "v4"}) {
    CliResult r = s.deploy(v, s.folder(v));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << s.d.serveLogs();
    ASSERT_EQ(s.page(), served(v));
  }
  // keep_releases: 1, but the previous release stays for a rollback.
  EXPECT_FALSE(fs::exists(s.releaseDir("v1")));
  EXPECT_FALSE(fs::exists(s.releaseDir("v2")));
  EXPECT_EQ(testsupport::readFile(s.releaseDir("v3") + "/index.html"), pageOf("v3"));
  EXPECT_EQ(testsupport::readFile(s.releaseDir("v4") + "/index.html"), pageOf("v4"));

  CliResult rb = s.rollback({"--emergency", "--reason", "v4 broke the layout"});
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err << s.d.serveLogs();
  EXPECT_EQ(s.page(), served("v3"));
  // After the rollback v3 is live and v4 previous: both stay.
  EXPECT_TRUE(fs::exists(s.releaseDir("v3")));
  EXPECT_TRUE(fs::exists(s.releaseDir("v4")));
}

}  // namespace
}  // namespace releasetest
