// The `release.runtime:` reader and the command-line helpers (see runtime_config.h).
#include "shipgate/runtime/runtime_config.h"

#include "shipgate/runtime/env_refs.h"

#include <charconv>
#include <set>

namespace shipgate::runtime {

const char* kindName(RuntimeKind kind) {
  return kind == RuntimeKind::kStatic ? "static" : "process";
}

Result<PortRange> parsePortRange(std::string_view text) {
  auto parsePort = [](std::string_view s, int& out) {
    if (s.empty() || s.size() > 5) return false;
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return false;
    if (v < 1 || v > 65535) return false;
    out = v;
    return true;
  };
  PortRange r;
  size_t dash = text.find('-');
  std::string_view a = dash == std::string_view::npos ? text : text.substr(0, dash);
  std::string_view b = dash == std::string_view::npos ? text : text.substr(dash + 1);
  if (!parsePort(a, r.first) || !parsePort(b, r.last)) {
    return Status::invalidArgument("\"" + std::string(text) +
                                   "\" is not a port range (\"9200-9299\": ports 1..65535)");
  }
  if (r.first > r.last) {
    return Status::invalidArgument("\"" + std::string(text) +
                                   "\": the first port is above the last");
  }
  return r;
}

bool splitCommand(std::string_view command, std::vector<std::string>& argv, SplitError& error) {
  argv.clear();
  std::string cur;
  bool in_word = false;
  size_t i = 0;
  while (i < command.size()) {
    char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) argv.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) {
        error = {"unterminated single quote", i};
        return false;
      }
      cur.append(command.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      size_t open = i++;
      bool closed = false;
      while (i < command.size()) {
        char d = command[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < command.size() &&
            (command[i + 1] == '"' || command[i + 1] == '\\' || command[i + 1] == '$' ||
             command[i + 1] == '`')) {
          cur.push_back(command[i + 1]);
          i += 2;
          continue;
        }
        cur.push_back(d);
        ++i;
      }
      if (!closed) {
        error = {"unterminated double quote", open};
        return false;
      }
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= command.size()) {
        error = {"a backslash at the end escapes nothing", i};
        return false;
      }
      cur.push_back(command[i + 1]);
      in_word = true;
      i += 2;
    } else {
      cur.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) argv.push_back(std::move(cur));
  if (argv.empty()) {
    error = {"the command is empty", 0};
    return false;
  }
  return true;
}

const std::vector<std::string>& placeholderNames() {
  static const std::vector<std::string> kNames = {"port", "version", "release_dir", "replica"};
  return kNames;
}

namespace {

bool isWordChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// Calls fn(name, start, end) for every "{word}" in text.
template <typename Fn>
void forEachBraceWord(std::string_view text, Fn fn) {
  size_t i = 0;
  while ((i = text.find('{', i)) != std::string_view::npos) {
    size_t j = i + 1;
    while (j < text.size() && isWordChar(text[j])) ++j;
    if (j > i + 1 && j < text.size() && text[j] == '}') {
      fn(text.substr(i + 1, j - i - 1), i, j + 1);
      i = j + 1;
    } else {
      ++i;
    }
  }
}

}  // namespace

std::string expandPlaceholders(std::string_view text, const PlaceholderValues& v) {
  std::string out;
  size_t copied = 0;
  forEachBraceWord(text, [&](std::string_view name, size_t start, size_t end) {
    std::string value;
    if (name == "port") {
      value = std::to_string(v.port);
    } else if (name == "version") {
      value = v.version;
    } else if (name == "release_dir") {
      value = v.release_dir;
    } else if (name == "replica") {
      value = std::to_string(v.replica);
    } else {
      return;
    }
    out.append(text.substr(copied, start - copied));
    out.append(value);
    copied = end;
  });
  out.append(text.substr(copied));
  return out;
}

UnknownPlaceholder findUnknownPlaceholder(std::string_view text) {
  UnknownPlaceholder found;
  const auto& known = placeholderNames();
  forEachBraceWord(text, [&](std::string_view name, size_t start, size_t) {
    if (!found.name.empty()) return;
    for (const auto& k : known) {
      if (k == name) return;
    }
    found.name = std::string(name);
    found.offset = start;
  });
  return found;
}

namespace {

std::string placeholderHint(const std::string& name) {
  std::string hint = config::didYouMean(name, placeholderNames());
  if (!hint.empty()) return hint;
  return " (known: {port} {version} {release_dir} {replica})";
}

void readLogs(config::MapView& parent, LogPolicy& out) {
  const config::YNode* n = parent.take("logs");
  if (n == nullptr) return;
  config::MapView m(*n, parent.sub("logs"), parent.diags());
  m.getSize("max_bytes", 1024, out.max_bytes);
  m.getInt("keep", 0, 100, out.keep);
  m.finish();
}

void readRestart(config::MapView& parent, RestartPolicy& out) {
  const config::YNode* n = parent.take("restart");
  if (n == nullptr) return;
  config::MapView m(*n, parent.sub("restart"), parent.diags());
  auto positive = [&](std::string_view key, Millis& field) {
    Millis v = field;
    if (!m.getDuration(key, v)) return;
    if (v.count() <= 0) {
      m.diags().error(m.take(key)->where, m.sub(key) + ": must be greater than 0");
      return;
    }
    field = v;
  };
  positive("initial_backoff", out.initial_backoff);
  positive("max_backoff", out.max_backoff);
  positive("crash_loop_window", out.crash_loop_window);
  m.getInt("crash_loop_restarts", 0, 1000, out.crash_loop_restarts);
  if (out.max_backoff < out.initial_backoff) {
    const config::YNode* at = m.take("max_backoff");
    m.diags().error(at != nullptr ? at->where : n->where,
                    m.sub("max_backoff") + ": must not be below initial_backoff");
  }
  m.finish();
}

void readStatic(config::MapView& parent, StaticPolicy& out) {
  const config::YNode* n = parent.take("static");
  if (n == nullptr) return;
  config::MapView m(*n, parent.sub("static"), parent.diags());
  if (m.getString("site", out.site) && !config::validName(out.site)) {
    m.diags().error(m.take("site")->where, m.sub("site") + ": not a valid site name");
  }
  size_t bytes = out.max_archive_bytes;
  if (m.getSize("max_archive_bytes", 1, bytes)) out.max_archive_bytes = bytes;
  int64_t entries = static_cast<int64_t>(out.max_entries);
  if (m.getInt64("max_entries", 1, 100'000'000, entries)) out.max_entries = entries;
  m.finish();
}

void readEnv(config::MapView& parent, RuntimeConfig& out) {
  const config::YNode* n = parent.take("env");
  if (n == nullptr) return;
  config::Diagnostics& d = parent.diags();
  std::string path = parent.sub("env");
  if (!n->isMap()) {
    d.error(n->where, path + ": expected a map of variable name to value, got " + n->kindName());
    return;
  }
  for (const config::YEntry& e : n->entries) {
    std::string epath = config::childPath(path, e.key);
    bool ok = !e.key.empty() && !(e.key[0] >= '0' && e.key[0] <= '9');
    for (char c : e.key) {
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '_')) {
        ok = false;
      }
    }
    if (!ok) {
      d.error(e.key_where, epath + ": not a valid environment variable name (letters, digits, _)");
      continue;
    }
    if (e.key == "PORT") {
      d.error(e.key_where, epath + ": PORT is set by the supervisor to the replica's port");
      continue;
    }
    std::string value;
    if (e.value.isNull()) {
      value.clear();  // "NAME:" with no value = empty string
    } else if (!config::asString(e.value, epath, d, value)) {
      continue;
    }
    UnknownPlaceholder u = findUnknownPlaceholder(value);
    if (!u.name.empty()) {
      d.error(d.locateInScalar(e.value.where, u.offset),
              epath + ": unknown placeholder {" + u.name + "}" + placeholderHint(u.name));
      continue;
    }
    if (Result<std::optional<SecretRef>> ref = parseSecretRef(value); !ref.isOk()) {
      d.error(e.value.where, epath + ": " + ref.status().message());
      continue;
    } else if (!ref->has_value()) {
      if (auto problem = checkVariables(value)) {
        d.error(d.locateInScalar(e.value.where, problem->offset), epath + ": " + problem->message);
        continue;
      }
    }
    out.env.emplace_back(e.key, std::move(value));
  }
}

size_t errorCount(const config::Diagnostics& d) {
  size_t n = 0;
  for (const config::Diagnostic& x : d.sorted()) {
    if (x.severity == config::Diagnostic::Severity::kError) ++n;
  }
  return n;
}

}  // namespace

bool readRuntime(config::MapView& view, RuntimeConfig& out) {
  config::Diagnostics& d = view.diags();
  const size_t errors_before = errorCount(d);
  out.where = view.node().where;
  if (!view.isMap()) return false;  // MapView reported it

  int kind = 0;
  if (view.getChoice("kind", {"process", "static"}, kind)) {
    out.kind = kind == 1 ? RuntimeKind::kStatic : RuntimeKind::kProcess;
  }
  const config::YNode* cmd = view.take("command");
  if (cmd != nullptr && config::asString(*cmd, view.sub("command"), d, out.command)) {
    SplitError err;
    if (!splitCommand(out.command, out.argv, err)) {
      d.error(d.locateInScalar(cmd->where, err.offset), view.sub("command") + ": " + err.message);
    } else {
      UnknownPlaceholder u = findUnknownPlaceholder(out.command);
      if (!u.name.empty()) {
        d.error(d.locateInScalar(cmd->where, u.offset), view.sub("command") +
                                                            ": unknown placeholder {" + u.name +
                                                            "}" + placeholderHint(u.name));
      }
      if (auto problem = checkVariables(out.command)) {
        d.error(d.locateInScalar(cmd->where, problem->offset),
                view.sub("command") + ": " + problem->message);
      }
    }
  }
  view.getInt("replicas", 1, 64, out.replicas);
  const config::YNode* ports = view.take("ports");
  if (ports != nullptr) {
    std::string text;
    if (ports->isScalar()) text = ports->scalar;
    if (!ports->isScalar()) {
      d.error(ports->where, view.sub("ports") + ": expected a port range like \"9200-9299\", got " +
                                ports->kindName());
    } else if (Result<PortRange> r = parsePortRange(text); !r.isOk()) {
      d.error(ports->where, view.sub("ports") + ": " + r.status().message());
    } else {
      out.ports = *r;
    }
  }
  readEnv(view, out);
  Millis grace = out.stop_grace;
  if (view.getDuration("stop_grace", grace)) out.stop_grace = grace;
  readLogs(view, out.logs);
  readRestart(view, out.restart);
  readStatic(view, out.static_site);
  const bool has_user = view.getString("user", out.user);
  const bool has_group = view.getString("group", out.group);
  if (has_user && out.user.empty()) {
    d.error(view.node().find("user")->value.where, view.sub("user") + ": must not be empty");
  }
  if (has_group && out.user.empty()) {
    d.error(view.node().find("group")->key_where, view.sub("group") + ": needs user");
  }

  if (out.kind == RuntimeKind::kProcess) {
    if (cmd == nullptr) {
      d.error(view.node().where, view.path() + ": kind process needs a command");
    }
    if (ports == nullptr) {
      d.error(view.node().where,
              view.path() + ": kind process needs a port range (ports: \"9200-9299\")");
    } else if (!out.ports.empty() && out.ports.size() < out.replicas) {
      d.error(ports->where, view.sub("ports") + ": " + std::to_string(out.ports.size()) +
                                " port(s) for " + std::to_string(out.replicas) + " replicas");
    }
    if (view.node().find("static") != nullptr) {
      d.error(view.node().find("static")->key_where,
              view.sub("static") + ": only for kind: static");
    }
  } else {
    if (cmd != nullptr) {
      d.error(view.node().find("command")->key_where,
              view.sub("command") + ": only for kind: process (a static release is served, not run)");
    }
    if (has_user) {
      d.error(view.node().find("user")->key_where, view.sub("user") + ": only for kind: process");
    }
  }
  view.finish();
  return errorCount(d) == errors_before;
}

}  // namespace shipgate::runtime
