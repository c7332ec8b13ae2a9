// RuntimeConfig: the typed form of an app's `release.runtime:` block, and its reader. The release
// area owns the `release:` block and calls readRuntime() on the `runtime:` map inside it, so the
// keys, defaults and messages of the runtime live here, next to the code that consumes them.
//
//   runtime:
//     kind: process                # process | static
//     command: "{release_dir}/api --port {port} --version {version}"
//     replicas: 2                  # 1..64
//     ports: "9200-9299"           # range the supervisor allocates from (required for process)
//     env: {NODE_ENV: production}  # values may use the placeholders too
//     stop_grace: 10s              # SIGTERM, then SIGKILL after this
//     logs: {max_bytes: 10MiB, keep: 3}
//     restart: {initial_backoff: 200ms, max_backoff: 10s, crash_loop_restarts: 5,
//               crash_loop_window: 60s}
//     static: {site: frontend, max_archive_bytes: 512MiB, max_entries: 100000}   # kind: static
//     user: nobody                 # kind process: run as this account (see run_as.h)
//     group: nogroup               # optional; default the user's primary group
//
// The command is split into argv with shell-like quoting (splitCommand; no shell runs it), and
// {port} {version} {release_dir} {replica} are substituted in every argument and env value after
// splitting (expandPlaceholders), so a release_dir with spaces stays one argument.
// An env value may be a secret reference (`secret:/path`, `#N`, `@label`) and env values and
// arguments may use ${NAME} (env_refs.h): readRuntime checks their syntax and keeps them as
// written; release/release_env.h resolves them at each start.
// Thread: pure functions and plain values; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/config/yaml.h"

namespace shipgate::runtime {

enum class RuntimeKind { kProcess, kStatic };
const char* kindName(RuntimeKind kind);  // "process" | "static"

struct PortRange {
  int first = 0;  // inclusive; 0 = unset
  int last = 0;   // inclusive
  bool empty() const { return first == 0; }
  int size() const { return empty() ? 0 : last - first + 1; }
};

struct LogPolicy {
  size_t max_bytes = 10 * 1024 * 1024;  // a replica's current log file is rotated at this size
  int keep = 3;                         // rotated files kept: replica-N.log.1 .. .keep
};

struct RestartPolicy {
  Millis initial_backoff{200};  // delay before the first restart; doubles per consecutive crash
  Millis max_backoff{10'000};
  // More than this many restarts of one replica within crash_loop_window: the slot is CrashLoop.
  int crash_loop_restarts = 5;
  Millis crash_loop_window{60'000};
};

struct StaticPolicy {
  std::string site;                                   // the static site serving the release
  uint64_t max_archive_bytes = 512ull * 1024 * 1024;  // total unpacked bytes of one release
  uint64_t max_entries = 100'000;                     // files, directories and links
};

struct RuntimeConfig {
  RuntimeKind kind = RuntimeKind::kProcess;
  std::string command;                // kind process: required
  std::vector<std::string> argv;      // command split (placeholders not yet substituted)
  int replicas = 1;
  PortRange ports;                    // kind process: required
  std::vector<std::pair<std::string, std::string>> env;  // in file order, names unique
  Millis stop_grace{10'000};
  LogPolicy logs;
  RestartPolicy restart;
  StaticPolicy static_site;           // the `static:` map
  // kind process: the account the replicas run as (empty: shipgate's own) and its group (empty:
  // the user's primary group). The child drops to them before exec when shipgate runs as root.
  std::string user;
  std::string group;
  // The seed's container_security.non_root_user (set by the release area, not read here): when
  // true and shipgate runs as root, a replica never runs as root (run_as.h).
  bool non_root_user = false;
  config::Location where;             // of the runtime: map, for messages
};

// Reads the `runtime:` map (view.path() is e.g. "apps.api.release.runtime"). Reports located
// errors (unknown keys with "did you mean", bad ranges, unterminated quotes in command with the
// column, unknown placeholders) to view.diags() and calls view.finish(). Returns false when the
// block has errors; `out` then holds whatever was valid.
bool readRuntime(config::MapView& view, RuntimeConfig& out);

// "9200-9299" or "9200". InvalidArgument with the reason otherwise (ports 1..65535, first <= last).
Result<PortRange> parsePortRange(std::string_view text);

// Splits a command line into arguments: whitespace separates; '...' is literal; "..." allows
// \" \\ \$ \` escapes; a backslash outside quotes escapes the next character. No variables,
// globs or substitutions. Returns false with `error` set ("unterminated double quote" and the
// offset of the quote); an empty command is an error too.
struct SplitError {
  std::string message;
  size_t offset = 0;  // byte offset in the command of the problem
};
bool splitCommand(std::string_view command, std::vector<std::string>& argv, SplitError& error);

// The values placeholders expand to for one replica.
struct PlaceholderValues {
  int port = 0;
  std::string version;
  std::string release_dir;
  int replica = 0;  // 0-based index
};
// The placeholder names ("port", "version", "release_dir", "replica").
const std::vector<std::string>& placeholderNames();
// Replaces {port} {version} {release_dir} {replica}; other text (including braces that are not a
// known placeholder) is kept as is.
std::string expandPlaceholders(std::string_view text, const PlaceholderValues& values);
// The first `{word}` (lowercase letters, digits, '_') that is not a known placeholder, with its
// offset; empty name when there is none. Used by readRuntime to catch "{prot}".
struct UnknownPlaceholder {
  std::string name;
  size_t offset = 0;
};
UnknownPlaceholder findUnknownPlaceholder(std::string_view text);

}  // namespace shipgate::runtime
