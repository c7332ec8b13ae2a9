// libFuzzer entry point for the `t:` transformations. Input: the first byte picks the transform
// (modulo their number), the rest is the value. Besides memory errors it traps on broken
// invariants: the changed flag tells the truth, lowercase/uppercase leave no letter of the other
// case, length is the decimal byte count, digests have their fixed size, decoders never grow the
// value, encoders grow it by their exact bound, encodings round-trip through their decoders, and
// a transform that mayChange() says leaves a text with the input's traits as it is does so, the
// output's traits are within outputTraits() of the input's, and every short literal the output
// holds and the input does not is one that creatingTraits() says the transform can make.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/managed/transform.h"

using shipgate::managed::applyTransform;
using shipgate::managed::creatingTraits;
using shipgate::managed::mayChange;
using shipgate::managed::mayCreate;
using shipgate::managed::outputTraits;
using shipgate::managed::textTraits;
using shipgate::managed::Transform;

namespace {

constexpr int kCount = static_cast<int>(Transform::kParityZero7bit) + 1;

void check(bool ok) {
  if (!ok) abort();
}

bool neverGrows(Transform t) {
  switch (t) {
    case Transform::kUtf8ToUnicode:
    case Transform::kBase64Encode:
    case Transform::kHexEncode:
    case Transform::kUrlEncode:
    case Transform::kLength:
    case Transform::kMd5:
    case Transform::kSha1:
      return false;
    default:
      return true;
  }
}

std::string run(Transform t, std::string_view in) {
  std::string out;
  (void)applyTransform(t, in, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto t = static_cast<Transform>(data[0] % kCount);
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string out = "stale";
  bool changed = applyTransform(t, in, out);
  check(changed == (std::string_view(out) != in));
  const uint32_t traits = textTraits(in);
  if (!mayChange(t, traits)) check(!changed);
  check((textTraits(out) & ~outputTraits(t, traits)) == 0);
  // Each literal of one to three bytes the output holds and the input does not: made by `t`.
  if (changed && out.size() <= 64) {
    for (size_t i = 0; i < out.size(); ++i)
      for (size_t n = 1; n <= 3 && i + n <= out.size(); ++n) {
        const std::string_view lit = std::string_view(out).substr(i, n);
        if (in.find(lit) == std::string_view::npos)
          check(mayCreate(creatingTraits(t, lit), traits));
      }
  }
  if (neverGrows(t)) check(out.size() <= in.size());

  switch (t) {
    case Transform::kLowercase:
      for (char c : out) check(!(c >= 'A' && c <= 'Z'));
      check(out.size() == in.size());
      break;
    case Transform::kUppercase:
      for (char c : out) check(!(c >= 'a' && c <= 'z'));
      break;
    case Transform::kCmdLine:
      for (char c : out) check(!(c >= 'A' && c <= 'Z') && c != '"' && c != '\'' && c != '^');
      break;
    case Transform::kLength:
      check(!out.empty());
      for (char c : out) check(c >= '0' && c <= '9');
      check(out == std::to_string(in.size()));
      break;
    case Transform::kMd5:
      check(out.size() == 16);
      break;
    case Transform::kSha1:
      check(out.size() == 20);
      break;
    case Transform::kHexEncode:
      check(out.size() == 2 * in.size());
      check(run(Transform::kHexDecode, out) == in);
      break;
    case Transform::kBase64Encode:
      check(out.size() == (in.size() + 2) / 3 * 4);
      check(run(Transform::kBase64Decode, out) == in);
      check(run(Transform::kBase64DecodeExt, out) == in);
      break;
    case Transform::kUrlEncode:
      check(out.size() <= 3 * in.size());
      check(run(Transform::kUrlDecode, out) == in);
      break;
    case Transform::kUtf8ToUnicode:
      check(out.size() <= 4 * in.size());  // an overlong pair: "%u0000" and its lead byte
      break;
    case Transform::kRemoveNulls:
      check(out.find('\0') == std::string::npos);
      break;
    case Transform::kReplaceNulls:
      check(out.size() == in.size() && out.find('\0') == std::string::npos);
      break;
    case Transform::kTrim:
    case Transform::kCompressWhitespace:
      // Idempotent: a second pass changes nothing.
      check(run(t, out) == out);
      break;
    case Transform::kNormalisePath:
    case Transform::kNormalisePathWin:
      check(out.find("//") == std::string::npos);
      check(run(Transform::kNormalisePath, out) == out);
      break;
    default:
      break;
  }
  return 0;
}
