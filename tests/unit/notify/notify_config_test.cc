// The notifications: section through the real config loader: defaults, every key, and errors at
// file:line:col with "did you mean" hints; secret files must be private; the webhook URL is never
// quoted in full.
#include "shipgate/notify/notify_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "shipgate/config/loader.h"
#include "support/paths.h"

namespace shipgate::notify {
namespace {

using config::Diagnostic;
using config::LoadResult;

LoadResult load(const std::string& yaml) {
  auto section = notifySection();
  return config::loadString(yaml, "test.yaml", {section.get()});
}

::testing::AssertionResult hasDiag(const LoadResult& r, const std::string& where,
                                   const std::string& text,
                                   Diagnostic::Severity severity = Diagnostic::Severity::kError) {
  for (const auto& d : r.diagnostics) {
    if (d.severity == severity && d.where.toString() == where &&
        d.message.find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no diagnostic at " << where << " containing \"" << text
                                       << "\"; diagnostics:\n" << r.toString();
}

class NotifyConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok()) << dir_.error();
    key_ = dir_.writeFile("pd.key", "R0UTING-KEY\n");
    ASSERT_EQ(::chmod(key_.c_str(), 0600), 0);
  }
  testsupport::TempDir dir_{"notify-config"};
  std::string key_;
};

TEST_F(NotifyConfigTest, AbsentSectionMeansNoChannels) {
  LoadResult r = load("listeners: []\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  const NotifyConfig& c = notifyConfigOf(*r.config);
  EXPECT_FALSE(c.anyChannel());
  EXPECT_EQ(c.retry.attempts, 8);
}

TEST_F(NotifyConfigTest, ReadsThePlanExampleAndEveryKey) {
  LoadResult r = load(
      "notifications:\n"
      "  slack: {webhook_url: \"http://127.0.0.1:9/hook\", events: [deploy_failed, rolled_back]}\n"
      "  pagerduty: {url: \"https://events.pagerduty.com/v2/enqueue\", routing_key_file: " +
      key_ + "}\n"
      "  retry: {attempts: 3, initial_backoff: 200ms, max_backoff: 2s}\n"
      "  connect_timeout: 1s\n"
      "  timeout: 4s\n"
      "  queue: 50\n"
      "  flush_timeout: 3s\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  const NotifyConfig& c = notifyConfigOf(*r.config);
  ASSERT_TRUE(c.slack && c.pagerduty);
  EXPECT_EQ(c.slack->webhook_url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(c.slack->events,
            (std::vector<EventKind>{EventKind::kDeployFailed, EventKind::kRolledBack}));
  EXPECT_EQ(c.pagerduty->routing_key_file, key_);
  // PagerDuty's default events: failures, rollbacks and incidents only.
  EXPECT_EQ(c.pagerduty->events.size(), 4u);
  EXPECT_EQ(c.retry.attempts, 3);
  EXPECT_EQ(c.retry.initial_backoff, Millis(200));
  EXPECT_EQ(c.retry.max_backoff, Millis(2000));
  EXPECT_EQ(c.connect_timeout, Millis(1000));
  EXPECT_EQ(c.timeout, Millis(4000));
  EXPECT_EQ(c.queue, 50u);
  EXPECT_EQ(c.flush_timeout, Millis(3000));
}

TEST_F(NotifyConfigTest, MisspeltKeysAndEventNamesAreLocatedWithAHint) {
  LoadResult r = load(
      "notifications:\n"
      "  slak: {webhook_url: \"http://127.0.0.1:9/hook\"}\n"
      "  pagerduty:\n"
      "    routing_key_file: " + key_ + "\n"
      "    events: [incident_opened, incident_resolvd]\n"
      "    severity: high\n"
      "  retry: {atempts: 3}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:3", "did you mean \"slack\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:31", "unknown event \"incident_resolvd\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:31", "did you mean \"incident_resolved\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:5", "severity"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:11", "did you mean \"attempts\""));
}

TEST_F(NotifyConfigTest, BadValuesAreLocated) {
  LoadResult r = load(
      "notifications:\n"
      "  slack: {webhook_url: \"ftp://hooks.example/T0/B0/S3CRET\"}\n"
      "  pagerduty: {url: \"https://events.pagerduty.com/v2/enqueue\"}\n"
      "  retry: {attempts: 0, initial_backoff: 5s, max_backoff: 1s}\n"
      "  queue: 0\n"
      "  timeout: 0s\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:24", "is not an http:// or https:// URL"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:3", "routing_key_file is required"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:21", "notifications.retry.attempts"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:58", "must be at least initial_backoff"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:10", "notifications.queue"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:6:12", "must be more than 0"));
  // The webhook URL is a secret: its path never appears in a message.
  EXPECT_EQ(r.toString().find("S3CRET"), std::string::npos) << r.toString();
}

TEST_F(NotifyConfigTest, SlackNeedsExactlyOneOfUrlAndUrlFile) {
  LoadResult none = load("notifications:\n  slack: {events: [deploy_failed]}\n");
  EXPECT_TRUE(hasDiag(none, "test.yaml:2:3", "webhook_url or webhook_url_file is required"));
  std::string file = dir_.writeFile("slack.url", "https://hooks.slack.com/services/T/B/X\n");
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  LoadResult both = load("notifications:\n  slack:\n    webhook_url: \"https://a.example/x\"\n"
                         "    webhook_url_file: " + file + "\n");
  EXPECT_TRUE(hasDiag(both, "test.yaml:4:23", "not both"));
  LoadResult from_file = load("notifications:\n  slack: {webhook_url_file: " + file + "}\n");
  ASSERT_TRUE(from_file.ok()) << from_file.toString();
  EXPECT_EQ(notifyConfigOf(*from_file.config).slack->webhook_url_file, file);
}

TEST_F(NotifyConfigTest, SecretFilesReadableByOthersAreRefusedUnlessAllowed) {
  ASSERT_EQ(::chmod(key_.c_str(), 0644), 0);
  LoadResult r = load("notifications:\n  pagerduty: {routing_key_file: " + key_ + "}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:33", "mode 0644"));
  EXPECT_EQ(r.toString().find("R0UTING-KEY"), std::string::npos);
  LoadResult allowed = load("notifications:\n  pagerduty: {routing_key_file: " + key_ +
                            ", allow_insecure_file: true}\n");
  EXPECT_TRUE(allowed.ok()) << allowed.toString();
  // A routing key written into the config itself is refused.
  LoadResult inline_key = load("notifications:\n  pagerduty: {routing_key: abc, routing_key_file: " +
                               key_ + ", allow_insecure_file: true}\n");
  EXPECT_TRUE(hasDiag(inline_key, "test.yaml:2:28", "put it in a file"));
  // A missing file is a warning: serve fails until it exists.
  LoadResult missing = load("notifications:\n  pagerduty: {routing_key_file: " +
                            dir_.file("nope.key") + "}\n");
  EXPECT_TRUE(missing.ok()) << missing.toString();
  EXPECT_TRUE(hasDiag(missing, "test.yaml:2:33", "does not exist",
                      Diagnostic::Severity::kWarning));
}

TEST_F(NotifyConfigTest, ReadSecretFileChecksModeAndShape) {
  auto key = readSecretFile(key_, false);
  ASSERT_TRUE(key.isOk()) << key.status().toString();
  EXPECT_EQ(*key, "R0UTING-KEY");
  ASSERT_EQ(::chmod(key_.c_str(), 0640), 0);
  auto open = readSecretFile(key_, false);
  ASSERT_FALSE(open.isOk());
  EXPECT_NE(open.status().message().find("mode 0640"), std::string::npos);
  EXPECT_EQ(open.status().message().find("R0UTING"), std::string::npos);
  EXPECT_TRUE(readSecretFile(key_, true).isOk());
  std::string two = dir_.writeFile("two.key", "a\nb\n");
  ASSERT_EQ(::chmod(two.c_str(), 0600), 0);
  EXPECT_FALSE(readSecretFile(two, false).isOk());
  std::string empty = dir_.writeFile("empty.key", " \n");
  ASSERT_EQ(::chmod(empty.c_str(), 0600), 0);
  EXPECT_FALSE(readSecretFile(empty, false).isOk());
  EXPECT_FALSE(readSecretFile(dir_.file("absent.key"), false).isOk());
}

TEST(RedactUrl, KeepsSchemeAndHostOnly) {
  EXPECT_EQ(redactUrl("https://hooks.slack.com/services/T0/B0/xyz"),
            "https://hooks.slack.com/\xE2\x80\xA6");
  EXPECT_EQ(redactUrl("http://user:pw@127.0.0.1:8080/hook?token=1"),
            "http://127.0.0.1:8080/\xE2\x80\xA6");
  EXPECT_EQ(redactUrl("not a url /secret"), "\xE2\x80\xA6");
}

}  // namespace
}  // namespace shipgate::notify
