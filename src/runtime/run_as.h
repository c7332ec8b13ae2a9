// The account a process release runs as (private to runtime/): the app's runtime.user/group and
// the seed's container_security.non_root_user, against the user shipgate itself runs as.
//   - shipgate not root (euid != 0): the replicas run as shipgate's own user; nothing to drop
//     (a named user is not switched to: only root can).
//   - shipgate root, user named: the child drops to it before exec (setgroups, setgid, setuid).
//     With non_root_user true, a named user that is root itself (uid 0) is refused.
//   - shipgate root, no user, non_root_user true: refused (FailedPrecondition,
//     "container_security.non_root_user is true and no user is configured for app X ...").
//   - shipgate root, no user, non_root_user false: runs as root, as before.
// Thread: pure lookups (getpwnam_r/getgrnam_r); safe from any thread.
#pragma once

#include <sys/types.h>

#include <string>

#include "shipgate/common/status.h"
#include "shipgate/runtime/runtime_config.h"

namespace shipgate::runtime {

struct RunAs {
  bool drop = false;  // false: the child keeps shipgate's identity
  uid_t uid = 0;
  gid_t gid = 0;
};

// `euid`: shipgate's effective uid (geteuid(), a parameter for tests). NotFound: an unknown user
// or group; FailedPrecondition: the non_root_user refusals above.
Result<RunAs> resolveRunAs(const std::string& app, const RuntimeConfig& runtime, uid_t euid);

}  // namespace shipgate::runtime
