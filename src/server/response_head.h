// Small helpers for writing HTTP/1.1 response heads into a Buffer without temporaries.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "shipgate/net/buffer.h"

namespace shipgate::server {

// The standard reason phrase ("Not Found"), or "Unknown".
std::string_view reasonPhrase(int status);

void appendUint(net::Buffer& out, uint64_t v);

class ResponseHead {
 public:
  explicit ResponseHead(net::Buffer& out) : out_(out) {}
  void statusLine(int status) { statusLine(status, reasonPhrase(status)); }
  void statusLine(int status, std::string_view reason) {
    out_.append("HTTP/1.1 ");
    appendUint(out_, static_cast<uint64_t>(status));
    out_.append(" ");
    out_.append(reason);
    out_.append("\r\n");
  }
  void contentLength(uint64_t n) {
    out_.append("Content-Length: ");
    appendUint(out_, n);
    out_.append("\r\n");
  }
  // One capacity check and the fixed separators stored inline, for every field of every head.
  void header(std::string_view name, std::string_view value) {
    static constexpr char kColon[2] = {':', ' '}, kCrlf[2] = {'\r', '\n'};  // not C strings
    char* p = out_.prepare(name.size() + value.size() + 4);
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    std::memcpy(p, kColon, 2);
    std::memcpy(p + 2, value.data(), value.size());
    std::memcpy(p + 2 + value.size(), kCrlf, 2);
    out_.commit(name.size() + value.size() + 4);
  }

 private:
  net::Buffer& out_;
};

}  // namespace shipgate::server
