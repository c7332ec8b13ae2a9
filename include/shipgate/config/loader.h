// The config loader: YAML files -> an immutable, validated Config (config.h), or a list of located
// diagnostics. Every error and warning names file:line:column (1-based) of the node it is about,
// and the file is the one that node was written in (includes and overlays are tracked). All errors
// are collected, not just the first. Never throws; safe to call from any thread (no shared state).
//
// Schema (top level; every section optional; unknown keys are errors with a "did you mean" hint;
// top-level keys starting with "x-" are ignored so they can hold YAML anchors, which "<<: *a"
// merge keys pull into any map; keys written next to "<<" win):
//   include: [base.yaml, ...]   files merged UNDER this one, in order: maps deep-merge, later files
//                               win, lists and scalars replace, an explicit null restores the
//                               default. Paths are relative to the including file. Cycles are
//                               errors.
//   server:     {workers: N|auto, user, allow_root, limits: {...}, log: {...}}
//   listeners:  [{name, address: "host:port", tls: [{cert, key}, ...]}]
//   admin:      {enabled, address, token_file}   no admin block = admin API disabled
//   sites:      [{name, hosts, path_prefix, redirect_https, https_port, static: {...} | app: NAME}]
//   apps:       {NAME: {balance, active_slot, weights, sticky, slots: {blue: [...], green: [...]},
//                       regions, health, outlier, connect_timeout, read_timeout, ...}}
//   checks:     [{name, kind: http|tcp|postgres|jsonrpc|exec, target, ...}]
//   security_rules, quality_gates, health_checks, container_security: the seed's blocks, verbatim.
// See examples/coinestate/shipgate.yaml for every key in use. apps, sites and checks are the areas'
// sections (kAreaSections in section.h): the loader knows their keys but leaves reading them to
// the section validators the caller passes (traffic/traffic_config.h for apps and sites,
// health/health_config.h for checks); without those validators they are ignored.
//
// Value syntax:
//   durations  "500ms", "2s", "5m", "1h", "1d", combinations like "1m30s". A bare number is an
//              error (is 30 seconds or milliseconds?), except 0.
//   sizes      bytes as a bare integer, or with a unit: B, KiB/MiB/GiB (1024), KB/MB/GB (1000),
//              k/m/g as in nginx (1024).
//   booleans   true/false (also yes/no/on/off, as YAML 1.1).
//   addresses  "host:port", "[v6]:port", "*:port" (all interfaces); port 0 = pick a free port.
//
// Relative paths (static roots, TLS files, admin token_file) are resolved against the directory of
// the file that names them and stored absolute. Files the gateway reads only when it serves (static
// roots, TLS certificates and keys, the admin token) are WARNINGS when missing, so `check` passes
// on a fresh checkout before `make build` or the demo creates them; `serve` fails when they are
// still missing. A path that exists but has the wrong type (a static root that is a file) is an
// error.
//
// The seed's blocks: security_rules are read (name, expression, action, rate_limit and the
// extensions) and stored with the locations of their expressions; what needs the rules engine
// (compiling expressions, the rate_limit shorthand, characteristics) is checked by the firewall's
// section validator (firewall/firewall_config.h) when the caller passes it. health_checks are in
// effect twice over, through the areas' validators: each region's failover_policy becomes the
// default policy of every app region with that name (traffic's section, which also warns about a
// region no app declares), and each endpoint becomes an http check ("health_checks.<name>") that
// `shipgate health` runs (health's section).
// quality_gates are stored; the gates' section (gates/gates_config.h) reads each wording.
// container_security keys are stored; all but non_root_user are warned. non_root_user: true is in effect: shipgate never
// serves as root (started as root it drops to server.user; with no server.user it refuses to
// start as root, which is warned), and server.allow_root: true next to it is an error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/config/section.h"

namespace shipgate::config {

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when any error; its warnings == the warnings below
  std::vector<Diagnostic> diagnostics;   // all errors and warnings, in file order
  bool ok() const { return config != nullptr; }
  bool hasErrors() const;
  // All diagnostics, one "file:line:col: error|warning: message" per line.
  std::string toString() const;
};

// Loads the file at `path` and its includes. Diagnostics name files as written (relative paths stay
// relative to the current directory), so they read like compiler output. Then each of `sections`
// (not owned; must outlive the call), in order, reads and validates its area's section; its
// diagnostics join the loader's and its settings go to Config::sections (section.h).
LoadResult loadFile(const std::string& path,
                    const std::vector<const SectionValidator*>& sections = {});

// Loads YAML text as if it were the file `file_name` (used in diagnostics); includes and relative
// paths resolve relative to the directory of file_name (the current directory when it has none).
LoadResult loadString(std::string_view yaml, const std::string& file_name,
                      const std::vector<const SectionValidator*>& sections = {});

// The value parsers the loader uses, for other front ends (CLI flags). Error messages say what is
// wrong without a location.
Result<Millis> parseDuration(std::string_view text);
Result<size_t> parseSize(std::string_view text);
Result<HostPort> parseHostPort(std::string_view text);
// "debug" | "info" | "warn" | "error".
Result<LogLevel> parseLogLevel(std::string_view text);

// A parsed http(s) URL, as the health checks use it.
struct Url {
  bool tls = false;        // https
  HostPort address;        // port defaults to 80 / 443
  std::string path = "/";  // path and query, "/" when empty
};
Result<Url> parseUrl(std::string_view text);

}  // namespace shipgate::config
