// runCommand (contract in shipgate/runtime/run_command.h), over spawnChild (spawn.h).
#include "shipgate/runtime/run_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "spawn.h"

extern char** environ;

namespace shipgate::runtime {

namespace {

int remainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(std::min<int64_t>(left.count(), 1'000'000)) : 0;
}

// Reads what is available on the non-blocking fd; false at EOF or on an error.
bool drain(int fd, CommandOutcome& out, size_t max) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    if (n == 0) return false;
    size_t room = max > out.output.size() ? max - out.output.size() : 0;
    if (static_cast<size_t>(n) > room) out.output_truncated = true;
    out.output.append(buf, std::min(room, static_cast<size_t>(n)));
  }
}

// Non-blocking reap; true when the child was reaped (status filled) or is gone (reaped
// elsewhere, e.g. SIGCHLD ignored: `unknown` set).
bool reaped(pid_t pid, int& status, bool& unknown) {
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) return true;
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == ECHILD) {
      unknown = true;
      return true;
    }
    return false;
  }
}

}  // namespace

Result<CommandOutcome> runCommand(const CommandRequest& request) {
  if (request.argv.empty()) return Status::invalidArgument("runCommand: no program given");
  SpawnRequest spawn;
  spawn.argv = request.argv;
  spawn.cwd = request.cwd;
  if (request.env.empty()) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) spawn.env.emplace_back(*e);
  } else {
    spawn.env = request.env;
  }
  std::string path_value;
  for (const std::string& e : spawn.env) {
    if (e.rfind("PATH=", 0) == 0) path_value = e.substr(5);
  }
  if (path_value.empty()) path_value = "/usr/local/bin:/usr/bin:/bin";
  auto program = resolveProgram(request.argv[0], path_value, request.cwd);
  if (!program) return program.status();
  spawn.program = *program;

  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  auto child = spawnChild(spawn);
  if (!child) return child.status();
  const pid_t pid = child->pid;
  CommandOutcome out;
  int status = 0;
  bool exited = false;
  bool unknown = false;
  bool output_open = true;
  while (!exited) {
    const int wait_ms = remainingMs(deadline);
    if (wait_ms == 0) {
      out.timed_out = true;
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (output_open) fds[n++] = {child->output_fd, POLLIN, 0};
    if (child->pidfd >= 0) fds[n++] = {child->pidfd, POLLIN, 0};
    // Without a pidfd (old kernels) the exit is polled every 50 ms.
    const int slice = child->pidfd >= 0 ? wait_ms : std::min(wait_ms, 50);
    int rc = n == 0 ? (::poll(nullptr, 0, slice)) : ::poll(fds, n, slice);
    if (rc < 0 && errno != EINTR) {
      int e = errno;
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      ::close(child->output_fd);
      if (child->pidfd >= 0) ::close(child->pidfd);
      return Status::fromErrno("poll", e);
    }
    if (output_open) output_open = drain(child->output_fd, out, request.max_output);
    exited = reaped(pid, status, unknown);
  }
  if (out.timed_out) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  } else {
    // Anything the group left behind (it may hold the pipe open) goes with it.
    ::kill(-pid, SIGKILL);
  }
  if (output_open) (void)drain(child->output_fd, out, request.max_output);
  ::close(child->output_fd);
  if (child->pidfd >= 0) ::close(child->pidfd);
  if (!out.timed_out && !unknown) {
    if (WIFEXITED(status)) {
      out.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      out.signal = WTERMSIG(status);
    }
  }
  return out;
}

}  // namespace shipgate::runtime
