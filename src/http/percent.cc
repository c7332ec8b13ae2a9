#include "shipgate/http/percent.h"

namespace shipgate::http {

std::string_view decodeErrorText(DecodeError e) {
  switch (e) {
    case DecodeError::kNone:
      return "";
    case DecodeError::kBadEscape:
      return "bad percent-escape";
    case DecodeError::kEncodedSlash:
      return "encoded slash";
    case DecodeError::kNul:
      return "encoded NUL";
  }
  return "?";
}

DecodeError percentDecode(std::string_view in, std::string& out, uint32_t flags) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && (flags & kPlusAsSpace)) {
      out.push_back(' ');
      continue;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    int hi = i + 1 < in.size() ? hexValue(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? hexValue(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      if (flags & kStrict) return DecodeError::kBadEscape;
      out.push_back(c);
      continue;
    }
    char d = static_cast<char>(hi * 16 + lo);
    if ((d == '/' || d == '\\') && (flags & kRejectSlash)) return DecodeError::kEncodedSlash;
    if (d == '\0' && (flags & kRejectNul)) return DecodeError::kNul;
    out.push_back(d);
    i += 2;
  }
  return DecodeError::kNone;
}

bool needsDecoding(std::string_view in, uint32_t flags) {
  if (in.find('%') != std::string_view::npos) return true;
  return (flags & kPlusAsSpace) && in.find('+') != std::string_view::npos;
}

std::string_view decodedView(std::string_view in, std::string& scratch, uint32_t flags) {
  if (!needsDecoding(in, flags)) return in;
  (void)percentDecode(in, scratch, flags & kPlusAsSpace);
  return scratch;
}

}  // namespace shipgate::http
