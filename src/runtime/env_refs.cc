#include "shipgate/runtime/env_refs.h"

#include <cstdlib>

#include "shipgate/secrets/secret_path.h"

namespace shipgate::runtime {

namespace {

bool nameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool nameChar(char c) { return nameStart(c) || (c >= '0' && c <= '9'); }

bool validLabel(std::string_view l) {
  if (l.empty() || l.size() > 64) return false;
  bool digits_only = true;
  for (char c : l) {
    if (!(nameChar(c) || c == '-' || c == '.')) return false;
    if (!(c >= '0' && c <= '9')) digits_only = false;
  }
  return !digits_only;
}

// Walks `text`: calls `on_var(name)` for each ${NAME} and `on_text(piece)` for the rest.
// Returns the first syntax problem.
std::optional<VariableProblem> walk(std::string_view text,
                                    const std::function<bool(std::string_view)>& on_var,
                                    const std::function<void(std::string_view)>& on_text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos) {
      on_text(text.substr(i));
      break;
    }
    on_text(text.substr(i, dollar - i));
    if (text.substr(dollar, 3) == "$${") {
      on_text("${");
      i = dollar + 3;
      continue;
    }
    if (dollar + 1 >= text.size() || text[dollar + 1] != '{') {
      on_text("$");
      i = dollar + 1;
      continue;
    }
    const size_t close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      return VariableProblem{"unterminated ${ (no closing })", dollar};
    }
    std::string_view name = text.substr(dollar + 2, close - dollar - 2);
    if (name.empty()) return VariableProblem{"empty ${} (name a variable)", dollar};
    bool ok = nameStart(name[0]);
    for (char c : name) ok = ok && nameChar(c);
    if (!ok) {
      return VariableProblem{"${" + std::string(name) +
                                 "}: not a variable name (letters, digits, _; not a digit first)",
                             dollar};
    }
    if (!on_var(name)) return VariableProblem{"", dollar};  // the caller recorded why
    i = close + 1;
  }
  return std::nullopt;
}

}  // namespace

std::string SecretRef::describe() const {
  if (version) return path + "#" + std::to_string(*version);
  if (!label.empty()) return path + "@" + label;
  return path;
}

Result<std::optional<SecretRef>> parseSecretRef(std::string_view value) {
  if (value.substr(0, kSecretRefPrefix.size()) != kSecretRefPrefix) {
    return std::optional<SecretRef>();
  }
  std::string_view rest = value.substr(kSecretRefPrefix.size());
  SecretRef ref;
  const size_t mark = rest.find_first_of("#@");
  std::string_view path = rest.substr(0, mark);
  if (mark != std::string_view::npos) {
    std::string_view suffix = rest.substr(mark + 1);
    if (rest[mark] == '#') {
      int64_t v = 0;
      bool ok = !suffix.empty() && suffix.size() <= 18;
      for (char c : suffix) {
        if (c < '0' || c > '9')
          ok = false;
        else
          v = v * 10 + (c - '0');
      }
      if (!ok || v < 1) {
        return Status::invalidArgument(
            "secret reference: the version after '#' must be a positive "
            "integer (got \"" +
            std::string(suffix) + "\")");
      }
      ref.version = v;
    } else {
      if (!validLabel(suffix)) {
        return Status::invalidArgument(
            "secret reference: the label after '@' must be 1..64 of letters, digits, _ - . and not "
            "only digits (got \"" +
            std::string(suffix) + "\")");
      }
      ref.label = std::string(suffix);
    }
  }
  auto p = secrets::SecretPath::parse(path);
  if (!p.isOk()) return Status::invalidArgument("secret reference: " + p.status().message());
  ref.path = p->str();
  return std::optional<SecretRef>(std::move(ref));
}

EnvLookup processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::optional<VariableProblem> checkVariables(std::string_view text) {
  return walk(
      text, [](std::string_view) { return true; }, [](std::string_view) {});
}

Result<std::string> expandVariables(std::string_view text, const EnvLookup& lookup) {
  std::string out;
  std::string unset;
  auto problem = walk(
      text,
      [&](std::string_view name) {
        auto v = lookup(std::string(name));
        if (!v) {
          unset = std::string(name);
          return false;
        }
        out += *v;
        return true;
      },
      [&](std::string_view piece) { out += piece; });
  if (!unset.empty()) {
    return Status::invalidArgument("${" + unset + "}: " + unset +
                                   " is not set in shipgate's environment");
  }
  if (problem) return Status::invalidArgument(problem->message);
  return out;
}

}  // namespace shipgate::runtime
