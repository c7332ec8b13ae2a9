// libFuzzer entry point for error masking's readers of untrusted upstream bytes: the chunked
// prefix decoder, the content-coding reader (gzip, deflate, br: the input read as each, and as
// the list named by its first byte), the leak detector (CRS lists + our patterns), the Accept
// reader and the log escaper. Traps on broken invariants: chunk decoding never grows the bytes,
// decompressed text stays within kErrorInspectLimit, the log form of a body is one line and
// bounded, the masked page never carries what the detector flags.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "error_mask.h"

using namespace shipgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const managed::ErrorLeakDetector* detector = server::errorLeakDetector();
  if (detector == nullptr) abort();
  std::string decoded = server::decodeChunkedPrefix(input);
  if (decoded.size() > input.size()) abort();
  (void)detector->find(input);
  (void)detector->find(decoded);
  static const char* const kCodings[] = {"gzip", "deflate", "br", "gzip, br", "br, deflate",
                                         "identity, x-gzip"};
  const char* listed = size > 0 ? kCodings[data[0] % 6] : "gzip";
  for (const char* coding : {"gzip", "deflate", "br", listed}) {
    std::optional<std::string> text = server::decodeContentCodings(coding, input.substr(1));
    if (text && text->size() > server::kErrorInspectLimit) abort();
    if (text) (void)detector->find(*text);
  }
  bool json = server::prefersJson(input.substr(0, 512));
  std::string page = server::maskedErrorBody(json, 500, input.substr(0, 64));
  if (detector->find(page).has_value()) abort();
  std::string logged = server::bodyForLog(input, input.size());
  if (logged.find('\n') != std::string::npos || logged.find('\r') != std::string::npos) abort();
  if (logged.size() > 4 * server::kErrorLogLimit + 32) abort();
  return 0;
}
