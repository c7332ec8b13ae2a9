// The beacon parser: what it takes, and every rejection reason with the status the intake answers.
#include "shipgate/rum/beacon.h"

#include <gtest/gtest.h>

#include <string>
#include <set>
#include <variant>

namespace shipgate::rum {
namespace {

BeaconRules rules() {
  BeaconRules r;
  r.metrics = {"homepage_load_time", "wallet_connection_time"};
  r.max_value_ms = 600000;
  r.max_metrics = 3;
  r.max_body_bytes = 256;
  return r;
}

BeaconError rejected(std::string_view body, const BeaconRules& r = rules()) {
  auto out = parseBeacon(body, r);
  if (std::holds_alternative<Beacon>(out)) {
    ADD_FAILURE() << "accepted: " << body;
    return {RejectReason::kMethod, ""};
  }
  return std::get<BeaconError>(out);
}

TEST(Beacon, AcceptsTheScriptsShape) {
  auto out = parseBeacon(
      R"({"m":[{"n":"homepage_load_time","v":1234.5},{"n":"wallet_connection_time","v":0}],"p":"/"})",
      rules());
  ASSERT_TRUE(std::holds_alternative<Beacon>(out));
  const Beacon& b = std::get<Beacon>(out);
  ASSERT_EQ(b.measurements.size(), 2u);
  EXPECT_EQ(b.measurements[0].name, "homepage_load_time");
  EXPECT_DOUBLE_EQ(b.measurements[0].value_ms, 1234.5);
  EXPECT_EQ(b.measurements[1].name, "wallet_connection_time");
  EXPECT_DOUBLE_EQ(b.measurements[1].value_ms, 0);
  EXPECT_EQ(b.page, "/");
}

TEST(Beacon, PageIsOptionalAndIntegersAndTheBoundsAreValues) {
  auto out = parseBeacon(R"({"m":[{"v":600000,"n":"homepage_load_time"}]})", rules());
  ASSERT_TRUE(std::holds_alternative<Beacon>(out));
  EXPECT_DOUBLE_EQ(std::get<Beacon>(out).measurements[0].value_ms, 600000);
  EXPECT_EQ(std::get<Beacon>(out).page, "");
}

struct Case {
  const char* body;
  RejectReason reason;
  int status;
  const char* detail_has;
};

TEST(Beacon, EveryRejectionHasItsReasonStatusAndDetail) {
  const Case cases[] = {
      {"", RejectReason::kBadJson, 400, "not valid JSON"},
      {"{\"m\":[", RejectReason::kBadJson, 400, "not valid JSON"},
      {"m=1", RejectReason::kBadJson, 400, "not valid JSON"},
      {"{\"m\":[]} trailing", RejectReason::kBadJson, 400, "not valid JSON"},
      {"\"\xff\"", RejectReason::kBadJson, 400, "not valid JSON"},
      {"[1,2]", RejectReason::kNotObject, 400, "body is array"},
      {"42", RejectReason::kNotObject, 400, "body is number"},
      {R"({"m":[],"x":1})", RejectReason::kUnknownField, 400, "unknown key \"x\""},
      {R"({"p":"/"})", RejectReason::kNoMetrics, 400, "m is missing"},
      {R"({"m":{}})", RejectReason::kNoMetrics, 400, "m is object"},
      {R"({"m":[]})", RejectReason::kNoMetrics, 400, "m is empty"},
      {R"({"m":[1,2,3,4]})", RejectReason::kTooManyMetrics, 400, "m has 4 entries, at most 3"},
      {R"({"m":["homepage_load_time"]})", RejectReason::kBadEntry, 400, "m[0] is string"},
      {R"({"m":[{"n":"homepage_load_time"}]})", RejectReason::kBadEntry, 400, "needs both"},
      {R"({"m":[{"n":"homepage_load_time","v":1,"t":2}]})", RejectReason::kUnknownField, 400,
       "m[0]: unknown key \"t\""},
      {R"({"m":[{"n":"api_response_time","v":1}]})", RejectReason::kUnknownMetric, 400,
       "\"api_response_time\" is not a configured metric"},
      {R"({"m":[{"n":7,"v":1}]})", RejectReason::kUnknownMetric, 400, "m[0].n is number"},
      {R"({"m":[{"n":"homepage_load_time","v":"12"}]})", RejectReason::kBadValue, 400,
       "m[0].v is string"},
      {R"({"m":[{"n":"homepage_load_time","v":null}]})", RejectReason::kBadValue, 400,
       "m[0].v is null"},
      {R"({"m":[{"n":"homepage_load_time","v":1e400}]})", RejectReason::kBadJson, 400, "JSON"},
      {R"({"m":[{"n":"homepage_load_time","v":-1}]})", RejectReason::kOutOfRange, 400,
       "-1 is outside 0..600000 ms"},
      {R"({"m":[{"n":"homepage_load_time","v":600000.5}]})", RejectReason::kOutOfRange, 400,
       "600000.5 is outside"},
      {R"({"m":[{"n":"homepage_load_time","v":1},{"n":"homepage_load_time","v":1e9}]})",
       RejectReason::kOutOfRange, 400, "m[1].v"},
      {R"({"m":[{"n":"homepage_load_time","v":1}],"p":5})", RejectReason::kBadPage, 400,
       "p is number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    BeaconError e = rejected(c.body);
    EXPECT_EQ(reasonName(e.reason), reasonName(c.reason));
    EXPECT_EQ(reasonStatus(e.reason), c.status);
    EXPECT_NE(e.detail.find(c.detail_has), std::string::npos) << e.detail;
  }
}

TEST(Beacon, ABodyOverTheLimitIsTooLargeWith413) {
  BeaconRules r = rules();
  std::string body = R"({"m":[{"n":"homepage_load_time","v":1}],"p":")";
  body += std::string(r.max_body_bytes, 'a') + "\"}";
  BeaconError e = rejected(body, r);
  EXPECT_EQ(e.reason, RejectReason::kTooLarge);
  EXPECT_EQ(reasonStatus(e.reason), 413);
  // Exactly at the limit is fine as far as size goes.
  std::string at_limit = R"({"m":[{"n":"homepage_load_time","v":1}]})";
  r.max_body_bytes = at_limit.size();
  EXPECT_TRUE(std::holds_alternative<Beacon>(parseBeacon(at_limit, r)));
  r.max_body_bytes = at_limit.size() - 1;
  EXPECT_EQ(rejected(at_limit, r).reason, RejectReason::kTooLarge);
}

TEST(Beacon, ALongPageIsRejected) {
  BeaconRules r = rules();
  r.max_body_bytes = 4096;
  std::string body = R"({"m":[{"n":"homepage_load_time","v":1}],"p":")" +
                     std::string(kMaxPagePathBytes + 1, 'a') + "\"}";
  EXPECT_EQ(rejected(body, r).reason, RejectReason::kBadPage);
}

TEST(Beacon, DeepNestingIsRejectedNotACrash) {
  BeaconRules r = rules();
  r.max_body_bytes = 1 << 20;
  std::string deep = "{\"m\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(rejected(deep, r).reason, RejectReason::kBadEntry);
  std::string open = std::string(200000, '[');
  EXPECT_EQ(rejected(open, r).reason, RejectReason::kBadJson);
}

TEST(Beacon, ClientTextInDetailsIsBoundedAndPrintable) {
  BeaconRules r = rules();
  r.max_body_bytes = 4096;
  std::string name(300, 'x');
  BeaconError e = rejected(R"({"m":[{"n":")" + std::string("xx\\nx") + name + R"(","v":1}]})", r);
  EXPECT_EQ(e.reason, RejectReason::kUnknownMetric);
  EXPECT_LT(e.detail.size(), 120u) << e.detail;
  EXPECT_EQ(e.detail.find('\n'), std::string::npos);
}

TEST(Beacon, ContentTypes) {
  EXPECT_TRUE(acceptableContentType(""));
  EXPECT_TRUE(acceptableContentType("text/plain;charset=UTF-8"));
  EXPECT_TRUE(acceptableContentType("application/json"));
  EXPECT_TRUE(acceptableContentType("Application/JSON ; charset=utf-8"));
  EXPECT_FALSE(acceptableContentType("application/x-www-form-urlencoded"));
  EXPECT_FALSE(acceptableContentType("multipart/form-data; boundary=x"));
  EXPECT_FALSE(acceptableContentType("text/plainx"));
}

TEST(Beacon, ReasonNamesArePrometheusLabelValuesAndDistinct) {
  std::set<std::string_view> seen;
  for (RejectReason r : kAllRejectReasons) {
    std::string_view n = reasonName(r);
    EXPECT_TRUE(seen.insert(n).second) << n;
    for (char c : n) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << n;
  }
  EXPECT_EQ(seen.size(), std::size(kAllRejectReasons));
}

}  // namespace
}  // namespace shipgate::rum
