// resolveRunAs: the account a process release runs as, for shipgate as root (euid 0) and not.
#include "run_as.h"

#include <grp.h>
#include <pwd.h>

#include <gtest/gtest.h>

namespace shipgate::runtime {
namespace {

RuntimeConfig runtime(const std::string& user, bool non_root, const std::string& group = "") {
  RuntimeConfig r;
  r.user = user;
  r.group = group;
  r.non_root_user = non_root;
  return r;
}

TEST(RunAs, NotRootRunsAsItself) {
  for (bool non_root : {false, true}) {
    for (const char* user : {"", "nobody"}) {
      auto r = resolveRunAs("api", runtime(user, non_root), 1000);
      ASSERT_TRUE(r.isOk()) << r.status().toString();
      EXPECT_FALSE(r->drop);
    }
  }
}

TEST(RunAs, RootWithoutUser) {
  auto before = resolveRunAs("api", runtime("", false), 0);
  ASSERT_TRUE(before.isOk());
  EXPECT_FALSE(before->drop);  // non_root_user false: as before
  auto refused = resolveRunAs("api", runtime("", true), 0);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(
                "container_security.non_root_user is true and no user is configured for app api"),
            std::string::npos)
      << refused.status().message();
}

TEST(RunAs, RootWithUserAndGroup) {
  struct passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  auto r = resolveRunAs("api", runtime("nobody", true), 0);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_TRUE(r->drop);
  EXPECT_EQ(r->uid, nobody->pw_uid);
  EXPECT_EQ(r->gid, nobody->pw_gid);
  struct group* nogroup = ::getgrnam("nogroup");
  ASSERT_NE(nogroup, nullptr);
  auto g = resolveRunAs("api", runtime("nobody", false, "nogroup"), 0);
  ASSERT_TRUE(g.isOk());
  EXPECT_EQ(g->gid, nogroup->gr_gid);
}

TEST(RunAs, RefusalsNameTheProblem) {
  auto root = resolveRunAs("api", runtime("root", true), 0);
  ASSERT_FALSE(root.isOk());
  EXPECT_NE(root.status().message().find("is root (uid 0)"), std::string::npos);
  auto unknown = resolveRunAs("api", runtime("no-such-user-xyz", false), 0);
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.status().code(), Status::Code::kNotFound);
  EXPECT_NE(unknown.status().message().find("\"no-such-user-xyz\" is not a user"),
            std::string::npos);
  auto bad_group = resolveRunAs("api", runtime("nobody", false, "no-such-group-xyz"), 0);
  ASSERT_FALSE(bad_group.isOk());
  EXPECT_EQ(bad_group.status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace shipgate::runtime
