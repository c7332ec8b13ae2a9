#include "shipgate/policy/dockerfile.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "shipgate/common/strings.h"

namespace shipgate::policy {
namespace {

const std::set<std::string>& knownKeywords() {
  static const std::set<std::string> kKeywords = {
      "ADD",         "ARG",     "CMD",  "COPY",  "ENTRYPOINT", "ENV",    "EXPOSE",
      "FROM",        "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
      "STOPSIGNAL",  "USER",    "VOLUME", "WORKDIR"};
  return kKeywords;
}

Status lineError(size_t line, const std::string& message) {
  return Status::invalidArgument("line " + std::to_string(line) + ": " + message);
}

// True when `args` holds a heredoc marker: `<<WORD`, `<<-WORD`, `<<"WORD"` starting a word.
bool hasHeredoc(std::string_view args) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != '<' || args[i + 1] != '<') continue;
    if (i > 0 && !isAsciiSpace(args[i - 1])) continue;
    size_t j = i + 2;
    if (j < args.size() && args[j] == '-') ++j;
    if (j < args.size() && (std::isalpha(static_cast<unsigned char>(args[j])) || args[j] == '_' ||
                            args[j] == '"' || args[j] == '\'')) {
      return true;
    }
  }
  return false;
}

// Splits the physical lines, keeping their 1-based numbers.
struct PhysLine {
  std::string_view text;
  size_t number;
};
std::vector<PhysLine> splitLines(std::string_view text) {
  std::vector<PhysLine> out;
  size_t n = 1, start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      std::string_view line = text.substr(start, i - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (i < text.size() || !line.empty()) out.push_back({line, n});
      ++n;
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

Result<ImageRef> parseFromArgs(std::string_view args) {
  std::vector<std::string> words = splitAsciiSpace(args);
  size_t i = 0;
  while (i < words.size() && words[i].rfind("--", 0) == 0) ++i;  // --platform=...
  if (i >= words.size()) return Status::invalidArgument("FROM names no image");
  ImageRef ref;
  std::string image = words[i++];
  if (i < words.size()) {
    if (!equalsIgnoreCase(words[i], "as") || i + 2 != words.size()) {
      return Status::invalidArgument("FROM expects `image [AS name]`, got \"" +
                                     std::string(trimAsciiSpace(args)) + "\"");
    }
    ref.stage_name = asciiLowerCopy(words[i + 1]);
  }
  size_t at = image.find('@');
  if (at != std::string::npos) {
    ref.digest = image.substr(at + 1);
    image.resize(at);
    if (ref.digest.empty()) return Status::invalidArgument("FROM image has an empty digest");
  }
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = image.substr(colon + 1);
    image.resize(colon);
    if (ref.tag.empty()) return Status::invalidArgument("FROM image has an empty tag");
  }
  if (image.empty()) return Status::invalidArgument("FROM names no image");
  ref.image = std::move(image);
  return ref;
}

Result<Dockerfile> parseDockerfile(std::string_view text) {
  if (text.size() > kMaxDockerfileBytes) {
    return Status::invalidArgument("Dockerfile larger than " +
                                   std::to_string(kMaxDockerfileBytes) + " bytes");
  }
  if (text.find('\0') != std::string_view::npos) {
    return Status::invalidArgument("Dockerfile contains a NUL byte");
  }
  Dockerfile df;
  std::vector<PhysLine> lines = splitLines(text);
  size_t i = 0;
  // Parser directives: `# key=value` lines at the very top.
  for (; i < lines.size(); ++i) {
    std::string_view t = trimAsciiSpace(lines[i].text);
    if (t.empty() || t[0] != '#') break;
    std::string_view body = trimAsciiSpace(t.substr(1));
    size_t eq = body.find('=');
    if (eq == std::string_view::npos) break;
    std::string key = asciiLowerCopy(trimAsciiSpace(body.substr(0, eq)));
    std::string_view value = trimAsciiSpace(body.substr(eq + 1));
    if (key.empty() || key.find_first_of(" \t") != std::string::npos) break;
    if (key == "escape") {
      if (value != "\\" && value != "`") {
        return lineError(lines[i].number, "escape directive must be \\ or `, got \"" +
                                              std::string(value) + "\"");
      }
      df.escape = value[0];
    } else if (key != "syntax" && key != "check") {
      break;  // not a directive: an ordinary comment ends the directives
    }
  }

  bool seen_from = false;
  size_t count = 0;
  while (i < lines.size()) {
    std::string_view t = trimAsciiSpace(lines[i].text);
    if (t.empty() || t[0] == '#') {
      ++i;
      continue;
    }
    size_t start_line = lines[i].number;
    std::string joined;
    // Join continuations; comment and empty lines inside a continuation are dropped.
    while (true) {
      std::string_view piece = lines[i].text;
      std::string_view rt = piece;
      while (!rt.empty() && isAsciiSpace(rt.back())) rt.remove_suffix(1);
      bool cont = !rt.empty() && rt.back() == df.escape;
      if (cont) rt.remove_suffix(1);
      if (!joined.empty()) joined += ' ';
      joined += trimAsciiSpace(rt);
      ++i;
      if (!cont) break;
      while (i < lines.size()) {
        std::string_view n = trimAsciiSpace(lines[i].text);
        if (!n.empty() && n[0] == '#') {
          ++i;
          continue;
        }
        break;
      }
      if (i >= lines.size()) break;  // a continuation at the end of the file ends the instruction
    }
    std::string_view inst = trimAsciiSpace(joined);
    size_t kw_end = 0;
    while (kw_end < inst.size() && !isAsciiSpace(inst[kw_end])) ++kw_end;
    Instruction in;
    in.line = start_line;
    in.keyword = std::string(inst.substr(0, kw_end));
    for (char& c : in.keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!knownKeywords().count(in.keyword)) {
      std::string shown = std::string(inst.substr(0, std::min<size_t>(kw_end, 40)));
      return lineError(start_line, "unknown instruction \"" + shown + "\"");
    }
    in.raw = std::string(trimAsciiSpace(inst.substr(kw_end)));
    if ((in.keyword == "RUN" || in.keyword == "COPY" || in.keyword == "ADD") && hasHeredoc(in.raw)) {
      return lineError(start_line, in.keyword + " uses a heredoc (<<), which this parser refuses;"
                                                " write the commands on continuation lines");
    }
    if (!in.raw.empty() && in.raw[0] == '[') {
      nlohmann::json j = nlohmann::json::parse(in.raw, nullptr, /*allow_exceptions=*/false);
      bool strings = j.is_array();
      if (strings) {
        for (const auto& e : j) strings = strings && e.is_string();
      }
      if (strings) {
        in.json_form = true;
        for (const auto& e : j) in.args.push_back(e.get<std::string>());
      }
    }
    if (!in.json_form) in.args = splitAsciiSpace(in.raw);

    if (++count > kMaxInstructions) {
      return lineError(start_line, "more than " + std::to_string(kMaxInstructions) +
                                       " instructions");
    }
    if (in.keyword == "FROM") {
      Result<ImageRef> ref = parseFromArgs(in.raw);
      if (!ref.isOk()) return lineError(start_line, ref.status().message());
      Stage stage;
      stage.from = std::move(ref).value();
      stage.from_line = start_line;
      df.stages.push_back(std::move(stage));
      seen_from = true;
    } else if (!seen_from) {
      if (in.keyword != "ARG") {
        return lineError(start_line, in.keyword + " before the first FROM (only ARG may come first)");
      }
      df.global_args.push_back(std::move(in));
    } else {
      df.stages.back().instructions.push_back(std::move(in));
    }
  }
  if (df.stages.empty()) return Status::invalidArgument("no FROM instruction");
  return df;
}

}  // namespace shipgate::policy
