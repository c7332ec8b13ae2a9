#include "shipgate/common/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace shipgate {

void setThreadName(std::string_view name) {
  std::array<char, 16> buf{};  // the kernel's TASK_COMM_LEN, with the terminating NUL
  const size_t n = std::min(name.size(), buf.size() - 1);
  std::memcpy(buf.data(), name.data(), n);
  // Fails only for a name over 15 bytes, which the copy above cannot pass.
  (void)pthread_setname_np(pthread_self(), buf.data());
}

}  // namespace shipgate
