// The exec probe: fork/exec check.command with stdout+stderr on a pipe, bounded by the timeout.
// The child runs in its own process group so a timeout kills it and anything it started.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "checker_impl.h"

extern char** environ;

namespace shipgate::health::internal {
namespace {

constexpr size_t kMaxOutput = 4096;

int remainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

std::string firstLine(const std::string& s) {
  size_t start = s.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  std::string line = s.substr(start, s.find_first_of("\r\n", start) - start);
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

CheckResult checkExec(const HealthCheckConfig& check, const config::HostPort& target) {
  if (check.command.empty()) return fail("exec check without a command");
  const auto deadline = std::chrono::steady_clock::now() + check.timeout;

  // Everything the child needs is prepared before fork(): after it only async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& a : check.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage{"SHIPGATE_CHECK_HOST=" + target.host,
                                       "SHIPGATE_CHECK_PORT=" + std::to_string(target.port)};
  std::vector<char*> envp;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "SHIPGATE_CHECK_", 15) != 0) envp.push_back(*e);
  }
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string exec_error = "cannot execute " + check.command[0] + "\n";

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::execvpe(argv[0], argv.data(), envp.data());
    ssize_t ignored = ::write(STDERR_FILENO, exec_error.data(), exec_error.size());
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before any kill below
  ::close(fds[1]);

  std::string output;
  bool timed_out = false;
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    const int wait_ms = remainingMs(deadline);
    const int rc = ::poll(&p, 1, wait_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      timed_out = true;
      break;
    }
    char buf[1024];
    const ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child (and its children) closed the pipe
    if (output.size() < kMaxOutput) {
      output.append(buf, std::min<size_t>(static_cast<size_t>(n), kMaxOutput - output.size()));
    }
  }
  ::close(fds[0]);

  int status = 0;
  while (!timed_out) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      return fail(std::string("waitpid: ") + std::strerror(errno));  // e.g. SIGCHLD ignored
    }
    if (remainingMs(deadline) == 0) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // exited stdout, not yet the pid
  }
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return fail("timed out after " + std::to_string(check.timeout.count()) + "ms (killed)" +
                (firstLine(output).empty() ? "" : ": " + firstLine(output)));
  }
  const std::string line = firstLine(output);
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    if (code == 0) return pass(line.empty() ? "exit 0" : line);
    return fail("exit " + std::to_string(code) + (line.empty() ? "" : ": " + line));
  }
  if (WIFSIGNALED(status)) {
    return fail(std::string("killed by signal ") + std::to_string(WTERMSIG(status)) +
                (line.empty() ? "" : ": " + line));
  }
  return fail("unexpected wait status");
}

}  // namespace shipgate::health::internal
