// RotatingLog: an append-only log file rotated by size, as the supervisor writes a replica's
// output. The current file never exceeds max_bytes: a write that would cross the limit fills the
// file up to its last newline that fits (or to the byte limit when the chunk has no newline there),
// then the files shift (path.1 -> path.2 ... up to path.<keep>, the oldest dropped; path ->
// path.1) and a fresh path is started. keep = 0 keeps no old file. An existing file is appended to
// (a restarted replica continues its log). Write errors (disk full) drop the data and are counted;
// they never block the caller. The last few KiB written are also kept in memory for tail().
//
// Not thread-safe: one owner (the supervisor thread) writes; tail() is called by the same owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::runtime {

class RotatingLog {
 public:
  RotatingLog(std::string path, size_t max_bytes, int keep);
  ~RotatingLog();
  RotatingLog(const RotatingLog&) = delete;
  RotatingLog& operator=(const RotatingLog&) = delete;

  // Opens (creating or appending to) path. IoError with the reason.
  Status open();
  void write(std::string_view data);

  const std::string& path() const { return path_; }
  size_t currentSize() const { return size_; }
  uint64_t droppedBytes() const { return dropped_; }
  // The last `lines` complete or partial lines written (from an in-memory window of 8 KiB).
  std::string tail(size_t lines) const;

 private:
  void rotate();
  void writeRaw(std::string_view data);

  const std::string path_;
  const size_t max_bytes_;
  const int keep_;
  int fd_ = -1;
  size_t size_ = 0;
  uint64_t dropped_ = 0;
  std::string tail_;
};

}  // namespace shipgate::runtime
