// RotatingLog (see rotating_log.h).
#include "shipgate/runtime/rotating_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace shipgate::runtime {

namespace {
constexpr size_t kTailWindow = 8 * 1024;
}

RotatingLog::RotatingLog(std::string path, size_t max_bytes, int keep)
    : path_(std::move(path)), max_bytes_(max_bytes == 0 ? 1 : max_bytes), keep_(keep) {}

RotatingLog::~RotatingLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status RotatingLog::open() {
  if (fd_ >= 0) return Status::success();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::fromErrno("cannot open log " + path_, errno);
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  if (size_ >= max_bytes_) rotate();
  return Status::success();
}

void RotatingLog::rotate() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (keep_ <= 0) {
    ::unlink(path_.c_str());
  } else {
    ::unlink((path_ + "." + std::to_string(keep_)).c_str());
    for (int k = keep_ - 1; k >= 1; --k) {
      ::rename((path_ + "." + std::to_string(k)).c_str(),
               (path_ + "." + std::to_string(k + 1)).c_str());
    }
    ::rename(path_.c_str(), (path_ + ".1").c_str());
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  size_ = 0;
}

void RotatingLog::writeRaw(std::string_view data) {
  while (!data.empty()) {
    if (fd_ < 0) {
      dropped_ += data.size();
      return;
    }
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      dropped_ += data.size();
      return;
    }
    size_ += static_cast<size_t>(n);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void RotatingLog::write(std::string_view data) {
  tail_.append(data);
  if (tail_.size() > 2 * kTailWindow) tail_.erase(0, tail_.size() - kTailWindow);
  while (!data.empty()) {
    if (fd_ < 0) {
      // A failed rotation or open: retry once per write, so a transient error heals.
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      struct stat st {};
      size_ = fd_ >= 0 && ::fstat(fd_, &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
      if (fd_ < 0) {
        dropped_ += data.size();
        return;
      }
    }
    size_t room = size_ < max_bytes_ ? max_bytes_ - size_ : 0;
    if (data.size() <= room) {
      writeRaw(data);
      return;
    }
    size_t take = room;
    if (room > 0) {
      size_t nl = data.substr(0, room).rfind('\n');
      if (nl != std::string_view::npos) {
        take = nl + 1;
      } else if (size_ > 0) {
        take = 0;  // start the unbroken line in a fresh file rather than split it here
      }
    }
    writeRaw(data.substr(0, take));
    data.remove_prefix(take);
    rotate();
  }
}

std::string RotatingLog::tail(size_t lines) const {
  std::string_view t(tail_);
  if (t.size() > kTailWindow) t = t.substr(t.size() - kTailWindow);
  if (!t.empty() && t.back() == '\n') t.remove_suffix(1);
  size_t pos = t.size();
  size_t found = 0;
  while (found < lines) {
    size_t nl = pos == 0 ? std::string_view::npos : t.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) {
      pos = 0;
      break;
    }
    pos = nl;
    ++found;
    if (found == lines) {
      ++pos;
      break;
    }
  }
  return std::string(t.substr(pos));
}

}  // namespace shipgate::runtime
