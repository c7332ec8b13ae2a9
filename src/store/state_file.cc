#include "shipgate/store/state_file.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace shipgate::store {
namespace {

namespace fs = std::filesystem;

Status createDirectory(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return Status::ioError("state directory " + dir + ": exists and is not a directory");
    }
    return Status::success();
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::ioError("state directory " + dir + ": cannot create: " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return Status::ioError("state directory " + dir + ": cannot chmod 0700: " + ec.message());
  return Status::success();
}

}  // namespace

StateFile::StateFile() = default;
StateFile::StateFile(StateFile&&) noexcept = default;
StateFile& StateFile::operator=(StateFile&&) noexcept = default;
StateFile::~StateFile() = default;

Result<StateFile> openStateFile(const std::string& dir, std::chrono::milliseconds busy_timeout) {
  if (dir.empty()) return Status::invalidArgument("state directory: empty path");
  SG_RETURN_IF_ERROR(createDirectory(dir));
  StateFile file;
  file.path = (fs::path(dir) / "state.db").string();
  const int fd = ::open(file.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) return Status::fromErrno("state database " + file.path, errno);
  if (fd >= 0) ::close(fd);
  try {
    file.db = std::make_unique<SQLite::Database>(file.path, SQLite::OPEN_READWRITE,
                                                 static_cast<int>(busy_timeout.count()));
  } catch (const SQLite::Exception& e) {
    return Status::ioError("state database " + file.path + ": cannot open: " + e.what());
  }
  return file;
}

}  // namespace shipgate::store
