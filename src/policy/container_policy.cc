#include "shipgate/policy/container_policy.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "shipgate/common/strings.h"

namespace shipgate::policy {
namespace {

// "docker.io/library/node" and "library/node" are "node".
std::string normalizeImage(std::string image) {
  for (const char* prefix : {"docker.io/library/", "index.docker.io/library/", "library/",
                             "docker.io/", "index.docker.io/"}) {
    std::string p(prefix);
    if (image.rfind(p, 0) == 0) {
      image = image.substr(p.size());
      break;
    }
  }
  return asciiLowerCopy(image);
}

// Replaces $NAME and ${NAME} with the global ARG defaults (what FROM can see).
std::string expandArgs(const std::string& text, const std::vector<Instruction>& args) {
  if (text.find('$') == std::string::npos) return text;
  auto lookup = [&](const std::string& name) -> std::string {
    for (auto it = args.rbegin(); it != args.rend(); ++it) {
      for (const std::string& a : it->args) {
        size_t eq = a.find('=');
        if (a.substr(0, eq) == name) return eq == std::string::npos ? "" : a.substr(eq + 1);
      }
    }
    return "";
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    size_t j = i + 1;
    bool braced = j < text.size() && text[j] == '{';
    if (braced) ++j;
    size_t start = j;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
    std::string name = text.substr(start, j - start);
    if (braced) {
      if (j >= text.size() || text[j] != '}') {
        out += text[i];
        continue;
      }
      ++j;
    }
    out += lookup(name);
    i = j - 1;
  }
  return out;
}

// The stage `name` refers to (an earlier stage's AS name, or its index), or -1.
int stageIndex(const Dockerfile& df, size_t before, const std::string& name) {
  std::string n = asciiLowerCopy(name);
  for (size_t k = 0; k < before && k < df.stages.size(); ++k) {
    if (df.stages[k].from.stage_name == n || std::to_string(k) == n) return static_cast<int>(k);
  }
  return -1;
}

bool isStageRef(const Dockerfile& df, size_t k) {
  return df.stages[k].from.tag.empty() && df.stages[k].from.digest.empty() &&
         stageIndex(df, k, df.stages[k].from.image) >= 0;
}

// Simple commands of a shell line: split on && || ; | and newlines, each split into words.
std::vector<std::vector<std::string>> simpleCommands(const Instruction& in) {
  std::vector<std::vector<std::string>> out(1);
  if (in.json_form) {
    out[0] = in.args;
    // ["sh", "-c", "..."]: the script is what runs.
    if (in.args.size() >= 3 && in.args[1] == "-c") {
      Instruction shell;
      shell.args = {};
      shell.raw = in.args[2];
      return simpleCommands(shell);
    }
    return out;
  }
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.back().push_back(word);
    word.clear();
  };
  const std::string& s = in.raw;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ';' || c == '|' || c == '&' || c == '\n' || c == '(' || c == ')') {
      flush();
      if (!out.back().empty()) out.emplace_back();
    } else if (isAsciiSpace(c)) {
      flush();
    } else if (c != '"' && c != '\'') {
      word += c;
    }
  }
  flush();
  return out;
}

bool hasWord(const std::vector<std::string>& cmd, std::string_view w) {
  return std::find(cmd.begin(), cmd.end(), w) != cmd.end();
}

// The subcommand after `tool` (first word not starting with '-'), or "".
std::string subcommand(const std::vector<std::string>& cmd, size_t tool) {
  for (size_t k = tool + 1; k < cmd.size(); ++k) {
    if (!cmd[k].empty() && cmd[k][0] != '-') return cmd[k];
  }
  return "";
}

size_t lineOf(std::string_view text, size_t pos) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + std::min(pos, text.size()),
                                            '\n'));
}

}  // namespace

const char* severityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "error";
}

std::string Finding::toString() const {
  return file + ":" + std::to_string(line) + " " + rule + " " + severityName(severity) + " " +
         message;
}

bool isRootUser(std::string_view user) {
  std::string_view name = user.substr(0, user.find(':'));
  return name.empty() || name == "root" || name == "0";
}

Result<PolicySettings> settingsFromSeed(const std::map<std::string, std::string>& block) {
  PolicySettings s;
  auto boolean = [&](const char* key, bool& out) -> Status {
    auto it = block.find(key);
    if (it == block.end()) return Status::success();
    std::string v = asciiLowerCopy(it->second);
    if (v == "true") {
      out = true;
    } else if (v == "false") {
      out = false;
    } else {
      return Status::invalidArgument(std::string("container_security.") + key +
                                     ": expected true or false, got \"" + it->second + "\"");
    }
    return Status::success();
  };
  if (auto it = block.find("base_image"); it != block.end()) s.base_image = it->second;
  SG_RETURN_IF_ERROR(boolean("non_root_user", s.non_root_user));
  SG_RETURN_IF_ERROR(boolean("minimal_packages", s.minimal_packages));
  return s;
}

FinalUser finalUser(const Dockerfile& df) {
  if (df.stages.empty()) return {};
  size_t k = df.stages.size() - 1;
  // Follow FROM <stage> chains: the USER of the stage built upon carries over.
  for (size_t hops = 0; hops <= df.stages.size(); ++hops) {
    const Stage& st = df.stages[k];
    for (auto it = st.instructions.rbegin(); it != st.instructions.rend(); ++it) {
      if (it->keyword == "USER") return {it->args.empty() ? "" : it->args[0], it->line};
    }
    if (!isStageRef(df, k)) break;
    k = static_cast<size_t>(stageIndex(df, k, st.from.image));
  }
  return {};
}

std::vector<Finding> checkDockerfile(const Dockerfile& df, const std::string& file,
                                     const PolicySettings& settings) {
  std::vector<Finding> out;
  if (df.stages.empty()) return out;
  auto add = [&](size_t line, const char* rule, Severity sev, std::string msg) {
    out.push_back({file, line, rule, sev, std::move(msg)});
  };

  // Base image: the final stage's, following FROM <stage> to the external image.
  size_t base = df.stages.size() - 1;
  for (size_t hops = 0; hops <= df.stages.size() && isStageRef(df, base); ++hops) {
    base = static_cast<size_t>(stageIndex(df, base, df.stages[base].from.image));
  }
  const Stage& final_base = df.stages[base];
  if (!settings.base_image.empty() && !isStageRef(df, base)) {
    Result<ImageRef> want = parseFromArgs(settings.base_image);
    std::string image = normalizeImage(expandArgs(final_base.from.image, df.global_args));
    std::string tag = expandArgs(final_base.from.tag, df.global_args);
    if (want.isOk()) {
      bool same = image == normalizeImage(want->image) && (want->tag.empty() || tag == want->tag);
      if (!same) {
        std::string shown = image + (tag.empty() ? "" : ":" + tag);
        add(final_base.from_line, kRuleBaseImage, Severity::kError,
            "final stage is built on " + shown + ", container_security.base_image is " +
                settings.base_image);
      }
    }
  }
  for (size_t k = 0; k < df.stages.size(); ++k) {
    const ImageRef& f = df.stages[k].from;
    if (isStageRef(df, k) || equalsIgnoreCase(f.image, "scratch") || !f.digest.empty()) continue;
    std::string shown = f.image + (f.tag.empty() ? "" : ":" + f.tag);
    add(df.stages[k].from_line, kRuleDigestPin, Severity::kWarning,
        "base image " + shown + " is not pinned by digest (" + shown + "@sha256:...)");
  }

  if (settings.minimal_packages) {
    for (const Stage& st : df.stages) {
      for (const Instruction& in : st.instructions) {
        if (in.keyword != "RUN") continue;
        for (const auto& cmd : simpleCommands(in)) {
          for (size_t w = 0; w < cmd.size(); ++w) {
            std::string tool = cmd[w].substr(cmd[w].rfind('/') == std::string::npos
                                                 ? 0
                                                 : cmd[w].rfind('/') + 1);
            if ((tool == "apt-get" || tool == "apt") && subcommand(cmd, w) == "install" &&
                !hasWord(cmd, "--no-install-recommends")) {
              add(in.line, kRuleAptMinimal, Severity::kError,
                  tool + " install without --no-install-recommends "
                         "(container_security.minimal_packages)");
            }
            if (tool == "apk" && subcommand(cmd, w) == "add" && !hasWord(cmd, "--no-cache")) {
              add(in.line, kRuleApkMinimal, Severity::kError,
                  "apk add without --no-cache (container_security.minimal_packages)");
            }
          }
        }
      }
    }
  }

  if (settings.non_root_user) {
    FinalUser fu = finalUser(df);
    if (fu.line == 0) {
      add(df.stages.back().from_line, kRuleRootUser, Severity::kError,
          "final stage sets no USER, so the container runs as root "
          "(container_security.non_root_user)");
    } else if (isRootUser(fu.user)) {
      add(fu.line, kRuleRootUser, Severity::kError,
          "final stage runs as root (USER " + fu.user + ") (container_security.non_root_user)");
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Finding& a, const Finding& b) { return a.line < b.line; });
  return out;
}

Result<std::vector<Finding>> checkImageConfig(std::string_view json_text, const std::string& file,
                                              const Dockerfile* dockerfile,
                                              const std::string& dockerfile_name,
                                              const PolicySettings& settings) {
  if (json_text.size() > kMaxDockerfileBytes) {
    return Status::invalidArgument(file + ": image config larger than " +
                                   std::to_string(kMaxDockerfileBytes) + " bytes");
  }
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::invalidArgument(file + ": not valid JSON");
  if (!j.is_object()) return Status::invalidArgument(file + ": expected a JSON object (OCI image config)");
  std::string user;
  auto cfg = j.find("config");
  if (cfg != j.end() && !cfg->is_null()) {
    if (!cfg->is_object()) return Status::invalidArgument(file + ": \"config\" is not an object");
    auto u = cfg->find("User");
    if (u != cfg->end() && !u->is_null()) {
      if (!u->is_string()) return Status::invalidArgument(file + ": config.User is not a string");
      user = u->get<std::string>();
    }
  }
  size_t pos = json_text.find("\"User\"");
  size_t line = pos == std::string_view::npos ? 1 : lineOf(json_text, pos);
  std::vector<Finding> out;
  if (settings.non_root_user && isRootUser(user)) {
    out.push_back({file, line, kRuleImageUser, Severity::kError,
                   user.empty() ? "config.User is not set, so the image runs as root "
                                  "(container_security.non_root_user)"
                                : "config.User is " + user +
                                      ", which is root (container_security.non_root_user)"});
  }
  if (dockerfile != nullptr) {
    FinalUser fu = finalUser(*dockerfile);
    if (fu.line != 0 && fu.user != user) {
      out.push_back({dockerfile_name, fu.line, kRuleImageMismatch, Severity::kError,
                     "USER " + fu.user + " disagrees with " + file + " config.User \"" + user +
                         "\" (is the image built from this Dockerfile?)"});
    }
  }
  return out;
}

}  // namespace shipgate::policy
