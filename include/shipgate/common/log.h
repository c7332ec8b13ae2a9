// The error log: leveled, line-oriented, thread-safe. Writes to stderr unless openErrorLog() named a
// file. Not for the request path's access log (see server/access_log.h).
// Calls never wait for the sink or for other threads: a line is formatted into the calling
// thread's own buffer and a writer thread writes the buffers out (within ~20 ms; at once after an
// error, and for the first line after a quiet spell: an idle writer sleeps until then). A thread
// that outruns the sink by 1 MiB drops lines, and the drop is reported in the log.
// Pending lines are written at exit and by flush().
#pragma once

#include <string>
#include <string_view>

namespace shipgate::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void setLevel(Level level);
Level level();
// Empty path = stderr. Returns false (and keeps the old sink) when the file cannot be opened.
bool openErrorLog(const std::string& path);
void write(Level level, std::string_view message);
// Writes every pending line now; blocks until the sink took them.
void flush();

inline void debug(std::string_view m) { if (level() <= Level::kDebug) write(Level::kDebug, m); }
inline void info(std::string_view m) { if (level() <= Level::kInfo) write(Level::kInfo, m); }
inline void warn(std::string_view m) { write(Level::kWarn, m); }
inline void error(std::string_view m) { write(Level::kError, m); }

}  // namespace shipgate::log
