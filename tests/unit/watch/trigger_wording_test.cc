// The rollback trigger wording parser: the seed's lines as written, variants of their grammar,
// the canonical text (describe) reading back as the same rule, and errors that name the offending
// word's offset and what was expected.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shipgate/watch/triggers.h"

namespace shipgate::watch {
namespace {

TriggerSpec parseOk(const std::string& text) {
  TriggerSpec spec;
  WordingError err;
  EXPECT_TRUE(parseTriggerWording(text, spec, err))
      << text << "\n  error at " << err.offset << ": " << err.message;
  return spec;
}

WordingError parseErr(const std::string& text) {
  TriggerSpec spec;
  WordingError err;
  EXPECT_FALSE(parseTriggerWording(text, spec, err)) << text << " parsed as " << describe(spec);
  return err;
}

TEST(TriggerWording, SeedLinesAsWritten) {
  const auto& seed = seedTriggerWording();
  ASSERT_EQ(seed.size(), 4u);

  TriggerSpec e = parseOk(seed[0]);
  EXPECT_EQ(e.metric, TriggerMetric::kErrorRate);
  EXPECT_EQ(e.comparison, Comparison::kAbove);
  EXPECT_EQ(e.threshold, 5);
  EXPECT_EQ(e.window, Millis{300'000});
  EXPECT_EQ(e.sample, Millis{1'000});
  EXPECT_EQ(e.min_requests, 10);
  EXPECT_EQ(e.no_data, NoDataPolicy::kOk);
  EXPECT_EQ(e.wording, "Error rate > 5% for 5 minutes");
  EXPECT_EQ(describe(e), "error_rate > 5% for 5m (1s samples, min 10 requests, no data: ok)");

  TriggerSpec l = parseOk(seed[1]);
  EXPECT_EQ(l.metric, TriggerMetric::kLatency);
  EXPECT_TRUE(l.baseline);
  EXPECT_EQ(l.threshold, 200);
  EXPECT_EQ(l.percentile, 95);
  EXPECT_EQ(l.window, Millis{600'000});
  EXPECT_EQ(describe(l),
            "latency p95 > 200% of baseline for 10m (1s samples, min 10 requests, no data: ok)");

  TriggerSpec h = parseOk(seed[2]);
  EXPECT_EQ(h.metric, TriggerMetric::kHealthFailures);
  EXPECT_EQ(h.threshold, 3);
  EXPECT_EQ(h.window, Millis{0});
  EXPECT_EQ(h.windowSamples(), 1);
  EXPECT_EQ(describe(h), "health_failures > 3 consecutive (1s samples, no data: ok)");

  TriggerSpec w = parseOk(seed[3]);
  EXPECT_EQ(w.metric, TriggerMetric::kWafBlocks);
  EXPECT_EQ(w.threshold, 1000);
  EXPECT_EQ(w.rate_per, Millis{60'000});
  EXPECT_EQ(w.window, Millis{60'000});
  EXPECT_EQ(describe(w), "waf_blocks > 1000/min over 1m (1s samples, no data: ok)");
}

TEST(TriggerWording, SeedLineWithTrailingSpacesAsInTheSeedFile) {
  // The seed's markdown has two trailing spaces after the response-time line.
  TriggerSpec l = parseOk("Response time > 200% of baseline for 10 minutes  ");
  EXPECT_EQ(l.window, Millis{600'000});
}

struct Variant {
  const char* text;
  const char* canonical;
};

TEST(TriggerWording, VariantsOfTheGrammar) {
  const std::vector<Variant> variants = {
      {"error rate >= 2.5% for 30 seconds",
       "error_rate >= 2.5% for 30s (1s samples, min 10 requests, no data: ok)"},
      {"ERROR RATE > 1%", "error_rate > 1% (1s samples, min 10 requests, no data: ok)"},
      {"Error rate < 50% for 1 hour",
       "error_rate < 50% for 1h (1s samples, min 10 requests, no data: ok)"},
      {"error rate above 5% for 2 min",
       "error_rate > 5% for 2m (1s samples, min 10 requests, no data: ok)"},
      {"Response time > 800ms for 5 minutes",
       "latency p95 > 800ms for 5m (1s samples, min 10 requests, no data: ok)"},
      {"p99 latency > 2s for 1m30s",
       "latency p99 > 2000ms for 1m30s (1s samples, min 10 requests, no data: ok)"},
      {"latency p99.9 <= 250 ms for 10 s",
       "latency p99.9 <= 250ms for 10s (1s samples, min 10 requests, no data: ok)"},
      {"Response time > 2x baseline for 10 minutes",
       "latency p95 > 200% of baseline for 10m (1s samples, min 10 requests, no data: ok)"},
      {"response time > 150% baseline over the last 3 minutes",
       "latency p95 > 150% of baseline for 3m (1s samples, min 10 requests, no data: ok)"},
      {"Health check failures >= 5 consecutive failures",
       "health_failures >= 5 consecutive (1s samples, no data: ok)"},
      {"health check failures > 3", "health_failures > 3 consecutive (1s samples, no data: ok)"},
      {"Health check failures > 2 consecutive for 30 seconds",
       "health_failures > 2 consecutive for 30s (1s samples, no data: ok)"},
      {"WAF blocking > 20 requests per second",
       "waf_blocks > 20/s over 1m (1s samples, no data: ok)"},
      {"waf blocks > 1000/min for 5 minutes",
       "waf_blocks > 1000/min over 5m (1s samples, no data: ok)"},
      {"Security alert (WAF blocking > 1000 requests/minute for 2 minutes)",
       "waf_blocks > 1000/min over 2m (1s samples, no data: ok)"},
      {"Error rate > 5% for 5 minutes (5s samples, min 50 requests, no data: hold)",
       "error_rate > 5% for 5m (5s samples, min 50 requests, no data: hold)"},
      {"latency > 1.1 s for 0.1 hours",
       "latency p95 > 1100ms for 6m (1s samples, min 10 requests, no data: ok)"},
      {"Response time > 1.15x baseline for 1 minute",
       "latency p95 > 115% of baseline for 1m (1s samples, min 10 requests, no data: ok)"},
      {"Security alert (WAF blocking > 1000 requests/minute) (no data: breach)",
       "waf_blocks > 1000/min over 1m (1s samples, no data: breach)"},
  };
  for (const auto& v : variants) {
    TriggerSpec s = parseOk(v.text);
    EXPECT_EQ(describe(s), v.canonical) << v.text;
  }
}

TEST(TriggerWording, CanonicalTextReadsBackAsTheSameRule) {
  std::vector<std::string> texts = seedTriggerWording();
  texts.push_back("p99.9 latency <= 0.25 s for 90 seconds (2s samples, min 0 requests, no data: breach)");
  texts.push_back("waf blocks >= 12.5/s over 2h");
  texts.push_back("error rate > 0.001%");
  for (const auto& t : texts) {
    TriggerSpec first = parseOk(t);
    std::string canonical = describe(first);
    TriggerSpec again = parseOk(canonical);
    EXPECT_EQ(describe(again), canonical) << t;
    EXPECT_EQ(again.threshold, first.threshold) << t;
    EXPECT_EQ(again.window, first.window) << t;
    EXPECT_EQ(again.sample, first.sample) << t;
  }
}

struct Bad {
  const char* text;
  size_t offset;
  const char* message;
};

TEST(TriggerWording, BadWordingNamesTheWordAndWhatWasExpected) {
  const std::vector<Bad> bad = {
      {"Error rat > 5% for 5 minutes", 0,
       "expected a metric (error rate, response time, latency, health check failures, WAF "
       "blocking), got \"Error\""},
      {"Error rate is 5% for 5 minutes", 11,
       "expected a comparison (>, >=, <, <=) after \"Error rate\", got \"is\""},
      {"Error rate > five% for 5 minutes", 13, "expected a number after \">\", got \"five\""},
      {"Error rate > 5 for 5 minutes", 15,
       "expected \"%\" after 5 (an error rate is a percentage of requests), got \"for\""},
      {"Error rate > 5% for 5 fortnights", 22,
       "expected a unit (seconds, minutes, hours) after 5, got \"fortnights\""},
      {"Error rate > 5% for minutes", 20,
       "expected a duration (e.g. 5 minutes) after \"for\", got \"minutes\""},
      {"Error rate > 5% during 5 minutes", 16,
       "unexpected \"during\": expected \"for\" and a duration (e.g. for 5 minutes), or the end "
       "of the rule"},
      {"Error rate > 500% for 5 minutes", 13, "an error rate is a percentage from 0 to 100"},
      {"Response time > 200% of normal for 10 minutes", 24,
       "expected \"of baseline\" after 200% (a latency percentage is relative to the baseline), "
       "got \"normal\""},
      {"Response time > 200 for 10 minutes", 20,
       "expected ms, s or \"% of baseline\" after 200, got \"for\""},
      {"p100 response time > 1s", 0, "a percentile is between 0 and 100 (exclusive), e.g. p95"},
      {"p95 error rate > 1%", 0, "a percentile applies to response time (latency) only"},
      {"Health check failures > 3.5 consecutive", 24,
       "health check failures are a whole number, got 3.5"},
      {"Security alert (WAF blocking > 1000 requests)", 44,
       "expected a rate such as 1000 requests/minute or 1000 per second, got \")\""},
      {"Security alert (WAF blocking > 1000 requests/fortnight)", 45,
       "expected minute or second after \"/\" or \"per\", got \"fortnight\""},
      {"Security alert (WAF blocking > 1000 requests/minute", 51,
       "expected \")\" to close \"Security alert (\", got the end of the text"},
      {"Security alert (Error rate > 5%)", 16,
       "a security alert watches WAF blocking (e.g. \"Security alert (WAF blocking > 1000 "
       "requests/minute)\")"},
      {"Security alert WAF blocking > 1000 requests/minute", 15,
       "expected \"(\" and the WAF rule after \"Security alert\", got \"WAF\""},
      {"Error rate > 5% for 1500 ms", 20, "the window 1s500ms is not a whole number of 1s samples"},
      {"Error rate > 5% for 2 days", 22,
       "expected a unit (seconds, minutes, hours) after 2, got \"days\""},
      {"Error rate > 5% for 25 hours", 20, "a window is at most 24h"},
      {"Error rate > 5% — for 5 minutes", 16, "unexpected character \"\\xe2\""},
      {"Health check failures > 3 consecutive (min 5 requests)", 39,
       "min requests applies to error rate and latency only"},
      {"Error rate > 5% for 5 minutes (no data: maybe)", 40,
       "expected ok, breach or hold after \"no data:\", got \"maybe\""},
      {"Error rate > 5% for 5 minutes (7s samples)", 0,
       "the window 5m is not a whole number of 7s samples"},
      {"Error rate > 5% \"for\" 5 minutes", 16, "unexpected character '\"'"},
      {"Error rate > 5% for 5 minutes (500ms samples)", 31,
       "the sample interval must be a whole number of seconds from 1s to 1h"},
      {"", 0,
       "expected a metric (error rate, response time, latency, health check failures, WAF "
       "blocking), got the end of the text"},
  };
  for (const auto& b : bad) {
    WordingError err = parseErr(b.text);
    EXPECT_EQ(err.offset, b.offset) << b.text;
    EXPECT_EQ(err.message, b.message) << b.text;
  }
}

TEST(TriggerWording, DurationsAsTheCanonicalTextWritesThem) {
  EXPECT_EQ(formatDuration(Millis{0}), "0s");
  EXPECT_EQ(formatDuration(Millis{500}), "500ms");
  EXPECT_EQ(formatDuration(Millis{90'000}), "1m30s");
  EXPECT_EQ(formatDuration(Millis{3'600'000}), "1h");
  EXPECT_EQ(formatDuration(Millis{3'723'004}), "1h2m3s4ms");
}

TEST(TriggerWording, PercentilesTheSamplesNeed) {
  std::vector<TriggerSpec> specs = {parseOk("p99 latency > 1s"), parseOk("Error rate > 5%"),
                                    parseOk("Response time > 200% of baseline for 10 minutes"),
                                    parseOk("p99 latency > 2s for 1 minute"),
                                    parseOk("p50 response time > 150% of baseline for 1 hour")};
  EXPECT_EQ(latencyPercentiles(specs), (std::vector<double>{50, 95, 99}));
  auto needs = baselineNeeds(specs);
  ASSERT_EQ(needs.size(), 2u);
  EXPECT_EQ(needs[0].percentile, 50);
  EXPECT_EQ(needs[0].span, Millis{3'600'000});
  EXPECT_EQ(needs[1].percentile, 95);
  EXPECT_EQ(needs[1].span, Millis{600'000});
}

TEST(TriggerWording, OverlongTextIsRefused) {
  std::string text = "Error rate > 5% for 5 minutes" + std::string(600, ' ');
  WordingError err = parseErr(text);
  EXPECT_EQ(err.offset, 0u);
  EXPECT_EQ(err.message, "the rule is too long (629 bytes; at most 512)");
}

}  // namespace
}  // namespace shipgate::watch
