// TicketKeyRing on simulated time: one sealing key per rotation period; a ticket sealed with the
// previous key still opens (and asks for a fresh ticket) for one more period, then no longer;
// unknown key names never open.
#include "shipgate/net/ticket_keys.h"

#include <gtest/gtest.h>

namespace shipgate::net {
namespace {

using std::chrono::hours;

TEST(TicketKeyRingTest, RotatesOnScheduleAndOpensThePreviousKeyForOnePeriod) {
  SimulatedClock clock;
  auto ring = TicketKeyRing::create(clock, hours(12));
  ASSERT_TRUE(ring.isOk());
  auto first = (*ring)->sealingKey();
  ASSERT_TRUE(first.has_value());
  clock.advance(hours(11));
  EXPECT_EQ((*ring)->sealingKey()->name, first->name) << "no rotation within the period";
  bool renew = true;
  auto opened = (*ring)->openingKey(first->name, &renew);
  ASSERT_TRUE(opened.has_value());
  EXPECT_FALSE(renew);
  EXPECT_EQ(opened->aes_key, first->aes_key);
  EXPECT_EQ(opened->hmac_key, first->hmac_key);

  clock.advance(hours(1));
  auto second = (*ring)->sealingKey();
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->name, first->name);
  EXPECT_NE(second->aes_key, first->aes_key);
  EXPECT_NE(second->hmac_key, first->hmac_key);
  opened = (*ring)->openingKey(first->name, &renew);
  ASSERT_TRUE(opened.has_value()) << "the previous key still opens";
  EXPECT_TRUE(renew) << "and the client gets a ticket sealed with the current key";
  EXPECT_EQ(opened->aes_key, first->aes_key);

  clock.advance(hours(12));
  EXPECT_FALSE((*ring)->openingKey(first->name, &renew).has_value()) << "two periods old";
  opened = (*ring)->openingKey(second->name, &renew);
  ASSERT_TRUE(opened.has_value());
  EXPECT_TRUE(renew);
  EXPECT_NE((*ring)->sealingKey()->name, second->name);
}

TEST(TicketKeyRingTest, AClockJumpOfTwoPeriodsForgetsBothKeys) {
  SimulatedClock clock;
  auto ring = TicketKeyRing::create(clock, hours(12));
  ASSERT_TRUE(ring.isOk());
  auto first = *(*ring)->sealingKey();
  clock.advance(hours(30));
  bool renew = false;
  EXPECT_FALSE((*ring)->openingKey(first.name, &renew).has_value());
  auto now = *(*ring)->sealingKey();
  EXPECT_NE(now.name, first.name);
  clock.advance(hours(5));  // the next rotation is due at 36 h
  EXPECT_EQ((*ring)->sealingKey()->name, now.name);
  clock.advance(hours(1));
  EXPECT_NE((*ring)->sealingKey()->name, now.name);
}

TEST(TicketKeyRingTest, UnknownNamesNeverOpenAndRotationMustBePositive) {
  SimulatedClock clock;
  auto ring = TicketKeyRing::create(clock);
  ASSERT_TRUE(ring.isOk());
  std::array<unsigned char, 16> name{};
  bool renew = false;
  EXPECT_FALSE((*ring)->openingKey(name, &renew).has_value());
  EXPECT_FALSE(TicketKeyRing::create(clock, hours(0)).isOk());
}

}  // namespace
}  // namespace shipgate::net
