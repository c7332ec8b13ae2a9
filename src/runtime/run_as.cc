// resolveRunAs (see run_as.h).
#include "run_as.h"

#include <grp.h>
#include <pwd.h>

#include <vector>

namespace shipgate::runtime {

Result<RunAs> resolveRunAs(const std::string& app, const RuntimeConfig& runtime, uid_t euid) {
  RunAs out;
  if (euid != 0) return out;  // not root: runs as shipgate's own user
  if (runtime.user.empty()) {
    if (runtime.non_root_user) {
      return Status::failedPrecondition(
          "container_security.non_root_user is true and no user is configured for app " + app +
          " (set apps." + app + ".release.runtime.user, e.g. user: nobody)");
    }
    return out;  // root, as before
  }
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  int rc = ::getpwnam_r(runtime.user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    return Status::notFound("app " + app + ": runtime.user \"" + runtime.user +
                            "\" is not a user of this system");
  }
  out.drop = true;
  out.uid = pw.pw_uid;
  out.gid = pw.pw_gid;
  if (runtime.non_root_user && out.uid == 0) {
    return Status::failedPrecondition("container_security.non_root_user is true and app " + app +
                                      "'s runtime.user \"" + runtime.user + "\" is root (uid 0)");
  }
  if (!runtime.group.empty()) {
    struct group gr {};
    struct group* g = nullptr;
    rc = ::getgrnam_r(runtime.group.c_str(), &gr, buf.data(), buf.size(), &g);
    if (rc != 0 || g == nullptr) {
      return Status::notFound("app " + app + ": runtime.group \"" + runtime.group +
                              "\" is not a group of this system");
    }
    out.gid = gr.gr_gid;
  }
  return out;
}

}  // namespace shipgate::runtime
