// Fuzzes the state.url checks (store::pg::validateUrl, isPostgresUrl, describeUrl) with the whole
// input as the URL. Invariants: validateUrl accepts only postgres:// or postgresql:// URLs; the
// description of a URL libpq parses never holds its password (when the password is not also
// part of the user, host, port or database name), nor does a refusal's message.
#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "shipgate/store/postgres_connection.h"

namespace {

namespace pg = shipgate::store::pg;

void check(bool ok, const char* what, const std::string& input) {
  if (ok) return;
  fprintf(stderr, "state_url_fuzz invariant violated: %s\ninput: %s\n", what, input.c_str());
  abort();
}

std::string option(PQconninfoOption* opts, const char* keyword) {
  for (PQconninfoOption* o = opts; o && o->keyword; ++o) {
    if (std::strcmp(o->keyword, keyword) == 0 && o->val) return o->val;
  }
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string url(reinterpret_cast<const char*>(data), size);
  if (url.find('\0') != std::string::npos) return 0;  // a C string to libpq, as from YAML
  const shipgate::Status valid = pg::validateUrl(url);
  if (valid.isOk()) check(pg::isPostgresUrl(url), "only postgres(ql):// URLs pass", url);
  const std::string described = pg::describeUrl(url);
  char* error = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &error);
  if (error) PQfreemem(error);
  if (opts == nullptr) return 0;
  const std::string password = option(opts, "password");
  const std::string visible = option(opts, "user") + option(opts, "host") +
                              option(opts, "hostaddr") + option(opts, "port") +
                              option(opts, "dbname") + "localhost5432postgres://@:/";
  PQconninfoFree(opts);
  if (password.empty() || visible.find(password) != std::string::npos) return 0;
  if (const char* env = std::getenv("USER");
      env && std::string(env).find(password) != std::string::npos) {
    return 0;
  }
  check(described.find(password) == std::string::npos, "the description has no password", url);
  check(valid.message().find(password) == std::string::npos, "the refusal has no password", url);
  return 0;
}
