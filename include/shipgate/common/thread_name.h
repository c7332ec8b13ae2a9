// Thread names: each thread shipgate starts names itself ("sg-worker-0", "sg-log", "sg-health"),
// so `top -H`, `ps -L -o comm`, perf and gdb tell the workers from the background threads.
// Threads a library starts (the admin server's pool) inherit the name of the thread that starts
// them.
#pragma once

#include <string_view>

namespace shipgate {

// Names the calling thread. Linux keeps 15 bytes of a name; a longer one is cut to them.
void setThreadName(std::string_view name);

}  // namespace shipgate
