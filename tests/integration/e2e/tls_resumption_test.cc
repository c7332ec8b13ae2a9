// TLS session resumption through the real binary, with `openssl s_client -sess_out/-sess_in`:
// a session saved from one connection resumes on the next ("Reused" in s_client's summary) for
// TLS 1.2 with tickets, TLS 1.2 without tickets (session ID cache) and TLS 1.3 (tickets), when
// the client closed first: after a keep-alive request, after a handshake-only connection ended
// with close_notify, and after a client that just dropped TCP (killed). Sessions survive a reload
// that keeps the TLS section; after a reload that changes the certificate, tickets still resume
// (the ticket keys are the process's) but session IDs do not (the cache lived in the old
// certificate's context). The gateway runs 2 workers, so connections land on either.
// shipgate_tls_handshakes_total counts every handshake as full or resumed, exactly.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e_util.h"
#include "support/gateway_process.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;

constexpr char kBody[] = "resumption-test-page";

struct Variant {
  const char* name;
  std::vector<std::string> flags;
  const char* protocol;  // as s_client prints it
  bool ticket;           // the saved session holds a ticket (not only a session ID)
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> v = {
      {"TLS 1.2 with tickets", {"-tls1_2"}, "TLSv1.2", true},
      {"TLS 1.2 session ID", {"-tls1_2", "-no_ticket"}, "TLSv1.2", false},
      {"TLS 1.3 ticket", {"-tls1_3"}, "TLSv1.3", true},
  };
  return v;
}

struct Ports {
  uint16_t https = testsupport::freePort();
  uint16_t admin = testsupport::freePort();
};

std::string configYaml(const Ports& p, const testsupport::TempDir& dir, const std::string& token,
                       const std::string& cert, const std::string& idle_timeout = "60s") {
  return "server:\n  workers: 2\n  allow_root: true\n  limits: {idle_timeout: " + idle_timeout +
         "}\n"
         "listeners:\n"
         "  - name: https\n"
         "    address: \"127.0.0.1:" +
         std::to_string(p.https) +
         "\"\n"
         "    tls: [{cert: \"" +
         dir.file(cert + ".crt") + "\", key: \"" + dir.file(cert + ".key") +
         "\"}]\n"
         "admin: {address: \"127.0.0.1:" +
         std::to_string(p.admin) + "\", token_file: \"" + token +
         "\"}\n"
         "sites:\n"
         "  - {name: www, static: {root: \"" +
         dir.file("www") + "\"}}\n";
}

// One `openssl s_client` connection whose stdin is a FIFO the test writes: requests go in, and
// closing the FIFO ends the connection the way a client does (s_client sends close_notify and
// closes). kill() drops the TCP connection without close_notify.
class SClient {
 public:
  SClient(const testsupport::TempDir& dir, const std::string& name, uint16_t port,
          const std::vector<std::string>& flags)
      : fifo_(dir.file(name + ".in")) {
    std::string cmd = "exec openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                      " -servername app.test -nocommands";
    for (const auto& f : flags) cmd += " " + f;
    cmd += " < " + fifo_;
    process_ = std::make_unique<testsupport::Process>(testsupport::command({"sh", "-c", cmd}));
  }
  ~SClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  ::testing::AssertionResult start() {
    if (::mkfifo(fifo_.c_str(), 0600) != 0) {
      return ::testing::AssertionFailure() << "mkfifo " << fifo_ << ": " << strerror(errno);
    }
    auto started = process_->start();
    if (!started) return started;
    // The shell opens the FIFO for reading; until it does, a non-blocking open fails (ENXIO).
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((fd_ = ::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK)) < 0) {
      if (errno != ENXIO || std::chrono::steady_clock::now() > deadline) {
        return ::testing::AssertionFailure() << "open " << fifo_ << ": " << strerror(errno) << "\n"
                                             << process_->describe();
      }
      std::this_thread::sleep_for(10ms);
    }
    ::fcntl(fd_, F_SETFL, 0);
    return ::testing::AssertionSuccess();
  }
  bool send(const std::string& bytes) {
    return ::write(fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  }
  // Ends stdin: s_client sends close_notify, closes the connection and exits 0.
  ::testing::AssertionResult closeInput() {
    ::close(fd_);
    fd_ = -1;
    auto code = process_->wait(10s);
    if (code != 0) return ::testing::AssertionFailure() << process_->describe();
    return ::testing::AssertionSuccess();
  }
  void kill() {
    process_->kill();
    (void)process_->wait(10s);
  }
  bool waitFor(const std::string& needle) { return process_->waitForOutput(needle, 10s); }
  std::string out() const { return process_->stdoutText(); }
  std::string describe() const { return process_->describe(); }

 private:
  std::string fifo_;
  int fd_ = -1;
  std::unique_ptr<testsupport::Process> process_;
};

// `openssl sess_id -text` of a saved session.
std::string describeSession(const std::string& file) {
  testsupport::Process p(
      testsupport::command({"openssl", "sess_id", "-in", file, "-noout", "-text"}));
  if (!p.start() || p.wait(30s) != 0) return "openssl sess_id failed: " + p.describe();
  return p.stdoutText();
}

enum class Ending { kKeepAliveRequest, kHandshakeOnly, kHandshakeOnlyKilled };

class TlsResumptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    token_ = writeToken(dir_);
    ASSERT_TRUE(makeCert(dir_, "first"));
    ASSERT_TRUE(makeCert(dir_, "second"));
    ASSERT_FALSE(dir_.writeFile("www/index.html", kBody).empty());
    ASSERT_TRUE(gw_.start(configYaml(ports_, dir_, token_, "first"), {ports_.https, ports_.admin}));
  }

  // One connection: saves its session to `session_out` (and resumes `session_in`, when given),
  // ends as told, and returns s_client's "New, ..." / "Reused, ..." summary line.
  std::string connect(const Variant& v, Ending ending, const std::string& session_in,
                      const std::string& session_out) {
    std::vector<std::string> flags = v.flags;
    if (!session_in.empty()) flags.insert(flags.end(), {"-sess_in", session_in});
    if (!session_out.empty()) flags.insert(flags.end(), {"-sess_out", session_out});
    SClient client(dir_, "c" + std::to_string(++clients_), ports_.https, flags);
    EXPECT_TRUE(client.start());
    if (ending == Ending::kKeepAliveRequest) {
      // HTTP/1.1 without "Connection: close": the gateway keeps the connection open after it.
      EXPECT_TRUE(client.send("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n"));
      EXPECT_TRUE(client.waitFor(kBody)) << client.describe() << gw_.logs();
    } else {
      EXPECT_TRUE(client.waitFor("Verify return code")) << client.describe();
    }
    if (!session_out.empty()) {
      // TLS 1.3 tickets arrive after the handshake: wait until s_client has saved one.
      EXPECT_TRUE(eventually([&] { return !testsupport::readFile(session_out).empty(); }))
          << client.describe();
    }
    if (ending == Ending::kHandshakeOnlyKilled) {
      client.kill();
    } else {
      EXPECT_TRUE(client.closeInput());
    }
    // The gateway has closed (and freed) the connection before the next one starts.
    EXPECT_TRUE(eventually([&] { return metric("shipgate_active_connections") == "0"; }))
        << metric("shipgate_active_connections");
    // s_client's summary: "New, TLSv1.3, Cipher is ..." or "Reused, TLSv1.3, Cipher is ...".
    std::string out = "\n" + client.out();
    size_t at = out.find("\nNew, ");
    if (at == std::string::npos) at = out.find("\nReused, ");
    if (at == std::string::npos) return "no summary in: " + client.describe();
    return out.substr(at + 1, out.find(", Cipher", at) - at - 1);
  }

  // The value of one series on /metrics ("" when absent).
  std::string metric(const std::string& series) {
    auto r = testsupport::httpGet(ports_.admin, "/metrics",
                                  {{"Authorization", "Bearer " + tokenValue()}});
    size_t at = r.body.find("\n" + series + " ");
    if (at == std::string::npos) return "";
    at += series.size() + 2;
    return r.body.substr(at, r.body.find('\n', at) - at);
  }
  std::string handshakes(const char* kind) {
    return metric(std::string("shipgate_tls_handshakes_total{listener=\"https\",handshake=\"") +
                  kind + "\"}");
  }
  std::string tokenValue() {
    std::string t = testsupport::readFile(token_);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    return t;
  }
  std::string session(const Variant& v) {
    return dir_.file(std::string("sess-") + std::to_string(&v - variants().data()) + ".pem");
  }

  template <typename Check>
  static bool eventually(Check check) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (check()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  testsupport::TempDir dir_{"sg-tls-resume"};
  Ports ports_;
  std::string token_;
  GatewayProcess gw_;
  int clients_ = 0;
};

TEST_F(TlsResumptionTest, ResumesAfterTheClientClosedAKeepAliveConnection) {
  for (const auto& v : variants()) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(connect(v, Ending::kKeepAliveRequest, "", session(v)),
              std::string("New, ") + v.protocol);
    std::string saved = describeSession(session(v));
    EXPECT_EQ(saved.find("TLS session ticket:") != std::string::npos, v.ticket) << saved;
    EXPECT_EQ(connect(v, Ending::kKeepAliveRequest, session(v), ""),
              std::string("Reused, ") + v.protocol)
        << gw_.logs();
  }
  EXPECT_EQ(handshakes("full"), "3");
  EXPECT_EQ(handshakes("resumed"), "3");
}

TEST_F(TlsResumptionTest, ResumesAfterAHandshakeOnlyConnectionClosedByTheClient) {
  for (Ending ending : {Ending::kHandshakeOnly, Ending::kHandshakeOnlyKilled}) {
    for (const auto& v : variants()) {
      SCOPED_TRACE(std::string(v.name) +
                   (ending == Ending::kHandshakeOnly ? ", close_notify" : ", TCP close only"));
      EXPECT_EQ(connect(v, ending, "", session(v)), std::string("New, ") + v.protocol);
      EXPECT_EQ(connect(v, ending, session(v), ""), std::string("Reused, ") + v.protocol);
    }
  }
  EXPECT_EQ(handshakes("full"), "6");
  EXPECT_EQ(handshakes("resumed"), "6");
}

TEST_F(TlsResumptionTest, SessionsSurviveReloadsAndTicketsSurviveACertificateChange) {
  for (const auto& v : variants()) {
    EXPECT_EQ(connect(v, Ending::kKeepAliveRequest, "", session(v)),
              std::string("New, ") + v.protocol);
  }
  // SIGHUP with the TLS section unchanged: the listener keeps its context and session cache.
  ASSERT_TRUE(gw_.reload(configYaml(ports_, dir_, token_, "first", "61s")));
  ASSERT_TRUE(gw_.waitForLog("config reloaded", 10s)) << gw_.logs();
  for (const auto& v : variants()) {
    SCOPED_TRACE(std::string(v.name) + ", after SIGHUP");
    EXPECT_EQ(connect(v, Ending::kKeepAliveRequest, session(v), ""),
              std::string("Reused, ") + v.protocol);
  }
  // The admin API's reload with a new certificate: a new context, so an empty session-ID cache;
  // tickets are opened with the process's ticket keys and still resume.
  std::ofstream(gw_.configPath(), std::ios::trunc) << configYaml(ports_, dir_, token_, "second");
  auto r = runCli({"reload", "--admin", "http://127.0.0.1:" + std::to_string(ports_.admin),
                   "--token-file", token_});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << gw_.logs();
  const auto& all = variants();
  EXPECT_EQ(connect(all[0], Ending::kKeepAliveRequest, session(all[0]), ""), "Reused, TLSv1.2");
  EXPECT_EQ(connect(all[1], Ending::kKeepAliveRequest, session(all[1]), ""), "New, TLSv1.2");
  EXPECT_EQ(connect(all[2], Ending::kKeepAliveRequest, session(all[2]), ""), "Reused, TLSv1.3");
  EXPECT_EQ(handshakes("full"), "4");
  EXPECT_EQ(handshakes("resumed"), "5");
}

}  // namespace
}  // namespace e2e
