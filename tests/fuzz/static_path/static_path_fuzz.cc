// Fuzzes static-site path resolution and header negotiation against a real temporary root that
// holds symlinks pointing outside it. Input: newline-separated fields
//   path \n range \n accept-encoding \n if-none-match \n if-range
// Invariants: a normalised path never climbs or hides, no response ever carries bytes from outside
// the root, an open fd always points inside the root, and ranges stay inside the representation.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/staticsite/static_site.h"
#include "staticsite/request_path.h"

namespace {

namespace fs = std::filesystem;
using shipgate::staticsite::NormalizedPath;
using shipgate::staticsite::PathVerdict;
using shipgate::staticsite::StaticRequest;
using shipgate::staticsite::StaticResponse;
using shipgate::staticsite::StaticSite;

constexpr std::string_view kSecret = "FUZZ-SECRET-OUTSIDE-ROOT";

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  fprintf(stderr, "static_path_fuzz invariant violated: %s\ninput: %.*s\n", what,
          static_cast<int>(input.size()), input.data());
  abort();
}

void writeFile(const fs::path& p, std::string_view content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

// The fixture: <base>/root (served) and <base>/outside (never served).
struct Fixture {
  fs::path base;
  fs::path root_real;
  std::unique_ptr<StaticSite> site;
  std::unique_ptr<StaticSite> spa_site;

  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "sg-fuzz-static-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) abort();
    base = tmpl;
    fs::path root = base / "root";
    fs::path outside = base / "outside";
    writeFile(outside / "secret.txt", kSecret);
    writeFile(outside / "secret.txt.gz", kSecret);
    writeFile(root / "index.html", "<h1>index</h1>");
    writeFile(root / "a" / "b" / "c.txt", "abc");
    writeFile(root / "app.3f9a1c2b.js", std::string(20000, 'j'));
    writeFile(root / "app.3f9a1c2b.js.gz", "gz");
    writeFile(root / "app.3f9a1c2b.js.br", "br");
    writeFile(root / ".well-known" / "x.txt", "wk");
    writeFile(root / ".hidden", kSecret);  // hidden files are never served either
    fs::create_symlink(outside / "secret.txt", root / "abs-link.txt");
    fs::create_symlink("../outside/secret.txt", root / "rel-link.txt");
    fs::create_symlink("../../../outside", root / "a" / "b" / "up");
    fs::create_symlink(outside, root / "outdir");
    fs::create_symlink("../outside/secret.txt", root / "index.html.gz");
    fs::create_symlink("c.txt", root / "a" / "b" / "in-link.txt");
    root_real = fs::canonical(root);
    shipgate::staticsite::StaticSiteConfig config;
    config.root = root.string();
    site = StaticSite::open(config).value();
    config.spa_fallback = true;
    spa_site = StaticSite::open(config).value();
  }
  ~Fixture() {
    site.reset();
    spa_site.reset();
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

std::string bodyOf(const StaticResponse& r) {
  if (!r.file) return r.body;
  std::string out(r.length, '\0');
  ssize_t n = ::pread(r.file->fd, out.data(), out.size(), r.offset);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

void checkNormalized(std::string_view path, std::string_view input) {
  NormalizedPath p = shipgate::staticsite::normalizeRequestPath(path);
  if (p.verdict != PathVerdict::kOk) return;
  const std::string& rel = p.relative;
  check(rel.empty() || (rel.front() != '/' && rel.back() != '/'), "leading/trailing slash", input);
  check(rel.find('\0') == std::string::npos, "NUL in path", input);
  check(rel.find('\\') == std::string::npos, "backslash in path", input);
  size_t start = 0;
  while (!rel.empty() && start <= rel.size()) {
    size_t end = rel.find('/', start);
    std::string_view seg = std::string_view(rel).substr(
        start, end == std::string::npos ? std::string::npos : end - start);
    check(!seg.empty(), "empty segment", input);
    check(seg != "." && seg != "..", "dot segment", input);
    check(seg.front() != '.' || seg == ".well-known", "hidden segment", input);
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

void checkResponse(const Fixture& fx, const StaticResponse& r, std::string_view input) {
  static const int kStatuses[] = {200, 206, 301, 304, 400, 404, 405, 416};
  bool known = false;
  for (int s : kStatuses) known |= s == r.status;
  check(known, "unexpected status", input);
  std::string body = bodyOf(r);
  check(body.find(kSecret) == std::string::npos, "secret bytes served", input);
  if (r.file) {
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", r.file->fd);
    std::error_code ec;
    fs::path where = fs::read_symlink(link, ec);
    if (!ec) {
      std::string w = where.string();
      std::string root = fx.root_real.string() + "/";
      check(w.compare(0, root.size(), root) == 0, "fd outside root", input);
    }
    check(r.offset >= 0 && r.offset + static_cast<off_t>(r.length) <= r.file->size,
          "range outside file", input);
  } else {
    check(r.length == r.body.size() || r.head || r.status == 304, "length mismatch", input);
  }
  for (const auto& [k, v] : r.headers) {
    check(v.find('\r') == std::string::npos && v.find('\n') == std::string::npos,
          "CR/LF in header value", input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> fields;
  std::string_view rest = input;
  while (fields.size() < 4) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;
    fields.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  fields.push_back(rest);
  fields.resize(5);

  checkNormalized(fields[0], input);
  StaticRequest req;
  req.method = "GET";
  req.path = fields[0];
  req.range = fields[1];
  req.accept_encoding = fields[2];
  req.if_none_match = fields[3];
  req.if_range = fields[4];
  checkResponse(fixture, fixture.site->serve(req), input);
  checkResponse(fixture, fixture.spa_site->serve(req), input);
  req.method = "HEAD";
  checkResponse(fixture, fixture.site->serve(req), input);
  return 0;
}
