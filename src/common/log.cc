#include "shipgate/common/log.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <sys/time.h>

namespace shipgate::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mu;
FILE* g_sink = nullptr;  // GUARDED_BY(g_mu); nullptr = stderr
const char* levelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "?";
}
}  // namespace

void setLevel(Level l) { g_level = l; }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool openErrorLog(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (path.empty()) {
    if (g_sink) fclose(g_sink);
    g_sink = nullptr;
    return true;
  }
  FILE* f = fopen(path.c_str(), "a");
  if (!f) return false;
  if (g_sink) fclose(g_sink);
  g_sink = f;
  return true;
}

void write(Level l, std::string_view message) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char ts[32];
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard<std::mutex> lock(g_mu);
  FILE* out = g_sink ? g_sink : stderr;
  fprintf(out, "%s.%03ldZ [%s] %.*s\n", ts, static_cast<long>(tv.tv_usec / 1000), levelName(l),
          static_cast<int>(message.size()), message.data());
  fflush(out);
}

}  // namespace shipgate::log
