#include "smoke.h"

#include <httplib.h>

namespace shipgate::release {

using json = nlohmann::json;

std::string judgeSmoke(const SmokeCheck& check, int status, const std::string& body) {
  if (status != check.expect_status) {
    return "expected status " + std::to_string(check.expect_status) + ", got " +
           std::to_string(status);
  }
  if (!check.expect_body.empty() && body.find(check.expect_body) == std::string::npos) {
    return "body does not contain \"" + check.expect_body + "\"";
  }
  if (check.json_pointer) {
    json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return "body is not JSON (expected " + *check.json_pointer + ")";
    json::json_pointer ptr(*check.json_pointer);
    if (!doc.contains(ptr)) return "JSON has no " + *check.json_pointer;
    const json& got = doc.at(ptr);
    bool equal = got == check.json_equals;
    // A number written in YAML compares equal to the same number in JSON whatever its type.
    if (!equal && got.is_number() && check.json_equals.is_number()) {
      equal = got.get<double>() == check.json_equals.get<double>();
    }
    if (!equal) {
      return "JSON " + *check.json_pointer + " is " + got.dump() + ", expected " +
             check.json_equals.dump();
    }
  }
  return "";
}

SmokeOutcome runSmokeChecks(const std::vector<SmokeCheck>& checks,
                            const std::vector<config::HostPort>& endpoints) {
  SmokeOutcome out;
  for (const auto& check : checks) {
    for (const auto& ep : endpoints) {
      httplib::Client client(ep.host, ep.port);
      auto seconds = std::chrono::duration_cast<std::chrono::milliseconds>(check.timeout);
      client.set_connection_timeout(seconds);
      client.set_read_timeout(seconds);
      client.set_write_timeout(seconds);
      httplib::Result res = check.method == "HEAD"      ? client.Head(check.path)
                            : check.method == "POST"    ? client.Post(check.path)
                            : check.method == "OPTIONS" ? client.Options(check.path)
                                                        : client.Get(check.path);
      std::string what = check.method + " " + ep.toString() + check.path;
      json e = {{"request", what}};
      std::string why;
      if (!res) {
        why = "no answer: " + httplib::to_string(res.error());
        e["status"] = nullptr;
      } else {
        e["status"] = res->status;
        e["body"] = res->body.substr(0, kEvidenceBodyBytes);
        why = judgeSmoke(check, res->status, res->body);
      }
      e["ok"] = why.empty();
      if (!why.empty()) e["failure"] = why;
      out.evidence.push_back(std::move(e));
      if (!why.empty()) {
        out.ok = false;
        out.failure = what + ": " + why;
        return out;
      }
    }
  }
  return out;
}

}  // namespace shipgate::release
