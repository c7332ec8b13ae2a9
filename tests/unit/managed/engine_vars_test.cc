// VarTable (src/managed/engine_vars.h): the engine collections of one transaction, reused across
// requests without keeping any value.
#include "managed/engine_vars.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace shipgate::managed::engine_internal {
namespace {

using H = VarTable;

std::vector<std::pair<std::string, std::string>> all(const VarTable& t) {
  std::vector<std::pair<std::string, std::string>> out;
  t.forEach([&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

TEST(ManagedEngineVars, SetFindEraseClear) {
  VarTable t;
  EXPECT_EQ(t.find("tx.a", H::hash("tx.a")), nullptr);
  t.set("tx.a", H::hash("tx.a")) = "1";
  t.set("tx.b", H::hash("tx.b")) = "two";
  ASSERT_NE(t.find("tx.a", H::hash("tx.a")), nullptr);
  EXPECT_EQ(*t.find("tx.a", H::hash("tx.a")), "1");
  EXPECT_EQ(*t.find("tx.b", H::hash("tx.b")), "two");
  t.erase("tx.a", H::hash("tx.a"));
  EXPECT_EQ(t.find("tx.a", H::hash("tx.a")), nullptr);
  EXPECT_EQ(all(t), (std::vector<std::pair<std::string, std::string>>{{"tx.b", "two"}}));
  // A name set again after erase starts empty, as a new variable does.
  EXPECT_EQ(t.set("tx.a", H::hash("tx.a")), "");
  t.clear();
  EXPECT_EQ(t.find("tx.b", H::hash("tx.b")), nullptr);
  EXPECT_TRUE(all(t).empty());
  EXPECT_EQ(t.set("tx.b", H::hash("tx.b")), "");  // no value survives clear()
}

// Iteration follows the order this transaction set the names, not the slots earlier
// transactions gave them: a walk of TX logs the same last name on every worker.
TEST(ManagedEngineVars, IterationFollowsThisTransactionsOrder) {
  VarTable t;
  for (const char* k : {"tx.c", "tx.b", "tx.a"}) t.set(k, H::hash(k)) = "earlier";
  t.clear();
  for (const char* k : {"tx.a", "tx.b", "tx.c"}) t.set(k, H::hash(k)) = "now";
  t.set("tx.a", H::hash("tx.a")) = "set again";  // still live: keeps its place
  t.erase("tx.b", H::hash("tx.b"));
  t.set("tx.b", H::hash("tx.b")) = "back";  // erased and set again: comes last
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(all(t), (Pairs{{"tx.a", "set again"}, {"tx.c", "now"}, {"tx.b", "back"}}));
  t.erase("tx.c", H::hash("tx.c"));
  EXPECT_EQ(all(t), (Pairs{{"tx.a", "set again"}, {"tx.b", "back"}}));
}

TEST(ManagedEngineVars, ManyNamesAndTheBoundAcrossRequests) {
  VarTable t;
  for (int i = 0; i < 3000; ++i) {
    std::string k = "tx.header_name_" + std::to_string(i);
    t.set(k, H::hash(k)) = std::to_string(i);
  }
  for (int i = 0; i < 3000; ++i) {
    std::string k = "tx.header_name_" + std::to_string(i);
    const std::string* v = t.find(k, H::hash(k));
    ASSERT_NE(v, nullptr) << k;
    EXPECT_EQ(*v, std::to_string(i));
  }
  EXPECT_EQ(all(t).size(), 3000u);
  // Past kMaxSlots names the next clear() forgets the names too; the table still works.
  for (size_t i = 0; i < VarTable::kMaxSlots; ++i) {
    std::string k = "tx.other_" + std::to_string(i);
    t.set(k, H::hash(k)) = "x";
  }
  t.clear();
  EXPECT_TRUE(all(t).empty());
  t.set("tx.anomaly_score", H::hash("tx.anomaly_score")) = "5";
  EXPECT_EQ(*t.find("tx.anomaly_score", H::hash("tx.anomaly_score")), "5");
  EXPECT_EQ(t.find("tx.other_1", H::hash("tx.other_1")), nullptr);
}

TEST(ManagedEngineVars, PinnedNamesAreTheSameVariablesAndOutliveTheBound) {
  VarTable t;
  t.set("tx.1", H::hash("tx.1")) = "set by name first";
  const size_t p0 = t.pin("tx.0", H::hash("tx.0"));
  const size_t p1 = t.pin("tx.1", H::hash("tx.1"));  // already a name: the same slot
  EXPECT_EQ(t.pinCount(), 2u);
  EXPECT_EQ(t.setPinned(p1), "set by name first");
  t.setPinned(p0) = "user-agent";
  ASSERT_NE(t.find("tx.0", H::hash("tx.0")), nullptr);
  EXPECT_EQ(*t.find("tx.0", H::hash("tx.0")), "user-agent");
  t.erasePinned(p1);
  EXPECT_EQ(t.find("tx.1", H::hash("tx.1")), nullptr);
  t.set("tx.1", H::hash("tx.1")) = "by name again";
  EXPECT_EQ(t.setPinned(p1), "by name again");
  EXPECT_EQ(all(t).size(), 2u);
  // Past kMaxSlots names clear() forgets every other name; the pins still reach their names.
  for (size_t i = 0; i < VarTable::kMaxSlots; ++i) {
    std::string k = "tx.header_name_" + std::to_string(i);
    t.set(k, H::hash(k)) = "x";
  }
  t.clear();
  EXPECT_TRUE(all(t).empty());
  EXPECT_EQ(t.find("tx.header_name_7", H::hash("tx.header_name_7")), nullptr);
  t.setPinned(p1) = "after the bound";
  ASSERT_NE(t.find("tx.1", H::hash("tx.1")), nullptr);
  EXPECT_EQ(*t.find("tx.1", H::hash("tx.1")), "after the bound");
  t.set("tx.0", H::hash("tx.0")) = "by name";
  EXPECT_EQ(t.setPinned(p0), "by name");
  // In the order they were set (tx.1 first), not the pins' order.
  EXPECT_EQ(all(t), (std::vector<std::pair<std::string, std::string>>{
                        {"tx.1", "after the bound"}, {"tx.0", "by name"}}));
}

TEST(ManagedEngineVars, HashSeparatesLengthsAndTails) {
  EXPECT_NE(H::hash("tx.a"), H::hash(std::string_view("tx.a\0", 5)));
  EXPECT_NE(H::hash("tx.abcdefgh1"), H::hash("tx.abcdefgh2"));
  EXPECT_EQ(H::hash(""), H::hash(std::string()));
}

}  // namespace
}  // namespace shipgate::managed::engine_internal
