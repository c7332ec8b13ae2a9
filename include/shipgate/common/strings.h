// Small ASCII string helpers shared by every layer. Thread-safe (pure functions).
#pragma once

#include <string_view>

namespace shipgate {

// ASCII case-insensitive equality (HTTP names, header values, hosts, file extensions).
bool equalsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace shipgate
