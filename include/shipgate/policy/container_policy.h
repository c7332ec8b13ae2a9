// The seed's `container_security:` block checked against a Dockerfile and, optionally, the image's
// OCI config JSON. Findings carry a rule id (SG3001..), a severity and the line, and print in
// hadolint's style: `file:line SG3002 error message`. Pure functions; thread-compatible.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/policy/dockerfile.h"

namespace shipgate::policy {

// Rule ids. Documented in README ("Container policy").
inline constexpr char kRuleBaseImage[] = "SG3001";       // final stage's base is not base_image
inline constexpr char kRuleDigestPin[] = "SG3002";       // base image not pinned by digest
inline constexpr char kRuleRootUser[] = "SG3003";        // final stage runs as root / no USER
inline constexpr char kRuleAptMinimal[] = "SG3004";      // apt-get install w/o --no-install-recommends
inline constexpr char kRuleApkMinimal[] = "SG3005";      // apk add without --no-cache
inline constexpr char kRuleImageUser[] = "SG3006";       // image config User is root / empty
inline constexpr char kRuleImageMismatch[] = "SG3007";   // image config User != Dockerfile USER

enum class Severity { kInfo, kWarning, kError };
const char* severityName(Severity s);

struct Finding {
  std::string file;  // as given
  size_t line = 0;   // 0: no line (image config findings use 1 when no better one)
  std::string rule;
  Severity severity = Severity::kError;
  std::string message;
  // "file:line rule severity message"
  std::string toString() const;
};

struct PolicySettings {
  std::string base_image = "node:18-alpine";  // empty: any base image
  bool non_root_user = true;
  bool minimal_packages = true;
};

// Reads the seed's container_security map (as config::Config stores it: key -> scalar text).
// Unknown keys are ignored (the loader warns about them); a bad boolean is an error naming the key.
Result<PolicySettings> settingsFromSeed(const std::map<std::string, std::string>& block);

// The Dockerfile's findings, in line order.
std::vector<Finding> checkDockerfile(const Dockerfile& df, const std::string& file,
                                     const PolicySettings& settings);

// The image config's findings (OCI image config JSON: config.User). `dockerfile` may be null; when
// given, its final USER is compared. `dockerfile_name` is used for the mismatch finding's location.
// An error Status when the text is not an OCI image config (not JSON, not an object, User not a
// string).
Result<std::vector<Finding>> checkImageConfig(std::string_view json_text, const std::string& file,
                                      const Dockerfile* dockerfile,
                                      const std::string& dockerfile_name,
                                      const PolicySettings& settings);

// The USER the final stage ends with ("" when none) and the line of that instruction (0 if none).
struct FinalUser {
  std::string user;
  size_t line = 0;
};
FinalUser finalUser(const Dockerfile& df);

// True when a user spec ("name", "uid", "name:group", "uid:gid") names root (root or 0).
bool isRootUser(std::string_view user);

}  // namespace shipgate::policy
