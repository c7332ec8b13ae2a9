// The deploy's accessibility step through the real binary: `shipgate serve` with a static app
// whose release.accessibility.url_paths are loaded from the new release (its directory on a
// loopback address before the switch) in headless Chromium with axe-core (tools/axe-scan, found
// beside the binary's build tree), driven by the real CLI. A release whose page has WCAG A/AA
// violations is refused before the switch and the site keeps serving the old release; the fixed
// release deploys; a rollback never runs the scan. A process release is scanned on its replica.
// Needs node, /usr/bin/chromium and `npm ci` in tools/axe-scan: without them the tests fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "release_util.h"

namespace releasetest {
namespace {

using nlohmann::json;

constexpr const char* kInitialPage = "initial page\n";

std::string cleanPage(const std::string& version) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>CoinEstate " +
         version + "</title></head>\n<body><main><h1>release " + version +
         "</h1>\n<img src=\"house.png\" alt=\"A house\">\n"
         "<form><label for=\"q\">Search</label><input id=\"q\" name=\"q\"></form>\n"
         "</main></body></html>\n";
}

// The same page with an image without alt text (axe-core rule image-alt, WCAG 2.0 A).
std::string brokenPage(const std::string& version) {
  std::string p = cleanPage(version);
  p.replace(p.find(" alt=\"A house\""), 14, "");
  return p;
}

const char* kContactPage =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Contact</title></head>"
    "<body><main><h1>Contact</h1><p>hello@coinestate.test</p></main></body></html>\n";

struct Site {
  Site() : d(settings()) {
    d.dir().writeFile("initial/index.html", kInitialPage);
    d.settings().extra_sites =
        "  - {name: www, hosts: [www.test], static: {root: \"" + d.dir().file("initial") + "\"}}\n";
    d.settings().extra_yaml =
        "  www:\n"
        "    environment: production\n"
        "    release:\n"
        "      runtime: {kind: static, static: {site: www}}\n"
        "      bake: 1s\n"
        "      accessibility: {url_paths: [\"/\", \"/contact.html\"], timeout: 120s}\n";
  }
  static Deployer::Settings settings() {
    Deployer::Settings s;
    s.approval = "none";
    return s;
  }
  std::string folder(const std::string& version, bool broken) {
    d.dir().writeFile("src/" + version + "/index.html",
                      broken ? brokenPage(version) : cleanPage(version));
    d.dir().writeFile("src/" + version + "/contact.html", kContactPage);
    return d.dir().file("src/" + version);
  }
  CliResult deploy(const std::string& version, bool broken) {
    return d.cli({"deploy", "--app", "www", "--version", version, "--artifact",
                  folder(version, broken), "--lines", "--reason", "release " + version});
  }
  std::string page() {
    auto r = testsupport::httpGet(d.httpPort(), "/", {{"Host", "www.test"}});
    return std::to_string(r.status) + " " + r.body;
  }
  json deployment(const std::string& id) { return d.apiJson("GET", "/api/v1/deployments/" + id); }

  Deployer d;
};

json stepNamed(const json& dep, const std::string& name) {
  for (const auto& s : dep["steps"])
    if (s["name"] == name) return s;
  return json();
}

TEST(ReleaseAccessibility, ViolationRefusedBeforeTheSwitchFixedReleaseDeploys) {
  Site s;
  ASSERT_TRUE(s.d.startServe());

  // v1: clean pages pass the scan and go live.
  CliResult v1 = s.deploy("v1", false);
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << s.d.serveLogs();
  EXPECT_EQ(s.page(), "200 " + cleanPage("v1"));
  json step = stepNamed(s.deployment(acceptedId(v1.out)), "accessibility");
  EXPECT_EQ(step["state"], "succeeded") << step.dump(2);
  EXPECT_EQ(step["result"], "ok: 0 violations (0 elements) on 2 pages") << step.dump(2);
  EXPECT_EQ(step["evidence"]["verdict"], "pass") << step.dump(2);
  EXPECT_EQ(step["evidence"]["wording"], "WCAG 2.1 AA compliance");
  EXPECT_EQ(step["evidence"]["pages"].size(), 2u);
  EXPECT_TRUE(step["evidence"]["violations"].empty());

  // v2: the home page's image has no alt text: refused at the accessibility step.
  CliResult v2 = s.deploy("v2", true);
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err;
  EXPECT_NE(v2.out.find("accessibility"), std::string::npos) << v2.out;
  json dep = s.deployment(acceptedId(v2.out));
  EXPECT_EQ(dep["state"], "failed") << dep.dump(2);
  json failed = stepNamed(dep, "accessibility");
  ASSERT_EQ(failed["evidence"]["pages"].size(), 2u) << failed.dump(2);
  const std::string home = failed["evidence"]["pages"][0];
  EXPECT_EQ(home.substr(0, 17), "http://127.0.0.1:");
  EXPECT_EQ(home.back(), '/');
  EXPECT_EQ(dep["failure"], "accessibility: 1 violations; first: image-alt on " + home)
      << dep.dump(2);
  EXPECT_EQ(failed["state"], "failed") << failed.dump(2);
  EXPECT_EQ(failed["evidence"]["verdict"], "fail");
  EXPECT_EQ(failed["evidence"]["measured"], "1 violations (1 elements) on 2 pages");
  ASSERT_EQ(failed["evidence"]["violations"].size(), 1u) << failed.dump(2);
  const json& v = failed["evidence"]["violations"][0];
  EXPECT_EQ(v["rule"], "image-alt");
  EXPECT_EQ(v["impact"], "critical");
  EXPECT_EQ(v["nodes"], 1);
  EXPECT_EQ(v["fails"], true);
  EXPECT_EQ(v["url"], home);
  EXPECT_NE(std::find(v["wcag"].begin(), v["wcag"].end(), "wcag2a"), v["wcag"].end()) << v.dump();
  // The scan ran on the new release's files before any switch: the approval, switch and bake
  // never ran, and the site still serves v1.
  EXPECT_EQ(stepNamed(dep, "switch")["state"], "pending") << dep.dump(2);
  EXPECT_EQ(s.page(), "200 " + cleanPage("v1"));

  // v3 fixes it and deploys.
  CliResult v3 = s.deploy("v3", false);
  ASSERT_EQ(v3.exit_code, 0) << v3.out << v3.err << s.d.serveLogs();
  EXPECT_EQ(s.page(), "200 " + cleanPage("v3"));
  EXPECT_EQ(stepNamed(s.deployment(acceptedId(v3.out)), "accessibility")["state"], "succeeded");

  // A rollback is never blocked by (nor waits for) the scan.
  CliResult rb = s.d.cli({"rollback", "--app", "www", "--lines", "--reason", "back to v1"});
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err << s.d.serveLogs();
  EXPECT_EQ(s.page(), "200 " + cleanPage("v1"));
  json rstep = stepNamed(s.deployment(acceptedId(rb.out)), "accessibility");
  EXPECT_EQ(rstep["state"], "skipped") << rstep.dump(2);
  EXPECT_EQ(rstep["result"], "rollback: the accessibility scan never blocks a rollback");
}

TEST(ReleaseAccessibility, ProcessReleaseIsScannedOnItsReplicaAndNotWithoutUrlPaths) {
  Deployer::Settings settings;
  settings.approval = "none";
  settings.replicas = 1;
  Deployer d(settings);
  ASSERT_TRUE(d.startServe());
  // Without url_paths the step is skipped with its reason.
  CliResult v1 = deploy(d, "v1");
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  json dep = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(v1.out));
  EXPECT_EQ(stepNamed(dep, "accessibility")["state"], "skipped");
  EXPECT_EQ(stepNamed(dep, "accessibility")["result"], "no accessibility.url_paths configured");

  // The API's JSON health page, as Chromium shows it, has no <title> and no lang: WCAG 2.0 A.
  d.settings().release_yaml = "      accessibility: {url_paths: [/api/health], timeout: 120s}\n";
  CliResult reload = d.reloadConfig();
  ASSERT_EQ(reload.exit_code, 0) << reload.out << reload.err;
  CliResult v2 = deploy(d, "v2");
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err;
  dep = d.apiJson("GET", "/api/v1/deployments/" + acceptedId(v2.out));
  EXPECT_EQ(dep["state"], "failed") << dep.dump(2);
  json step = stepNamed(dep, "accessibility");
  EXPECT_EQ(step["state"], "failed") << step.dump(2);
  EXPECT_EQ(step["evidence"]["source"], "idle slot replica");
  // The replica's own address (from the start step), not the gateway's.
  const std::string replica = stepNamed(dep, "start")["evidence"]["endpoints"][0];
  EXPECT_EQ(step["evidence"]["base_url"], "http://" + replica) << dep.dump(2);
  std::set<std::string> rules;
  for (const auto& v : step["evidence"]["violations"]) rules.insert(v["rule"]);
  EXPECT_EQ(rules, (std::set<std::string>{"document-title", "html-has-lang"})) << step.dump(2);
  EXPECT_EQ(d.servedVersion(), "v1");
}

}  // namespace
}  // namespace releasetest
