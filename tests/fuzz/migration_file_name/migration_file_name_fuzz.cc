// Fuzzes parseMigrationFileName with the whole input as the file name.
// Invariants: an accepted name has a 12-character id YYYYMMDD_NNN of digits and '_', a name of
// [a-z0-9_], and rebuilding "<id>_<name>.up.sql" / ".down.sql" gives the input back. A refusal's
// message is bounded printable ASCII (the name is quoted escaped and cut, so a hostile file name
// cannot inject control bytes into a terminal or a log line).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/migrate/migrations.h"

namespace {

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  fprintf(stderr, "migration_file_name_fuzz invariant violated: %s\ninput: %.*s\n", what,
          static_cast<int>(input.size()), input.data());
  abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto r = shipgate::migrate::parseMigrationFileName(input);
  if (!r.isOk()) {
    const std::string& m = r.status().message();
    check(!m.empty() && m.size() < 600, "a refusal's message is bounded", input);
    for (char c : m) check(c >= 0x20 && c < 0x7f, "a refusal's message is printable ASCII", input);
    return 0;
  }
  check(r->id.size() == 12 && r->id[8] == '_', "the id is YYYYMMDD_NNN", input);
  for (size_t i = 0; i < 12; ++i) {
    if (i != 8) check(r->id[i] >= '0' && r->id[i] <= '9', "the id is digits", input);
  }
  check(!r->name.empty() && r->name.size() <= 100, "the name is 1-100 characters", input);
  for (char c : r->name) {
    check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_', "the name is [a-z0-9_]",
          input);
  }
  const std::string rebuilt = r->id + "_" + r->name + (r->up ? ".up.sql" : ".down.sql");
  check(rebuilt == input, "the name round-trips", input);
  return 0;
}
