// A child process for integration tests: fork/exec with arguments, environment, working directory
// and an optional user, stdout/stderr captured to files (default) or pipes.
//
// The child runs in its own process group (by default) and gets SIGKILL if the thread that started
// it dies (PR_SET_PDEATHSIG), so a crashed test leaves nothing behind. The destructor stops a child
// that is still running: SIGTERM to the group, then SIGKILL after stop_timeout. Every signal goes to
// the pid (or its process group) this object started; nothing is looked up by name.
//
// Not thread-safe: one thread owns a Process (text accessors may be called while it runs).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "shipgate/common/mutex.h"
#include "support/paths.h"

namespace testsupport {

enum class Capture { kFile, kPipe, kInherit, kNull };

struct ProcessOptions {
  // argv[0] is the program: a path, or a name searched in PATH.
  std::vector<std::string> argv;
  // Added to (or replacing entries of) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Names removed from the inherited environment.
  std::vector<std::string> unset_env;
  std::string cwd;  // empty = inherit
  // When the parent runs as root, setgid/setuid to this user before exec (empty = stay).
  std::string user;
  Capture stdout_capture = Capture::kFile;
  Capture stderr_capture = Capture::kFile;
  // For Capture::kFile: where to write; empty = a file in a private temp dir.
  std::string stdout_path;
  std::string stderr_path;
  bool new_process_group = true;
  bool kill_on_parent_exit = true;
  std::chrono::milliseconds stop_timeout{5000};
};

// ProcessOptions with just argv set (the defaults for everything else).
inline ProcessOptions command(std::vector<std::string> argv) {
  ProcessOptions o;
  o.argv = std::move(argv);
  return o;
}

// A command run to its end: exit code (-1 when it did not start or end in time) and its output.
struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};
// Starts `argv` and waits up to `timeout` for it; a start failure or a timeout fails the calling
// test (EXPECT) and leaves code -1.
RunResult runToEnd(std::vector<std::string> argv, std::chrono::milliseconds timeout);

class Process {
 public:
  Process() = default;
  explicit Process(ProcessOptions options) : options_(std::move(options)) {}
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  ProcessOptions& options() { return options_; }

  // Forks and execs. Fails (with the reason) when exec fails, e.g. the binary does not exist.
  // REQUIRES: not started before.
  [[nodiscard]] ::testing::AssertionResult start();

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  // True while the child has not exited (reaps it when it has).
  bool isRunning();
  // Waits up to `timeout` for exit. Returns the exit code, or 128+signal when killed by a signal;
  // nullopt when still running (or never started).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::optional<int> exitCode() const { return exit_code_; }

  // Sends `sig` to the child (to its whole process group when it has its own). No-op once reaped.
  void signal(int sig);
  void terminate() { signal(SIGTERM); }
  void kill() { signal(SIGKILL); }
  // `first_signal`, wait up to `timeout`, then SIGKILL and wait. Returns the exit code as wait().
  std::optional<int> stop(int first_signal = SIGTERM,
                          std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Captured output so far (kFile or kPipe); "" otherwise.
  std::string stdoutText() const;
  std::string stderrText() const;
  // "argv[0] (pid N)\n--- stdout ---\n...\n--- stderr ---\n..." for failure messages.
  std::string describe() const;
  const std::string& stdoutPath() const { return stdout_path_; }
  const std::string& stderrPath() const { return stderr_path_; }

  // Polls captured stdout+stderr until `needle` appears; false on timeout or if the child exits
  // without printing it.
  bool waitForOutput(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  struct PipeReader {
    int fd = -1;
    std::thread thread;
    mutable shipgate::Mutex mu;
    std::string text GUARDED_BY(mu);
  };
  void startReader(PipeReader& reader, int fd);
  void stopReaders();
  std::string captured(Capture capture, const std::string& path, const PipeReader& reader) const;
  void reapIfExited(int options);

  ProcessOptions options_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<int> exit_code_;
  std::unique_ptr<TempDir> output_dir_;
  std::string stdout_path_;
  std::string stderr_path_;
  std::atomic<bool> stop_readers_{false};
  PipeReader stdout_reader_;
  PipeReader stderr_reader_;
};

}  // namespace testsupport
