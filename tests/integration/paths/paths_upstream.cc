// A minimal HTTP/1.1 upstream for the path differential test: `paths_upstream PORT LOG`. For each
// request it appends the request line it received, exactly, to LOG (one line each) and answers
// 200 with that request line as the body and "Connection: close". Reads the head only (the test
// sends no bodies). Serves one connection at a time until killed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: paths_upstream PORT LOG\n");
    return 2;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 64) != 0) {
    std::perror("paths_upstream: bind/listen");
    return 1;
  }
  for (;;) {
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0) continue;
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    size_t eol = in.find("\r\n");
    if (eol != std::string::npos) {
      std::string line = in.substr(0, eol);
      if (FILE* log = std::fopen(argv[2], "a")) {
        std::fprintf(log, "%s\n", line.c_str());
        std::fclose(log);
      }
      std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                        "Content-Length: " + std::to_string(line.size()) + "\r\n\r\n" + line;
      size_t off = 0;
      while (off < out.size()) {
        ssize_t w = ::write(c, out.data() + off, out.size() - off);
        if (w <= 0) break;
        off += static_cast<size_t>(w);
      }
    }
    ::close(c);
  }
}
