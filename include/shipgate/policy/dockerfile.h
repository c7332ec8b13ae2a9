// A Dockerfile parser of our own: the instructions of a Dockerfile with the line each starts on.
// Handles comments, parser directives (`# escape=`), line continuations with the escape character,
// the JSON (exec) and shell forms, and stages (`FROM image[:tag][@digest] [AS name]`, `ARG` before
// the first FROM). Heredocs (`<<EOF`) are refused with a located error. Input is untrusted: it is
// bounded (kMaxDockerfileBytes, kMaxInstructions) and never asserted on. Thread-compatible, no state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::policy {

inline constexpr size_t kMaxDockerfileBytes = 1 << 20;  // 1 MiB
inline constexpr size_t kMaxInstructions = 10000;

struct Instruction {
  std::string keyword;             // upper-cased: FROM, RUN, USER, ...
  std::string raw;                 // the arguments as written, continuations joined by a space
  bool json_form = false;          // the arguments were a JSON array of strings
  std::vector<std::string> args;   // JSON form: the array; shell form: raw split on whitespace
  size_t line = 0;                 // 1-based line of the keyword
};

// FROM's arguments, split.
struct ImageRef {
  std::string image;   // e.g. "node" or "docker.io/library/node"
  std::string tag;     // empty when none
  std::string digest;  // "sha256:..." or empty
  std::string stage_name;  // the AS name, or empty
};

struct Stage {
  ImageRef from;
  size_t from_line = 0;
  std::vector<Instruction> instructions;  // after FROM, up to the next FROM
};

struct Dockerfile {
  char escape = '\\';
  std::vector<Instruction> global_args;  // ARG instructions before the first FROM
  std::vector<Stage> stages;             // at least one on success
};

// Parses `text`. Errors name the line: "line N: ...". REQUIRES nothing of the input.
Result<Dockerfile> parseDockerfile(std::string_view text);

// Splits FROM's arguments ("[--platform=x] image[:tag][@digest] [AS name]").
Result<ImageRef> parseFromArgs(std::string_view args);

}  // namespace shipgate::policy
