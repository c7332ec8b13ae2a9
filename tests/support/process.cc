#include "support/process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace testsupport {

namespace {

struct ExecFailure {
  int stage;  // 0 chdir, 1 setgid/setuid, 2 exec, 3 dup2
  int err;
};

const char* stageName(int stage) {
  switch (stage) {
    case 0: return "chdir";
    case 1: return "switching user";
    case 2: return "exec";
    default: return "redirecting output";
  }
}

int openOutput(Capture capture, const std::string& path, int pipe_fds[2], std::string* error) {
  switch (capture) {
    case Capture::kInherit:
      return -1;
    case Capture::kNull:
      return ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    case Capture::kFile: {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) *error = "open " + path + ": " + std::strerror(errno);
      return fd;
    }
    case Capture::kPipe:
      if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        *error = std::string("pipe2: ") + std::strerror(errno);
        return -1;
      }
      return pipe_fds[1];
  }
  return -1;
}

}  // namespace

Process::~Process() {
  if (started()) stop();
  stopReaders();
}

::testing::AssertionResult Process::start() {
  if (started()) return ::testing::AssertionFailure() << "Process::start called twice";
  if (options_.argv.empty()) return ::testing::AssertionFailure() << "Process: empty argv";
  const std::string& program = options_.argv[0];

  // Output files.
  if ((options_.stdout_capture == Capture::kFile && options_.stdout_path.empty()) ||
      (options_.stderr_capture == Capture::kFile && options_.stderr_path.empty())) {
    output_dir_ = std::make_unique<TempDir>("shipgate-proc");
    if (!output_dir_->ok()) return ::testing::AssertionFailure() << output_dir_->error();
  }
  stdout_path_ = options_.stdout_path.empty() && output_dir_ ? output_dir_->file("stdout.log")
                                                             : options_.stdout_path;
  stderr_path_ = options_.stderr_path.empty() && output_dir_ ? output_dir_->file("stderr.log")
                                                             : options_.stderr_path;

  // Everything the child needs is prepared before fork (the child may only call async-signal-safe
  // functions).
  std::vector<std::string> argv_s = options_.argv;
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& name : options_.unset_env) env_map.erase(name);
  for (const auto& [k, v] : options_.env) env_map[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env_map) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  // PATH lookup in the parent (execvpe is not async-signal-safe with our own env either way).
  std::string exe = program;
  if (program.find('/') == std::string::npos) {
    std::string path = env_map.count("PATH") ? env_map["PATH"] : "/usr/bin:/bin";
    exe.clear();
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t end = path.find(':', pos);
      if (end == std::string::npos) end = path.size();
      std::string candidate = path.substr(pos, end - pos) + "/" + program;
      if (::access(candidate.c_str(), X_OK) == 0) {
        exe = candidate;
        break;
      }
      pos = end + 1;
    }
    if (exe.empty()) {
      return ::testing::AssertionFailure() << "Process: '" << program << "' not found in PATH";
    }
  }

  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  if (!options_.user.empty() && ::geteuid() == 0) {
    struct passwd pw {};
    struct passwd* result = nullptr;
    std::vector<char> buf(16384);
    if (::getpwnam_r(options_.user.c_str(), &pw, buf.data(), buf.size(), &result) != 0 ||
        result == nullptr) {
      return ::testing::AssertionFailure() << "Process: no such user '" << options_.user << "'";
    }
    switch_user = true;
    uid = pw.pw_uid;
    gid = pw.pw_gid;
  }

  std::string error;
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int out_fd = openOutput(options_.stdout_capture, stdout_path_, out_pipe, &error);
  if (!error.empty()) return ::testing::AssertionFailure() << error;
  int err_fd = openOutput(options_.stderr_capture, stderr_path_, err_pipe, &error);
  if (!error.empty()) {
    if (out_fd >= 0) ::close(out_fd);
    if (out_pipe[0] >= 0) ::close(out_pipe[0]);
    return ::testing::AssertionFailure() << error;
  }
  int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    return ::testing::AssertionFailure() << "pipe2: " << std::strerror(errno);
  }
  pid_t parent = ::getpid();
  const char* cwd = options_.cwd.empty() ? nullptr : options_.cwd.c_str();

  pid_t pid = ::fork();
  if (pid == 0) {
    auto fail = [&](int stage) {
      ExecFailure f{stage, errno};
      ssize_t ignored = ::write(status_pipe[1], &f, sizeof f);
      (void)ignored;
      ::_exit(127);
    };
    if (options_.new_process_group) ::setpgid(0, 0);
    if (options_.kill_on_parent_exit) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::signal(s, SIG_DFL);
    if (null_in >= 0 && ::dup2(null_in, 0) < 0) fail(3);
    if (out_fd >= 0 && ::dup2(out_fd, 1) < 0) fail(3);
    if (err_fd >= 0 && ::dup2(err_fd, 2) < 0) fail(3);
    if (cwd != nullptr && ::chdir(cwd) != 0) fail(0);
    if (switch_user) {
      if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) fail(1);
    }
    ::execve(exe.c_str(), argv.data(), envp.data());
    fail(2);
  }
  int fork_errno = errno;
  ::close(status_pipe[1]);
  if (null_in >= 0) ::close(null_in);
  if (out_fd >= 0) ::close(out_fd);
  if (err_fd >= 0) ::close(err_fd);
  if (pid < 0) {
    ::close(status_pipe[0]);
    if (out_pipe[0] >= 0) ::close(out_pipe[0]);
    if (err_pipe[0] >= 0) ::close(err_pipe[0]);
    return ::testing::AssertionFailure() << "fork: " << std::strerror(fork_errno);
  }
  pid_ = pid;
  if (options_.new_process_group) ::setpgid(pid, pid);  // Also in the parent: no race on signal().
  if (out_pipe[0] >= 0) startReader(stdout_reader_, out_pipe[0]);
  if (err_pipe[0] >= 0) startReader(stderr_reader_, err_pipe[0]);

  ExecFailure failure{};
  ssize_t n;
  do {
    n = ::read(status_pipe[0], &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(status_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    wait(std::chrono::milliseconds(2000));
    return ::testing::AssertionFailure()
           << "Process: " << stageName(failure.stage) << " failed for '" << program
           << "': " << std::strerror(failure.err);
  }
  return ::testing::AssertionSuccess();
}

void Process::startReader(PipeReader& reader, int fd) {
  reader.fd = fd;
  reader.thread = std::thread([this, &reader] {
    char buf[8192];
    std::optional<std::chrono::steady_clock::time_point> stop_seen;
    while (true) {
      if (stop_readers_.load()) {
        // Drain what is there, but do not wait forever on a grandchild holding the pipe.
        auto now = std::chrono::steady_clock::now();
        if (!stop_seen) stop_seen = now;
        if (now - *stop_seen > std::chrono::milliseconds(500)) break;
      }
      pollfd p{reader.fd, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r < 0 && errno != EINTR) break;
      if (r <= 0) {
        if (stop_readers_.load()) break;
        continue;
      }
      ssize_t n = ::read(reader.fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;
      shipgate::MutexLock lock(reader.mu);
      reader.text.append(buf, static_cast<size_t>(n));
    }
  });
}

void Process::stopReaders() {
  stop_readers_.store(true);
  for (PipeReader* r : {&stdout_reader_, &stderr_reader_}) {
    if (r->thread.joinable()) r->thread.join();
    if (r->fd >= 0) ::close(r->fd);
    r->fd = -1;
  }
}

void Process::reapIfExited(int options) {
  if (pid_ <= 0 || reaped_) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, options);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped_ = true;
    stopReaders();  // Drain the pipes so stdoutText() is complete.
    if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) exit_code_ = 128 + WTERMSIG(status);
    else exit_code_ = 255;
  } else if (r < 0 && errno == ECHILD) {
    reaped_ = true;  // Not our child any more (should not happen); never signal it again.
  }
}

bool Process::isRunning() {
  reapIfExited(WNOHANG);
  return pid_ > 0 && !reaped_;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(2);
  while (true) {
    reapIfExited(WNOHANG);
    if (reaped_) return exit_code_;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

void Process::signal(int sig) {
  if (pid_ <= 0 || reaped_) return;
  ::kill(options_.new_process_group ? -pid_ : pid_, sig);
}

std::optional<int> Process::stop(int first_signal,
                                  std::optional<std::chrono::milliseconds> timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (!isRunning()) return exit_code_;
  signal(first_signal);
  wait(timeout.value_or(options_.stop_timeout));
  if (isRunning()) {
    signal(SIGKILL);
    wait(std::chrono::milliseconds(10000));
  }
  // Leftover children in the group (e.g. npx's) go too, right after the leader: the group id
  // cannot have been reused while they live. Then wait (bounded) until the orphans are reaped, so
  // their ports and files are released when stop() returns.
  if (options_.new_process_group && ::kill(-pid_, SIGKILL) == 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::kill(-pid_, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return exit_code_;
}

std::string Process::captured(Capture capture, const std::string& path,
                              const PipeReader& reader) const {
  if (capture == Capture::kFile) return readFile(path);
  if (capture == Capture::kPipe) {
    shipgate::MutexLock lock(reader.mu);
    return reader.text;
  }
  return "";
}

std::string Process::stdoutText() const {
  return captured(options_.stdout_capture, stdout_path_, stdout_reader_);
}

std::string Process::stderrText() const {
  return captured(options_.stderr_capture, stderr_path_, stderr_reader_);
}

std::string Process::describe() const {
  std::string s = (options_.argv.empty() ? std::string("?") : options_.argv[0]) + " (pid " +
                  std::to_string(pid_) + ")";
  if (exit_code_) s += " exited with " + std::to_string(*exit_code_);
  s += "\n--- stdout ---\n" + stdoutText() + "\n--- stderr ---\n" + stderrText();
  return s;
}

bool Process::waitForOutput(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (stdoutText().find(needle) != std::string::npos ||
        stderrText().find(needle) != std::string::npos) {
      return true;
    }
    if (!isRunning() || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RunResult runToEnd(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  Process p(command(std::move(argv)));
  RunResult r;
  auto started = p.start();
  EXPECT_TRUE(started);
  if (!started) return r;
  auto code = p.wait(timeout);
  EXPECT_TRUE(code.has_value()) << p.describe();
  r.code = code.value_or(-1);
  r.out = p.stdoutText();
  r.err = p.stderrText();
  return r;
}

}  // namespace testsupport
