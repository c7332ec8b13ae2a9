#include "shipgate/config/config.h"

namespace shipgate::config {

std::string Location::toString() const {
  std::string out = file.empty() ? "<config>" : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  return out;
}

std::string HostPort::toString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

const char* logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "?";
}

const char* ruleActionName(RuleAction action) {
  switch (action) {
    case RuleAction::kBlock: return "block";
    case RuleAction::kChallenge: return "challenge";
    case RuleAction::kLog: return "log";
    case RuleAction::kSkip: return "skip";
    case RuleAction::kAllow: return "allow";
    case RuleAction::kRateLimit: return "rate_limit";
  }
  return "?";
}

const char* rateLimitActionName(RateLimitAction action) {
  switch (action) {
    case RateLimitAction::kBlock: return "block";
    case RateLimitAction::kChallenge: return "challenge";
    case RateLimitAction::kLog: return "log";
  }
  return "?";
}

std::string Diagnostic::toString() const {
  return where.toString() + (severity == Severity::kError ? ": error: " : ": warning: ") + message;
}

}  // namespace shipgate::config
