// `shipgate policy check`: the seed's container_security: block checked against a Dockerfile and,
// optionally, the image's OCI config JSON. Findings go to stdout in hadolint's style; exit 0 clean
// (warnings allowed), 1 a finding at error level, 2 usage, config or unreadable/unparsable input.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "shipgate/config/loader.h"
#include "shipgate/policy/container_policy.h"
#include "shipgate/policy/dockerfile.h"

namespace shipgate::cli {
namespace {

// Reads at most policy::kMaxDockerfileBytes; larger or unreadable files are errors.
Result<std::string> readBounded(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ioError(path + ": cannot open");
  std::string data(policy::kMaxDockerfileBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) return Status::ioError(path + ": read error");
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > policy::kMaxDockerfileBytes) {
    return Status::invalidArgument(path + ": larger than " +
                                   std::to_string(policy::kMaxDockerfileBytes) + " bytes");
  }
  return data;
}

// "line N: msg" from the parser becomes "FILE:N: error: msg".
std::string located(const std::string& file, const std::string& message) {
  if (message.rfind("line ", 0) == 0) {
    size_t colon = message.find(':');
    if (colon != std::string::npos) {
      return file + ":" + message.substr(5, colon - 5) + ": error:" + message.substr(colon + 1);
    }
  }
  return file + ": error: " + message;
}

}  // namespace

CLI::App* addPolicyCommand(CLI::App& app, PolicyOptions& options) {
  auto* policy = app.add_subcommand("policy", "Check container images against container_security");
  policy->require_subcommand(1);
  auto* check = policy->add_subcommand(
      "check", "Check a Dockerfile (and the image's OCI config) against container_security");
  check->add_option("--dockerfile", options.dockerfile, "The Dockerfile")->required();
  check->add_option("--image-config", options.image_config,
                    "The image's OCI config JSON (docker inspect / skopeo inspect --config)");
  check->add_option("-c,--config", options.config_path,
                    "Config whose container_security: block is the policy (default: the seed's)");
  check->add_flag("--json", options.json, "Print the findings as JSON");
  return policy;
}

int runPolicyCheck(const PolicyOptions& options) {
  policy::PolicySettings settings;
  if (!options.config_path.empty()) {
    config::LoadResult loaded = config::loadFile(options.config_path, configSections());
    if (!loaded.ok()) {
      for (const auto& d : loaded.diagnostics) std::cerr << d.toString() << "\n";
      return 2;
    }
    Result<policy::PolicySettings> s = policy::settingsFromSeed(loaded.config->container_security);
    if (!s.isOk()) {
      std::cerr << options.config_path << ": error: " << s.status().message() << "\n";
      return 2;
    }
    settings = std::move(s).value();
  }
  Result<std::string> text = readBounded(options.dockerfile);
  if (!text.isOk()) {
    std::cerr << "error: " << text.status().message() << "\n";
    return 2;
  }
  Result<policy::Dockerfile> df = policy::parseDockerfile(*text);
  if (!df.isOk()) {
    std::cerr << located(options.dockerfile, df.status().message()) << "\n";
    return 2;
  }
  std::vector<policy::Finding> findings = policy::checkDockerfile(*df, options.dockerfile, settings);
  if (!options.image_config.empty()) {
    Result<std::string> cfg = readBounded(options.image_config);
    if (!cfg.isOk()) {
      std::cerr << "error: " << cfg.status().message() << "\n";
      return 2;
    }
    auto more = policy::checkImageConfig(*cfg, options.image_config, &df.value(),
                                         options.dockerfile, settings);
    if (!more.isOk()) {
      std::cerr << "error: " << more.status().message() << "\n";
      return 2;
    }
    findings.insert(findings.end(), more->begin(), more->end());
  }
  size_t errors = 0;
  for (const auto& f : findings) errors += f.severity == policy::Severity::kError;
  if (options.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& f : findings) {
      arr.push_back({{"file", f.file}, {"line", f.line}, {"code", f.rule},
                     {"level", policy::severityName(f.severity)}, {"message", f.message}});
    }
    std::cout << arr.dump(2) << "\n";
  } else {
    for (const auto& f : findings) std::cout << f.toString() << "\n";
    std::cerr << findings.size() << " finding(s), " << errors << " at error level\n";
  }
  return errors > 0 ? 1 : 0;
}

}  // namespace shipgate::cli
