// Self-test of PostgresServer: a real server answers queries through libpq and psql, and is gone
// (process and port) after the fixture is destroyed.
#include "support/postgres_server.h"

#include <libpq-fe.h>
#include <signal.h>

#include <gtest/gtest.h>

#include "support/net.h"

namespace testsupport {
namespace {

TEST(PostgresServerTest, AnswersQueriesAndStopsOnDestruction) {
  pid_t pid = -1;
  uint16_t port = 0;
  {
    PostgresServer pg;
    ASSERT_TRUE(pg.start());
    pid = pg.pid();
    port = pg.port();
    EXPECT_TRUE(pg.running());

    PGconn* conn = PQconnectdb(pg.connectionString().c_str());
    ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
    PGresult* res = PQexec(conn, "SELECT 40 + 2, current_user, inet_server_port()");
    ASSERT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQerrorMessage(conn);
    EXPECT_STREQ(PQgetvalue(res, 0, 0), "42");
    EXPECT_STREQ(PQgetvalue(res, 0, 1), "postgres");
    EXPECT_EQ(std::stoi(PQgetvalue(res, 0, 2)), port);
    PQclear(res);
    PQfinish(conn);

    ASSERT_TRUE(pg.createDatabase("shipgate_selftest"));
    std::string out;
    ASSERT_TRUE(pg.psql("CREATE TABLE t(x int); INSERT INTO t VALUES (1),(2); "
                        "SELECT sum(x) FROM t",
                        &out, "shipgate_selftest"));
    EXPECT_EQ(out, "3\n");
    EXPECT_FALSE(pg.psql("SELECT * FROM no_such_table"));

    // The unix socket lives in the temp dir too.
    std::string sock = "host=" + pg.socketDir() + " port=" + std::to_string(port) +
                       " user=postgres dbname=postgres";
    PGconn* unix_conn = PQconnectdb(sock.c_str());
    EXPECT_EQ(PQstatus(unix_conn), CONNECTION_OK) << PQerrorMessage(unix_conn);
    PQfinish(unix_conn);
  }
  EXPECT_NE(::kill(pid, 0), 0) << "postmaster still alive after destruction";
  EXPECT_FALSE(portAccepts(port));
}

TEST(PostgresServerTest, TwoServersRunSideBySide) {
  PostgresServer a;
  PostgresServer b;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  EXPECT_NE(a.port(), b.port());
  ASSERT_TRUE(a.psql("CREATE TABLE only_in_a(x int)"));
  EXPECT_FALSE(b.psql("SELECT * FROM only_in_a"));
  b.stop();
  EXPECT_FALSE(b.running());
  EXPECT_TRUE(a.psql("SELECT 1"));
}

TEST(PostgresServerTest, MissingBinariesFailStart) {
  PostgresServer::Options options;
  options.bin_dir = "/nonexistent/postgresql/bin";
  PostgresServer pg(options);
  auto r = pg.start();
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("not found"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace testsupport
