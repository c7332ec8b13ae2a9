// Private helpers shared by the SecRule reader's files (seclang.cc, seclang_reader.cc).
#pragma once

#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::managed {

// True when `name` (any case, without '@') is an operator of the SecRule language.
bool isKnownOperator(std::string_view name);
// Every %{...} macro in an operator's parameter is closed and names a known variable.
Status checkOperatorMacros(std::string_view param);

}  // namespace shipgate::managed
