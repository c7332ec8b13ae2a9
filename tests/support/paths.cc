#include "support/paths.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace testsupport {

namespace {

std::string envOr(const char* name, const char* fallback) {
  const char* v = ::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}

}  // namespace

std::string sourceDir() { return envOr("SHIPGATE_SOURCE_DIR", SHIPGATE_TEST_DEFAULT_SOURCE_DIR); }
std::string buildDir() { return envOr("SHIPGATE_BUILD_DIR", SHIPGATE_TEST_DEFAULT_BUILD_DIR); }

std::string crsRegressionTests() {
  if (const char* env = ::getenv("SHIPGATE_CRS_TESTS"); env != nullptr && *env != '\0') return env;
  for (const char* up : {"/../shared", "/../../shared"}) {
    std::string dir = sourceDir() + up + "/crs/v3.3.4/tests/regression/tests";
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return std::filesystem::weakly_canonical(dir, ec).string();
  }
  return {};
}

TempDir::TempDir(std::string_view prefix) {
  std::string base = envOr("TMPDIR", "/tmp");
  std::string templ = base + "/" + std::string(prefix) + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    error_ = "mkdtemp(" + templ + "): " + std::strerror(errno);
    return;
  }
  path_ = buf.data();
}

TempDir::~TempDir() { removeNow(); }

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::move(other.path_)), error_(std::move(other.error_)) {
  other.path_.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    removeNow();
    path_ = std::move(other.path_);
    error_ = std::move(other.error_);
    other.path_.clear();
  }
  return *this;
}

void TempDir::removeNow() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

std::string TempDir::file(std::string_view name) const { return path_ + "/" + std::string(name); }

std::string TempDir::writeFile(std::string_view name, std::string_view content) const {
  std::filesystem::path p = file(name);
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) return "";
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  return out ? p.string() : "";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace testsupport
