#include "support/threads.h"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

namespace testsupport {

long voluntarySwitches(std::string_view name) {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  long switches = -1;
  for (dirent* e = ::readdir(dir); e != nullptr; e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string task = std::string("/proc/self/task/") + e->d_name;
    std::string comm;
    std::getline(std::ifstream(task + "/comm"), comm);
    if (comm != name) continue;
    std::ifstream status(task + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
        switches =
            std::max(switches, 0L) + std::strtol(line.c_str() + line.find(':') + 1, nullptr, 10);
      }
    }
  }
  ::closedir(dir);
  return switches;
}

}  // namespace testsupport
