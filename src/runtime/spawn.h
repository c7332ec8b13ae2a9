// spawnChild: fork + exec of one replica for the ProcessSupervisor (private to runtime/).
// Everything the child needs (argv, envp, the program path) is built before fork; between fork
// and exec the child only makes async-signal-safe calls: setpgid, prctl(PR_SET_PDEATHSIG),
// getppid, sigprocmask, sigaction, dup2, setgroups, setgid, setuid (then PR_SET_PDEATHSIG again:
// a change of credentials clears it), chdir, close_range, execve,
// write, _exit.
// REQUIRES: called on the thread whose exit should kill the child (PDEATHSIG follows the thread).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::runtime {

struct SpawnRequest {
  std::string program;            // absolute or relative to cwd (resolved: see resolveProgram)
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "NAME=value"
  std::string cwd;                // empty = inherit
  // When set, the child drops to uid/gid before chdir and exec: setgroups({gid}), setgid(gid),
  // setuid(uid), in that order, each checked (a failure fails the spawn with the call's errno).
  bool set_ids = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct Spawned {
  pid_t pid = -1;     // also the process group id
  int output_fd = -1; // read end of the child's stdout+stderr pipe, non-blocking, CLOEXEC
  int pidfd = -1;     // readable when the child exits; -1 when the kernel has no pidfd_open
};

// Forks and execs; waits until exec succeeded or failed. On exec failure the child is reaped and
// the error says "cannot run <program>: <strerror>" (NotFound for ENOENT/EACCES, IoError else).
Result<Spawned> spawnChild(const SpawnRequest& request);

// The program to exec for argv0: with a '/', as is (relative to `cwd` when not absolute and cwd is
// set); without, the first executable match in `path` (a PATH value). NotFound with the reason.
Result<std::string> resolveProgram(const std::string& argv0, const std::string& path,
                                   const std::string& cwd);

}  // namespace shipgate::runtime
