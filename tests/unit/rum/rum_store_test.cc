// RumStore on simulated time: percentiles by nearest rank, spans, fixed capacity, age eviction,
// the series bound, and concurrent writers.
#include "shipgate/rum/rum_store.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace shipgate::rum {
namespace {

using namespace std::chrono_literals;

TEST(RumStore, PercentileIsTheNearestRankOverTheSpan) {
  SimulatedClock clock;
  RumStore store(clock);
  for (int v = 1; v <= 100; ++v) store.record("homepage_load_time", "frontend@v1", v * 10.0);
  EXPECT_EQ(store.count("homepage_load_time", "frontend@v1", 5min), 100u);
  EXPECT_EQ(store.percentile("homepage_load_time", "frontend@v1", 50, 5min), 500.0);
  EXPECT_EQ(store.percentile("homepage_load_time", "frontend@v1", 95, 5min), 950.0);
  EXPECT_EQ(store.percentile("homepage_load_time", "frontend@v1", 100, 5min), 1000.0);
  EXPECT_EQ(store.percentile("homepage_load_time", "frontend@v1", 0.1, 5min), 10.0);
  // q out of range, unknown series: nothing.
  EXPECT_FALSE(store.percentile("homepage_load_time", "frontend@v1", 0, 5min));
  EXPECT_FALSE(store.percentile("homepage_load_time", "frontend@v1", 101, 5min));
  EXPECT_FALSE(store.percentile("homepage_load_time", "frontend@v2", 95, 5min));
  EXPECT_FALSE(store.percentile("wallet_connection_time", "frontend@v1", 95, 5min));
  EXPECT_EQ(store.count("wallet_connection_time", "frontend@v1", 5min), 0u);
}

TEST(RumStore, SeriesAreKeptApartByMetricAndRelease) {
  SimulatedClock clock;
  RumStore store(clock);
  store.record("homepage_load_time", "frontend@v1", 100);
  store.record("homepage_load_time", "frontend@v2", 5000);
  store.record("wallet_connection_time", "frontend@v1", 7);
  EXPECT_EQ(store.percentile("homepage_load_time", "frontend@v1", 95, 1min), 100.0);
  EXPECT_EQ(store.percentile("homepage_load_time", "frontend@v2", 95, 1min), 5000.0);
  EXPECT_EQ(store.percentile("wallet_connection_time", "frontend@v1", 95, 1min), 7.0);
  auto keys = store.series();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].metric, "homepage_load_time");
  EXPECT_EQ(keys[0].release, "frontend@v1");
  EXPECT_EQ(keys[2].metric, "wallet_connection_time");
}

TEST(RumStore, OnlySamplesWithinTheSpanCount) {
  SimulatedClock clock;
  RumStore store(clock);
  store.record("homepage_load_time", "a@blue", 9000);  // old and slow
  clock.advance(10min);
  for (int i = 0; i < 4; ++i) store.record("homepage_load_time", "a@blue", 100);
  EXPECT_EQ(store.count("homepage_load_time", "a@blue", 5min), 4u);
  EXPECT_EQ(store.percentile("homepage_load_time", "a@blue", 100, 5min), 100.0);
  EXPECT_EQ(store.count("homepage_load_time", "a@blue", 11min), 5u);
  EXPECT_EQ(store.percentile("homepage_load_time", "a@blue", 100, 11min), 9000.0);
  // The span edge: a sample exactly `span` old is out.
  clock.advance(5min);
  EXPECT_EQ(store.count("homepage_load_time", "a@blue", 5min), 0u);
  EXPECT_FALSE(store.percentile("homepage_load_time", "a@blue", 50, 5min));
}

TEST(RumStore, ARingKeepsTheNewestSamplesOnly) {
  SimulatedClock clock;
  RumStoreOptions o;
  o.samples_per_series = 8;
  RumStore store(clock, o);
  for (int v = 1; v <= 20; ++v) {
    store.record("homepage_load_time", "a@blue", v);
    clock.advance(1s);
  }
  EXPECT_EQ(store.count("homepage_load_time", "a@blue", 1h), 8u);
  // Values 13..20 are left: the smallest is 13.
  EXPECT_EQ(store.percentile("homepage_load_time", "a@blue", 1, 1h), 13.0);
  EXPECT_EQ(store.percentile("homepage_load_time", "a@blue", 100, 1h), 20.0);
}

TEST(RumStore, SamplesOlderThanMaxAgeAreNeverCounted) {
  SimulatedClock clock;
  RumStoreOptions o;
  o.max_age = 30min;
  RumStore store(clock, o);
  store.record("homepage_load_time", "a@blue", 50);
  clock.advance(29min);
  EXPECT_EQ(store.count("homepage_load_time", "a@blue", 24h), 1u);
  clock.advance(1min);
  EXPECT_EQ(store.count("homepage_load_time", "a@blue", 24h), 0u);
  EXPECT_FALSE(store.percentile("homepage_load_time", "a@blue", 50, 24h));
}

TEST(RumStore, TheSeriesTableIsBoundedEvictingAgedOutThenLeastRecentlyWritten) {
  SimulatedClock clock;
  RumStoreOptions o;
  o.max_series = 3;
  o.max_age = 10min;
  RumStore store(clock, o);
  store.record("m", "old@1", 1);
  clock.advance(11min);  // old@1 has aged out
  store.record("m", "a@1", 1);
  clock.advance(1s);
  store.record("m", "b@1", 1);
  clock.advance(1s);
  store.record("m", "c@1", 1);  // table full: old@1 goes first
  auto keys = store.series();
  ASSERT_EQ(keys.size(), 3u);
  for (const auto& k : keys) EXPECT_NE(k.release, "old@1");
  clock.advance(1s);
  store.record("m", "a@1", 2);  // a@1 written again: b@1 is now the least recent
  clock.advance(1s);
  store.record("m", "d@1", 1);
  EXPECT_EQ(store.series().size(), 3u);
  EXPECT_EQ(store.count("m", "b@1", 1h), 0u);
  EXPECT_EQ(store.count("m", "a@1", 1h), 2u);
  EXPECT_EQ(store.count("m", "c@1", 1h), 1u);
  EXPECT_EQ(store.count("m", "d@1", 1h), 1u);
}

TEST(RumStore, ConcurrentWritersAndReadersLoseNothingWithinCapacity) {
  SimulatedClock clock;
  RumStoreOptions o;
  o.samples_per_series = 40000;
  RumStore store(clock, o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 10000; ++i) {
        store.record("homepage_load_time", t % 2 == 0 ? "a@blue" : "a@green", i);
      }
    });
  }
  std::thread reader([&store] {
    for (int i = 0; i < 200; ++i) (void)store.percentile("homepage_load_time", "a@blue", 95, 1h);
  });
  for (auto& th : threads) th.join();
  reader.join();
  EXPECT_EQ(store.count("homepage_load_time", "a@blue", 1h), 20000u);
  EXPECT_EQ(store.count("homepage_load_time", "a@green", 1h), 20000u);
  EXPECT_EQ(store.percentile("homepage_load_time", "a@green", 100, 1h), 9999.0);
}

}  // namespace
}  // namespace shipgate::rum
