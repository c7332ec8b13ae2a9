// The error log's writer: each thread formats its lines into its own buffer (guarded by a mutex
// only that thread and the writer take, so threads never wait for each other), and one writer
// thread moves every buffer to the sink every kPeriod (at once for errors, and for the first
// line after a pass that found none: an idle writer sleeps until then) with one write(2) per
// batch. A thread whose buffer is full drops lines (counted, reported by the writer) instead of
// waiting for a slow sink. At exit the pending lines are written and later lines go straight to
// the sink.
#include "shipgate/common/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/common/thread_name.h"

namespace shipgate::log {
namespace {

constexpr size_t kThreadBufferCap = 1 << 20;
constexpr std::chrono::milliseconds kPeriod{20};

std::atomic<Level> g_level{Level::kInfo};

const char* levelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "?";
}

void writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// One thread's pending lines.
struct ThreadBuffer {
  Mutex mu;
  std::string lines GUARDED_BY(mu);
  uint64_t dropped GUARDED_BY(mu) = 0;
};

class Writer {
 public:
  // Never destroyed (threads may log during static destruction); stopped at exit.
  static Writer& instance() {
    static Writer* w = [] {
      auto* writer = new Writer();
      std::atexit([] { instance().stop(); });
      return writer;
    }();
    return *w;
  }

  void append(Level level, std::string_view line) {
    if (stopped_.load(std::memory_order_acquire)) {
      MutexLock lock(sink_mu_);
      writeAll(fd_, line.data(), line.size());
      return;
    }
    ThreadBuffer& b = threadBuffer();
    {
      MutexLock lock(b.mu);
      if (b.lines.size() + line.size() > kThreadBufferCap) {
        ++b.dropped;
        return;
      }
      b.lines.append(line);
    }
    // An idle writer sleeps until a line arrives: the first line after it went idle wakes it
    // (under wake_mu_, so the wake cannot fall between its check of idle_ and its wait). A busy
    // writer passes every kPeriod anyway; errors wake it at once.
    if (idle_.load() && idle_.exchange(false)) {
      MutexLock lock(wake_mu_);
      cv_.notifyOne();
    } else if (level >= Level::kError) {
      cv_.notifyOne();
    }
  }

  // Writes everything pending now. Returns whether there was anything to write.
  bool flush() {
    MutexLock lock(drain_mu_);
    return drainLocked();
  }

  bool setSink(const std::string& path) {
    int fd = 2;
    if (!path.empty()) {
      fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return false;
    }
    flush();
    MutexLock lock(sink_mu_);
    if (fd_ != 2) ::close(fd_);
    fd_ = fd;
    return true;
  }

 private:
  Writer()
      : thread_([this] {
          setThreadName("sg-log");
          run();
        }) {}

  ThreadBuffer& threadBuffer() {
    thread_local std::shared_ptr<ThreadBuffer> mine;
    if (!mine) {
      mine = std::make_shared<ThreadBuffer>();
      MutexLock lock(registry_mu_);
      buffers_.push_back(mine);
    }
    return *mine;
  }

  // Passes every kPeriod while lines come; after a pass that found none, sleeps until append()
  // (or stop()) wakes it, so an idle process is not woken 50 times a second by its log.
  void run() {
    for (;;) {
      {
        MutexLock lock(wake_mu_);
        if (!idle_.load()) {
          if (!stopping_) cv_.waitFor(lock, kPeriod);
        } else {
          while (!stopping_ && idle_.load()) cv_.wait(lock);
        }
        if (stopping_) return;
      }
      if (flush()) continue;
      // Idle from here, unless a line came in before append() could see idle_: a line appended
      // after this second pass took its thread's buffer sees idle_ set and wakes the writer.
      idle_.store(true);
      if (flush()) idle_.store(false);
    }
  }

  void stop() {
    {
      MutexLock lock(wake_mu_);
      stopping_ = true;
    }
    cv_.notifyOne();
    if (thread_.joinable()) thread_.join();
    flush();
    stopped_.store(true, std::memory_order_release);
    flush();  // lines appended while stopped_ was being set
  }

  bool drainLocked() REQUIRES(drain_mu_) {
    bool wrote = false;
    std::vector<std::shared_ptr<ThreadBuffer>> all;
    {
      MutexLock lock(registry_mu_);
      // Buffers of threads that ended are dropped once drained (the registry holds the last ref).
      all = buffers_;
    }
    uint64_t dropped = 0;
    for (auto& b : all) {
      {
        MutexLock lock(b->mu);
        batch_.swap(b->lines);
        dropped += b->dropped;
        b->dropped = 0;
      }
      if (!batch_.empty()) {
        wrote = true;
        MutexLock lock(sink_mu_);
        writeAll(fd_, batch_.data(), batch_.size());
      }
      batch_.clear();
    }
    if (dropped > 0) {
      wrote = true;
      std::string note = "log: " + std::to_string(dropped) +
                         " lines dropped (the error log could not keep up)\n";
      MutexLock lock(sink_mu_);
      writeAll(fd_, note.data(), note.size());
    }
    all.clear();
    MutexLock lock(registry_mu_);
    std::erase_if(buffers_, [](const std::shared_ptr<ThreadBuffer>& b) {
      if (b.use_count() != 1) return false;
      MutexLock l(b->mu);
      return b->lines.empty();
    });
    return wrote;
  }

  Mutex registry_mu_;
  std::vector<std::shared_ptr<ThreadBuffer>> buffers_ GUARDED_BY(registry_mu_);
  Mutex drain_mu_;  // one drain at a time (writer thread, flush(), setSink())
  std::string batch_ GUARDED_BY(drain_mu_);
  Mutex sink_mu_;
  int fd_ GUARDED_BY(sink_mu_) = 2;
  Mutex wake_mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(wake_mu_) = false;
  std::atomic<bool> idle_{false};  // the writer's last pass found nothing: it waits for a line
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

// "2026-01-02T03:04:05" of the current second, formatted once per second per thread.
std::string_view secondStamp(time_t sec) {
  thread_local time_t cached = -1;
  thread_local char stamp[32];
  if (sec != cached) {
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    cached = sec;
  }
  return stamp;
}

}  // namespace

void setLevel(Level l) { g_level = l; }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool openErrorLog(const std::string& path) { return Writer::instance().setSink(path); }

void flush() { Writer::instance().flush(); }

void write(Level l, std::string_view message) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  thread_local std::string line;
  line.assign(secondStamp(tv.tv_sec));
  char ms[24];
  snprintf(ms, sizeof ms, ".%03ldZ", static_cast<long>(tv.tv_usec / 1000));
  line += ms;
  line += " [";
  line += levelName(l);
  line += "] ";
  line += message;
  line += '\n';
  Writer::instance().append(l, line);
}

}  // namespace shipgate::log
