// Private to the loader: parsing YAML text into the public YNode tree (config/yaml.h) and the
// merge used by includes.
#pragma once

#include <string>
#include <string_view>

#include "shipgate/config/diagnostics.h"
#include "shipgate/config/yaml.h"

namespace shipgate::config::internal {

// The loader's name for the public diagnostics sink.
using Diags = config::Diagnostics;

// Parses YAML text into a YNode tree named `file`. Syntax errors, duplicate keys, non-string keys,
// excessive nesting and alias bombs become errors in `diags`; the returned tree is then partial
// (null when the text did not parse at all). Never throws.
YNode parseYaml(std::string_view text, const std::string& file, Diags& diags);

// Overlays `top` onto `base`: maps merge key by key (recursively), anything else in `top`
// replaces what `base` had (an explicit null too).
void mergeInto(YNode& base, YNode&& top);

}  // namespace shipgate::config::internal
