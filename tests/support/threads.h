// The threads of the test process, as /proc/self/task shows them. Linux only.
#pragma once

#include <string_view>

namespace testsupport {

// The voluntary context switches so far (each wait that ends is one) of this process's threads
// named `name` (their comm, as setThreadName set it), summed; -1 when no thread has that name.
long voluntarySwitches(std::string_view name);

}  // namespace testsupport
