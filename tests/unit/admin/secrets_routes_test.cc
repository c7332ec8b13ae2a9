// The admin API's secrets routes on a real httplib server and a real secrets store (SQLite in a
// temporary directory): every operation, its status codes, and that no answer but GET of a path
// holds the value.
#include "secrets_routes.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "shipgate/common/clock.h"
#include "shipgate/secrets/root_key.h"
#include "shipgate/secrets/secrets_config.h"
#include "shipgate/secrets/secrets_store.h"
#include "shipgate/secrets/sqlite_secrets_backend.h"
#include "support/paths.h"

namespace shipgate::admin {
namespace {

using nlohmann::json;

constexpr const char* kValue = "Zq8-unique-secret-value-7Hx";

class SecretsRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto backend = secrets::SqliteSecretsBackend::open(dir_.path());
    ASSERT_TRUE(backend.isOk()) << backend.status().message();
    auto store = secrets::SecretsStore::open(std::move(backend).value(), secrets::RootKey::random(),
                                             RealClock::instance());
    ASSERT_TRUE(store.isOk()) << store.status().message();
    store_ = std::move(store).value();
    auto access = std::make_shared<secrets::SecretsConfig>();
    access->access.push_back({"production", *secrets::SecretPath::parsePrefix("/app/prod/")});
    access_ = access;
    start(SecretsSources{store_.get(), [this] { return access_; }});
  }
  void TearDown() override { stop(); }

  void start(SecretsSources sources) {
    routes_ = std::make_unique<SecretsRoutes>(std::move(sources));
    server_ = std::make_unique<httplib::Server>();
    server_->set_payload_max_length(1 << 20);
    routes_->install(*server_);
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  struct Answer {
    int status = 0;
    std::string body;
    std::string content_type;
    json js() const { return json::parse(body, nullptr, false); }
  };
  Answer call(const std::string& method, const std::string& path, const std::string& body = "",
              const std::string& content_type = "application/octet-stream") {
    httplib::Client c("127.0.0.1", port_);
    httplib::Headers h{{"X-Shipgate-Actor", "tester"}};
    Answer a;
    if (method != "GET" && method != "PUT" && method != "POST" && method != "DELETE") return a;
    httplib::Result r = method == "GET"    ? c.Get(path, h)
                        : method == "PUT"  ? c.Put(path, h, body, content_type)
                        : method == "POST" ? c.Post(path, h, body, "application/json")
                                           : c.Delete(path, h);
    if (!r) return a;
    a.status = r->status;
    a.body = r->body;
    a.content_type = r->get_header_value("Content-Type");
    answers_.push_back(method + " " + path + " -> " + std::to_string(a.status) + " " + a.body);
    return a;
  }

  testsupport::TempDir dir_{"shipgate-secrets-routes"};
  std::unique_ptr<secrets::SecretsStore> store_;
  std::shared_ptr<const secrets::SecretsConfig> access_;
  std::unique_ptr<SecretsRoutes> routes_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::vector<std::string> answers_;  // every answer, for the no-leak check
};

TEST_F(SecretsRoutesTest, PutGetVersionsAndCas) {
  Answer first = call("PUT", "/api/v1/secrets/app/prod/db/url", "one");
  EXPECT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.js(), (json{{"path", "/app/prod/db/url"}, {"version", 1}}));
  Answer second = call("PUT", "/api/v1/secrets/app/prod/db/url?cas=1", kValue);
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.js()["version"], 2);

  Answer conflict = call("PUT", "/api/v1/secrets/app/prod/db/url?cas=1", "three");
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_TRUE(conflict.js().contains("error"));
  EXPECT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url?cas=0", "x").status, 409);
  EXPECT_EQ(call("PUT", "/api/v1/secrets/app/prod/new?cas=0", "x").status, 201);

  Answer latest = call("GET", "/api/v1/secrets/app/prod/db/url");
  EXPECT_EQ(latest.status, 200);
  EXPECT_EQ(latest.body, kValue);
  EXPECT_EQ(latest.content_type, "application/octet-stream");
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url?version=1").body, "one");
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url?version=9").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/nothing").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url?version=x").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url?version=1&label=a").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url?bogus=1").status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url?cas=-1", "x").status, 400);
}

TEST_F(SecretsRoutesTest, BadPathsAre400WithTheReason) {
  Answer a = call("GET", "/api/v1/secrets/app//x");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.js()["error"].get<std::string>().find("bad secret path \"/app//x\""),
            std::string::npos)
      << a.body;
  EXPECT_EQ(call("PUT", "/api/v1/secrets/app/../x", "v").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/x%21y").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/secretsX").status, 404);  // not a route of ours
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/x:frobnicate").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/secrets/app/x:frobnicate", "{}").status, 404);
}

TEST_F(SecretsRoutesTest, ListAndHistoryHoldMetadataOnly) {
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url", kValue).status, 201);
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url", kValue).status, 200);
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/key", kValue).status, 201);
  Answer direct = call("GET", "/api/v1/secrets/app/prod/");
  ASSERT_EQ(direct.status, 200) << direct.body;
  ASSERT_EQ(direct.js()["secrets"].size(), 1u);
  EXPECT_EQ(direct.js()["secrets"][0]["path"], "/app/prod/key");
  Answer all = call("GET", "/api/v1/secrets/?recursive=1");
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_EQ(all.js()["secrets"].size(), 2u);
  EXPECT_EQ(all.js()["secrets"][0]["path"], "/app/prod/db/url");
  EXPECT_EQ(all.js()["secrets"][0]["current_version"], 2);
  EXPECT_EQ(call("GET", "/api/v1/secrets/?recursive=maybe").status, 400);

  Answer history = call("GET", "/api/v1/secrets/app/prod/db/url:history");
  ASSERT_EQ(history.status, 200) << history.body;
  ASSERT_EQ(history.js()["versions"].size(), 2u);
  EXPECT_EQ(history.js()["versions"][1]["created_by"], "tester");
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/none:history").status, 404);
}

TEST_F(SecretsRoutesTest, DeleteUndeleteDestroyLabel) {
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url", "one").status, 201);
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url", kValue).status, 200);
  Answer label =
      call("POST", "/api/v1/secrets/app/prod/db/url:label", R"({"version": 1, "label": "stable"})");
  EXPECT_EQ(label.status, 200) << label.body;
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url?label=stable").body, "one");
  EXPECT_EQ(call("POST", "/api/v1/secrets/app/prod/db/url:label", R"({"version": 1})").status, 400);
  EXPECT_EQ(
      call("POST", "/api/v1/secrets/app/prod/db/url:label", R"({"version": 1, "label": "123"})")
          .status,
      422);
  EXPECT_EQ(call("POST", "/api/v1/secrets/app/prod/db/url:label", R"({"version": 5, "label": "x"})")
                .status,
            404);

  EXPECT_EQ(call("DELETE", "/api/v1/secrets/app/prod/db/url").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/secrets/app/prod/db/url:undelete", "").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url").body, kValue);

  Answer destroy = call("POST", "/api/v1/secrets/app/prod/db/url:destroy", R"({"version": 1})");
  EXPECT_EQ(destroy.status, 200) << destroy.body;
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url?version=1").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/secrets/app/prod/db/url:destroy", R"({"version": "1"})").status,
            400);
  EXPECT_EQ(call("POST", "/api/v1/secrets/app/prod/db/url:destroy", R"({"versions": 1})").status,
            400);
  EXPECT_EQ(call("POST", "/api/v1/secrets/app/prod/db/url:destroy", "not json").status, 400);
  EXPECT_EQ(call("DELETE", "/api/v1/secrets/app/prod/none").status, 404);
}

TEST_F(SecretsRoutesTest, EnvironmentAccessRulesAnswer403) {
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url", kValue).status, 201);
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url?environment=production").body, kValue);
  Answer forbidden = call("GET", "/api/v1/secrets/app/prod/db/url?environment=staging");
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.js()["error"],
            "apps of environment \"staging\" may not read /app/prod/db/url (no secrets.access "
            "rule allows it)");
}

TEST_F(SecretsRoutesTest, BodiesAreBounded) {
  EXPECT_EQ(
      call("PUT", "/api/v1/secrets/app/prod/big", std::string(secrets::kMaxValueBytes, 'x')).status,
      201);
  Answer big =
      call("PUT", "/api/v1/secrets/app/prod/big", std::string(secrets::kMaxValueBytes + 1, 'x'));
  EXPECT_EQ(big.status, 413) << big.body;
  auto h = store_->history("t", "/app/prod/big");
  ASSERT_TRUE(h.isOk());
  EXPECT_EQ(h->size(), 1u);
}

TEST_F(SecretsRoutesTest, AuditVerifyAndRotateKey) {
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url", kValue).status, 201);
  Answer audit = call("GET", "/api/v1/secrets:audit");
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(audit.js()["intact"], true);
  EXPECT_GE(audit.js()["entries"].get<int>(), 1);

  const std::string key_file = dir_.path() + "/new.key";
  ASSERT_TRUE(secrets::RootKey::writeKeyFile(key_file).isOk());
  Answer rotate =
      call("POST", "/api/v1/secrets:rotate-key", json{{"new_key_file", key_file}}.dump());
  ASSERT_EQ(rotate.status, 200) << rotate.body;
  EXPECT_EQ(rotate.js()["new_key_id"], secrets::RootKey::loadKeyFile(key_file)->id());
  EXPECT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url").body, kValue);
  EXPECT_EQ(
      call("POST", "/api/v1/secrets:rotate-key", R"({"new_key_file": "/nonexistent"})").status,
      422);
  EXPECT_EQ(call("POST", "/api/v1/secrets:rotate-key", "{}").status, 400);
}

TEST_F(SecretsRoutesTest, NoAnswerButGetHoldsTheValue) {
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url", kValue).status, 201);
  ASSERT_EQ(call("PUT", "/api/v1/secrets/app/prod/db/url?cas=7", kValue).status, 409);
  call("GET", "/api/v1/secrets/?recursive=1&deleted=1");
  call("GET", "/api/v1/secrets/app/prod/db/url:history");
  call("POST", "/api/v1/secrets/app/prod/db/url:label", R"({"version": 1, "label": "l"})");
  call("DELETE", "/api/v1/secrets/app/prod/db/url");
  call("POST", "/api/v1/secrets/app/prod/db/url:undelete");
  call("GET", "/api/v1/secrets:audit");
  ASSERT_EQ(call("GET", "/api/v1/secrets/app/prod/db/url").body, kValue);
  answers_.pop_back();  // the one answer that is the value
  for (const auto& a : answers_) EXPECT_EQ(a.find(kValue), std::string::npos) << a;
}

TEST_F(SecretsRoutesTest, WithoutAStoreEveryRouteIs503) {
  stop();
  start(SecretsSources{});
  EXPECT_EQ(call("GET", "/api/v1/secrets/a/b").status, 503);
  EXPECT_EQ(call("PUT", "/api/v1/secrets/a/b", "v").status, 503);
  EXPECT_EQ(call("DELETE", "/api/v1/secrets/a/b").status, 503);
  EXPECT_EQ(call("POST", "/api/v1/secrets:rotate-key", "{}").status, 503);
}

}  // namespace
}  // namespace shipgate::admin
