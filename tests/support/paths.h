// Paths for tests: the source and build trees, and a temporary directory removed on destruction.
// sourceDir()/buildDir() read SHIPGATE_SOURCE_DIR / SHIPGATE_BUILD_DIR (set by shipgate_add_gtest
// for ctest) and fall back to the trees this library was configured from, so a test binary run by
// hand finds them too. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace testsupport {

std::string sourceDir();
std::string buildDir();

// The OWASP CRS v3.3.4 regression tests (the ftw YAML files, ../shared/crs/v3.3.4/tests/regression/
// tests next to the source tree; see ../shared/crs/README.md): $SHIPGATE_CRS_TESTS when set, else
// that directory beside sourceDir() or one level further up when it exists, else "" (callers
// fail the test: the suite is data the tests need, never a reason to skip).
std::string crsRegressionTests();

// A fresh directory under $TMPDIR (or /tmp), created by the constructor and removed recursively by
// the destructor. Move-only. If creation fails, path() is empty and error() says why.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "shipgate-test");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  bool ok() const { return !path_.empty(); }
  const std::string& error() const { return error_; }
  // path() + "/" + name.
  std::string file(std::string_view name) const;
  // Writes (replaces) path()/name, creating parent directories; returns the full path, or "" on
  // failure.
  std::string writeFile(std::string_view name, std::string_view content) const;

 private:
  void removeNow();
  std::string path_;
  std::string error_;
};

// Whole file as a string ("" when it cannot be read).
std::string readFile(const std::string& path);

}  // namespace testsupport
