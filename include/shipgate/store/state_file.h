// The state directory's SQLite file, `<dir>/state.db`. The state store, the secrets backend and
// the flag store each keep their own tables in it and open their own connection through
// openStateFile, so the three agree on where the file is, on its modes and on how it is created.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "shipgate/common/status.h"

namespace SQLite {
class Database;
}

namespace shipgate::store {

struct StateFile {
  std::string path;  // <dir>/state.db
  std::unique_ptr<SQLite::Database> db;
  StateFile();
  StateFile(StateFile&&) noexcept;
  StateFile& operator=(StateFile&&) noexcept;
  ~StateFile();
};

// Creates `dir` (mode 0700) when missing and `<dir>/state.db` (mode 0600: SQLite would create it
// with the umask's mode, and the state is the operator's alone) when missing, then opens a
// read-write connection to it that waits up to `busy_timeout` for another writer, and sets the
// connection's pragmas:
//   journal_mode=WAL      readers never block the writer
//   synchronous=FULL      every commit is fsynced before it returns: a SIGKILL (or a power loss)
//                         loses nothing that was committed
//   foreign_keys=ON       each store's references between its own tables hold
//
// Only a new file is opened by hand: closing a descriptor of a file this process already has
// open (the state store's connection in `shipgate serve`, when the secrets backend opens) would
// drop every POSIX lock the process holds on it, and the next process to close the database (the
// CLI) would then take itself for the last one and delete the WAL under the live connections.
//
// Errors, each naming the path: InvalidArgument (empty dir); IoError (the directory or the file
// cannot be created or opened, `dir` is not a directory, WAL mode is refused); Internal (the file
// is not a database, or a corrupt one); Unavailable (another process holds a lock past the busy
// timeout).
Result<StateFile> openStateFile(const std::string& dir, std::chrono::milliseconds busy_timeout);

}  // namespace shipgate::store
