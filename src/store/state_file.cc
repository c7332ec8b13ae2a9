#include "shipgate/store/state_file.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <sqlite3.h>
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
  SQLite::Database& db = *file.db;
  try {
    // The first statement reads the file's header: a file that is not a database fails here.
    SQLite::Statement wal(db, "PRAGMA journal_mode=WAL");
    const std::string mode = wal.executeStep() ? wal.getColumn(0).getString() : "";
    if (mode != "wal") {
      return Status::ioError("state database " + file.path +
                             ": cannot use WAL mode (journal_mode is " + mode + ")");
    }
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA foreign_keys=ON");
  } catch (const SQLite::Exception& e) {
    switch (e.getErrorCode()) {
      case SQLITE_NOTADB:
      case SQLITE_CORRUPT:
        return Status::internal("state database " + file.path +
                                " is not a readable database: " + e.what());
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Status::unavailable("state database " + file.path + ": busy: " + e.what());
      default:
        return Status::ioError("state database " + file.path + ": " + e.what());
    }
  }
  return file;
}

}  // namespace shipgate::store
