// The accessibility scan (contract in shipgate/gates/axe_scan.h).
#include "shipgate/gates/axe_scan.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "shipgate/gates/wording.h"
#include "shipgate/runtime/run_command.h"

#ifndef SHIPGATE_SOURCE_TREE
#define SHIPGATE_SOURCE_TREE ""
#endif

namespace shipgate::gates {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRunnerInTree = "tools/axe-scan/axe-scan.js";

// The directory of the running binary ("" when /proc is not there).
std::string binaryDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : exe.parent_path().string();
}

bool isFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The runner's last message line ("axe-scan: http://...: HTTP 404, expected 2xx"), else its last
// non-empty line, at most 300 bytes.
std::string lastLine(const std::string& output) {
  std::istringstream in(output);
  std::string line, last, last_ours;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    last = line;
    if (line.rfind("axe-scan: ", 0) == 0) last_ours = line.substr(10);
  }
  std::string s = last_ours.empty() ? last : last_ours;
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

// A fresh directory under $TMPDIR (or /tmp), removed by its destructor.
class ScratchDir {
 public:
  Status create() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/shipgate-axe-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status::fromErrno("cannot create a temporary directory " + pattern, errno);
    }
    path_ = pattern;
    return Status::ok();
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A runner killed (timeout) or dead leaves its Chromium behind: Chromium runs in a process group
// of its own and writes its profile while it shuts down. Its pid is in the profile's
// SingletonLock ("<host>-<pid>"); when that process is the Chromium of this profile it gets SIGKILL
// and is waited for (2 s at most) so the profile can be removed for good.
void killLeftoverChromium(const std::string& profile) {
  std::error_code ec;
  fs::path lock = fs::read_symlink(fs::path(profile) / "SingletonLock", ec);
  if (ec) return;
  const std::string target = lock.string();
  const size_t dash = target.rfind('-');
  if (dash == std::string::npos) return;
  char* end = nullptr;
  const long pid = std::strtol(target.c_str() + dash + 1, &end, 10);
  if (end == nullptr || *end != '\0' || pid <= 1) return;
  // Only that Chromium: its command line names this profile (a reused pid does not).
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  if (args.find("--user-data-dir=" + profile) == std::string::npos) return;
  if (::kill(static_cast<pid_t>(pid), SIGKILL) != 0) return;
  for (int i = 0; i < 200 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

Result<std::string> defaultAxeRunner() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("SHIPGATE_AXE_RUNNER"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  }
  if (std::string dir = binaryDir(); !dir.empty()) {
    candidates.push_back((fs::path(dir) / ".." / kRunnerInTree).lexically_normal().string());
    candidates.push_back(
        (fs::path(dir) / "../share/shipgate/axe-scan/axe-scan.js").lexically_normal().string());
  }
  if (std::string_view(SHIPGATE_SOURCE_TREE).size() > 0) {
    candidates.push_back((fs::path(SHIPGATE_SOURCE_TREE) / kRunnerInTree).string());
  }
  for (const std::string& c : candidates) {
    if (isFile(c)) return c;
  }
  std::string list;
  for (const std::string& c : candidates) list += (list.empty() ? "" : ", ") + c;
  return Status::notFound("the accessibility runner axe-scan.js is not installed (looked at " +
                          list + "); set accessibility.runner or $SHIPGATE_AXE_RUNNER");
}

Result<AxeScanResult> scanAccessibility(const AxeScanOptions& options) {
  if (options.urls.empty()) return Status::invalidArgument("accessibility scan: no URL to scan");
  GateWording wording;
  WordingError werr;
  if (!parseGateWording(options.wording, wording, werr) ||
      wording.kind != GateKind::kAccessibility) {
    return Status::invalidArgument("accessibility scan: \"" + options.wording +
                                   "\" is not a WCAG wording" +
                                   (werr.message.empty() ? "" : ": " + werr.message));
  }
  std::string runner = options.runner;
  if (runner.empty()) {
    auto found = defaultAxeRunner();
    if (!found) return found.status();
    runner = *found;
  } else if (!isFile(runner)) {
    return Status::notFound("the accessibility runner " + runner + " does not exist");
  }

  ScratchDir scratch;
  SG_RETURN_IF_ERROR(scratch.create());
  const std::string out_file = scratch.path() + "/axe-results.json";
  const std::string profile = scratch.path() + "/chromium-profile";
  std::error_code ec;
  fs::create_directory(profile, ec);
  if (ec) return Status::ioError("cannot create " + profile + ": " + ec.message());

  runtime::CommandRequest req;
  req.argv = {
      options.node, runner,   "--page-timeout-ms", std::to_string(options.page_timeout.count()),
      "--output",   out_file, "--user-data-dir",   profile};
  req.argv.insert(req.argv.end(), options.urls.begin(), options.urls.end());
  req.timeout = options.timeout;
  auto ran = runtime::runCommand(req);
  if (!ran || ran->timed_out || ran->exit_code != 0) killLeftoverChromium(profile);
  if (!ran) {
    std::string why = "accessibility scan: " + ran.status().message();
    if (ran.status().code() != Status::Code::kNotFound) return Status::ioError(why);
    return Status::notFound(why + " (the runner needs Node.js: apt-get install nodejs)");
  }
  const std::string said = lastLine(ran->output);
  if (ran->timed_out) {
    return Status::timeout("accessibility scan of " + std::to_string(options.urls.size()) +
                           (options.urls.size() == 1 ? " page" : " pages") + " timed out after " +
                           std::to_string(options.timeout.count()) + " ms (runner killed)" +
                           (said.empty() ? "" : ": " + said));
  }
  if (ran->exit_code != 0) {
    std::string how = ran->signal != 0 ? "killed by signal " + std::to_string(ran->signal)
                                       : "exit " + std::to_string(ran->exit_code);
    return Status::unavailable("accessibility scan failed (" + how + ")" +
                               (said.empty() ? "" : ": " + said));
  }
  std::ifstream in(out_file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Status::ioError("cannot read " + out_file);
  if (text.size() > kMaxReportBytes) {
    return Status::invalidArgument("accessibility scan: the runner wrote " +
                                   std::to_string(text.size()) + " bytes, more than the limit");
  }
  auto summary = readAxe(text, "accessibility scan");
  if (!summary) return summary.status();
  if (summary->pages != static_cast<int64_t>(options.urls.size())) {
    return Status::internal("accessibility scan: the runner reported " +
                            std::to_string(summary->pages) + " pages for " +
                            std::to_string(options.urls.size()) + " URLs");
  }
  AxeScanResult result;
  result.summary = std::move(*summary);
  result.verdict = evaluateReport("accessibility", wording, result.summary);
  result.report_json = std::move(text);
  return result;
}

}  // namespace shipgate::gates
