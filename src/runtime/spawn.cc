// spawnChild (see spawn.h).
#include "spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace shipgate::runtime {

namespace {

bool isExecutableFile(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::string> resolveProgram(const std::string& argv0, const std::string& path,
                                   const std::string& cwd) {
  if (argv0.empty()) return Status::invalidArgument("the command's program is empty");
  if (argv0.find('/') != std::string::npos) {
    std::string p = argv0[0] == '/' || cwd.empty() ? argv0 : cwd + "/" + argv0;
    if (!isExecutableFile(p)) {
      int err = errno;
      struct stat st {};
      std::string why = ::stat(p.c_str(), &st) != 0 ? std::strerror(err)
                        : !S_ISREG(st.st_mode)       ? "not a regular file"
                                                     : "not executable";
      return Status::notFound("cannot run " + p + ": " + why);
    }
    return p;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string_view dir = std::string_view(path).substr(
        start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string p(dir.empty() ? std::string_view(".") : dir);  // an empty entry is "."
    p.append("/").append(argv0);
    if (isExecutableFile(p)) return p;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return Status::notFound("cannot run " + argv0 + ": not found in PATH=" + path);
}

Result<Spawned> spawnChild(const SpawnRequest& request) {
  std::vector<char*> argv;
  argv.reserve(request.argv.size() + 1);
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(request.env.size() + 1);
  for (const auto& e : request.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* program = request.program.c_str();
  const char* cwd = request.cwd.empty() ? nullptr : request.cwd.c_str();
  const bool set_ids = request.set_ids;
  const uid_t uid = request.uid;
  const gid_t gid = request.gid;

  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::fromErrno("pipe", errno);
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(out[0]);
    ::close(out[1]);
    return Status::fromErrno("pipe", e);
  }
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before PDEATHSIG was armed
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    int e[2] = {0, 0};  // {stage: 1 chdir, 2 exec, 3 setgroups, 4 setgid, 5 setuid; errno}
    if (set_ids && ::setgroups(1, &gid) != 0) {
      e[0] = 3;
      e[1] = errno;
    } else if (set_ids && ::setgid(gid) != 0) {
      e[0] = 4;
      e[1] = errno;
    } else if (set_ids && ::setuid(uid) != 0) {
      e[0] = 5;
      e[1] = errno;
    } else if (set_ids && (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)) {
      ::_exit(127);  // a change of credentials cleared PDEATHSIG: armed again, or the parent died
    } else if (cwd != nullptr && ::chdir(cwd) != 0) {
      e[0] = 1;
      e[1] = errno;
    } else {
      ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
      ::execve(program, argv.data(), envp.data());
      e[0] = 2;
      e[1] = errno;
    }
    ssize_t w = ::write(err[1], e, sizeof e);
    (void)w;
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(out[1]);
  ::close(err[1]);
  if (devnull >= 0) ::close(devnull);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    return Status::fromErrno("fork", fork_errno);
  }
  ::setpgid(pid, pid);  // also from the parent, so a signal to the group cannot race the child

  int failure[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(err[0], failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(err[0]);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(out[0]);
    int child_errno = failure[1];
    const std::string as =
        request.set_ids ? " as uid " + std::to_string(request.uid) + " gid " +
                              std::to_string(request.gid)
                        : "";
    std::string what;
    if (failure[0] == 1) {
      what = "cannot run " + request.program + as + ": its working directory " + request.cwd +
             ": " + std::strerror(child_errno);
    } else if (failure[0] >= 3) {
      const char* call = failure[0] == 3 ? "setgroups" : failure[0] == 4 ? "setgid" : "setuid";
      what = "cannot run " + request.program + as + ": " + call + ": " +
             std::strerror(child_errno);
    } else {
      what = "cannot run " + request.program + as + ": " + std::strerror(child_errno);
    }
    if (child_errno == ENOENT || child_errno == EACCES || child_errno == ENOTDIR) {
      return Status::notFound(what);
    }
    return Status::ioError(what);
  }
  ::fcntl(out[0], F_SETFL, ::fcntl(out[0], F_GETFL) | O_NONBLOCK);
  Spawned s;
  s.pid = pid;
  s.output_fd = out[0];
  s.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (s.pidfd >= 0) ::fcntl(s.pidfd, F_SETFD, FD_CLOEXEC);
  return s;
}

}  // namespace shipgate::runtime
