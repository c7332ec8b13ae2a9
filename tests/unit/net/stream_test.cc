// net::Stream over a real socket pair: shutdownWrite() half-closes exactly the sending side (the
// peer reads EOF) and the stream can still read what the peer sends afterwards (lingering close).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shipgate/net/stream.h"

namespace shipgate::net {
namespace {

TEST(StreamTest, PlainShutdownWriteHalfClosesAndKeepsReading) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  PlainStream stream{Fd(sv[0])};
  iovec iov{const_cast<char*>("bye"), 3};
  ASSERT_EQ(stream.writev(&iov, 1), 3);
  stream.shutdownWrite();
  char buf[16];
  ASSERT_EQ(::read(sv[1], buf, sizeof(buf)), 3);
  EXPECT_EQ(::read(sv[1], buf, sizeof(buf)), 0) << "the peer sees the half-close";
  ASSERT_EQ(::write(sv[1], "late", 4), 4);
  ASSERT_EQ(stream.read(buf, sizeof(buf)), 4) << "the stream still reads after it";
  EXPECT_EQ(std::string(buf, 4), "late");
  close(sv[1]);
  EXPECT_EQ(stream.read(buf, sizeof(buf)), 0);
}

}  // namespace
}  // namespace shipgate::net
