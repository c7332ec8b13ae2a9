// Fuzzes the gates area's readers of untrusted input. The first byte picks what the rest is:
//   'w' a gate wording (parseGateWording), 'l' an LCOV tracefile, 'j' JUnit XML, 'c' Cobertura
//   XML, 's' SARIF, 'n' npm audit JSON, 't' Trivy JSON, 'a' axe-core JSON, 'g' a glob ("glob\npath").
// Invariants: a wording error's column lies within the text + 1 and it has a message; an accepted
// wording's canonical text reads back as the same text; a reader's error names the file; a coverage
// summary has hit <= found; a test summary's parts add up to its tests.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/gates/bundle_size.h"
#include "shipgate/gates/reports.h"
#include "shipgate/gates/wording.h"

namespace {

using namespace shipgate::gates;

void check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "gate_reports_fuzz invariant violated: %s\n", what);
  abort();
}

void fuzzWording(std::string_view text) {
  GateWording w;
  WordingError e;
  if (!parseGateWording(text, w, e)) {
    check(e.column >= 1 && e.column <= text.size() + 1, "error column outside the text");
    check(!e.message.empty(), "error without a message");
    return;
  }
  std::string canonical = describe(w);
  GateWording again;
  check(parseGateWording(canonical, again, e), "canonical text does not parse");
  check(describe(again) == canonical, "canonical text reads back differently");
}

template <typename T>
void checkError(const shipgate::Result<T>& r) {
  if (!r.isOk()) check(r.status().message().rfind("f: ", 0) == 0, "error does not name the file");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'w': fuzzWording(in); break;
    case 'l': {
      auto r = readLcov(in, "f");
      checkError(r);
      if (r.isOk()) check(r->lines_hit <= r->lines_found && r->branches_hit <= r->branches_found, "hit > found");
      break;
    }
    case 'c': {
      auto r = readCobertura(in, "f");
      checkError(r);
      if (r.isOk()) check(r->lines_hit <= r->lines_found, "covered > valid");
      break;
    }
    case 'j': {
      auto r = readJunit(in, "f");
      checkError(r);
      if (r.isOk()) check(r->passed + r->failures + r->errors + r->skipped == r->tests, "parts do not add up");
      break;
    }
    case 's': checkError(readSarif(in, "f")); break;
    case 'n': checkError(readNpmAudit(in, "f")); break;
    case 't': checkError(readTrivy(in, "f")); break;
    case 'a': checkError(readAxe(in, "f")); break;
    case 'g': {
      size_t nl = in.find('\n');
      if (nl != std::string_view::npos) (void)globMatch(in.substr(0, nl), in.substr(nl + 1));
      break;
    }
    default: break;
  }
  return 0;
}
