#include "shipgate/rum/release_labels.h"

#include <gtest/gtest.h>

namespace shipgate::rum {
namespace {

TEST(ReleaseLabels, DefaultsAreTheSlotOrStatic) {
  SlotReleaseLabels labels;
  EXPECT_EQ(releaseLabel("api", labels.version("api", "green")), "api@green");
  EXPECT_EQ(releaseLabel("frontend", labels.version("frontend", "")), "frontend@static");
}

TEST(ReleaseLabels, TheTableNamesVersionsTheReleaseControllerSets) {
  ReleaseLabelTable table;
  EXPECT_EQ(table.version("api", "blue"), "blue");
  table.set("api", "blue", "v1.2.3");
  table.set("frontend", "", "v7");
  EXPECT_EQ(table.version("api", "blue"), "v1.2.3");
  EXPECT_EQ(table.version("api", "green"), "green");
  EXPECT_EQ(releaseLabel("frontend", table.version("frontend", "")), "frontend@v7");
  table.set("api", "blue", "");
  EXPECT_EQ(table.version("api", "blue"), "blue");
}

TEST(ReleaseLabels, KnownVersionsAreTheSlotsAndTheRecentlySetOnes) {
  SlotReleaseLabels slots;
  EXPECT_TRUE(slots.known("api", "blue"));
  EXPECT_TRUE(slots.known("api", "green"));
  EXPECT_TRUE(slots.known("frontend", "static"));
  EXPECT_FALSE(slots.known("api", "v1"));
  ReleaseLabelTable table;
  for (int i = 1; i <= 10; ++i) table.set("api", i % 2 ? "blue" : "green", "v" + std::to_string(i));
  EXPECT_TRUE(table.known("api", "v10"));
  EXPECT_TRUE(table.known("api", "v3"));   // the last 8: v3..v10
  EXPECT_FALSE(table.known("api", "v2"));  // older: forgotten
  EXPECT_FALSE(table.known("web", "v10"));
  EXPECT_TRUE(table.known("web", "blue"));
  table.set("api", "blue", "1.0 beta");  // known as the cookie spells it
  EXPECT_TRUE(table.known("api", "1.0_beta"));
}

TEST(ReleaseLabels, LabelsAreCookieSafeAndValidated) {
  EXPECT_EQ(releaseLabel("api", "v1 beta;x=\"y\""), "api@v1_beta_x__y_");
  EXPECT_TRUE(isValidReleaseLabel("api@v1.2.3"));
  EXPECT_TRUE(isValidReleaseLabel(releaseLabel("a", std::string(500, 'v'))));
  EXPECT_EQ(releaseLabel("a", std::string(500, 'v')).size(), kMaxReleaseLabelBytes);
  for (const char* bad : {"", "api", "@v1", "api@", "a@b@c", "api@v1;x", "api@v 1", "api@v1\"",
                          "api@\xc3\xa9"}) {
    EXPECT_FALSE(isValidReleaseLabel(bad)) << bad;
  }
  EXPECT_FALSE(isValidReleaseLabel(std::string(kMaxReleaseLabelBytes, 'a') + "@1"));
  EXPECT_EQ(releaseCookieHeader("api@blue"), "sg_rel=api@blue; Path=/; HttpOnly; SameSite=Lax");
}

}  // namespace
}  // namespace shipgate::rum
