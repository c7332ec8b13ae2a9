// runCommand: runs one short-lived helper program to completion (fork + exec through the
// runtime's spawnChild), bounded in time, and returns its exit status and the first bytes of its
// output (stdout and stderr together). Used for tools shipgate drives, such as the accessibility
// runner (gates/axe_scan.h); release replicas go through the ProcessSupervisor instead.
//
// The child runs in its own process group with stdin on /dev/null; when the timeout passes the
// whole group gets SIGKILL and the outcome says timed_out. The child also dies with the calling
// thread (PR_SET_PDEATHSIG).
// Thread: any thread; blocks it until the child ended. With SIGCHLD ignored the exit status is
// lost (exit_code -1, signal 0).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::runtime {

struct CommandRequest {
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in PATH (env's, else ours)
  std::vector<std::string> env;   // "NAME=value"; empty = this process's environment
  std::string cwd;                // empty = inherit
  std::chrono::milliseconds timeout{60'000};
  size_t max_output = 64 * 1024;  // output beyond this is read and dropped
};

struct CommandOutcome {
  bool timed_out = false;
  int exit_code = -1;  // when the child exited; -1 when killed by a signal or reaped elsewhere
  int signal = 0;      // the signal that ended it, 0 when it exited
  std::string output;  // stdout + stderr, at most max_output bytes
  bool output_truncated = false;
};

// NotFound when the program cannot be found or executed ("cannot run node: ..."), IoError on
// fork/pipe/wait failures; otherwise the outcome (a non-zero exit or a timeout is an outcome).
Result<CommandOutcome> runCommand(const CommandRequest& request);

}  // namespace shipgate::runtime
