// The SecRule action list: typed actions (id, phase, t:, disruptive, setvar, ctl, ...), the
// checks of ctl: values and %{macros}. The vocabulary of variables and targets is in seclang.cc,
// the directive reader in seclang_reader.cc.
#include <charconv>
#include <initializer_list>
#include <string>
#include <utility>

#include "seclang_impl.h"
#include "shipgate/common/strings.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::managed {

namespace {

// Known ModSecurity actions without a typed field here: kept in Actions::other.
constexpr std::string_view kOtherActions[] = {
    "ver", "rev", "maturity", "accuracy", "initcol", "expirevar", "deprecatevar", "setsid",
    "setuid", "setrsc", "setenv", "sanitiseMatched", "sanitiseArg", "sanitiseMatchedBytes",
    "sanitiseRequestHeader", "sanitiseResponseHeader", "append", "prepend", "exec", "xmlns",
    "pause", "proxy"};

// ctl: options ModSecurity defines.
constexpr std::string_view kCtlNames[] = {
    "auditEngine", "auditLogParts", "debugLogLevel", "forceRequestBodyVariable",
    "requestBodyAccess", "requestBodyLimit", "requestBodyProcessor", "responseBodyAccess",
    "responseBodyLimit", "ruleEngine", "ruleRemoveById", "ruleRemoveByMsg", "ruleRemoveByTag",
    "ruleRemoveTargetById", "ruleRemoveTargetByMsg", "ruleRemoveTargetByTag", "hashEngine",
    "hashEnforcement", "parseXmlIntoArgs"};

constexpr std::string_view kSeverities[] = {
    "EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};

bool parseInt64(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parseInt(std::string_view s, int& out) {
  int64_t v = 0;
  if (!parseInt64(s, v) || v < INT32_MIN || v > INT32_MAX) return false;
  out = static_cast<int>(v);
  return true;
}

Result<SetVar> parseSetVar(std::string_view v) {
  SetVar sv;
  std::string_view s = trimAsciiSpace(v);
  if (!s.empty() && s[0] == '!') {
    sv.op = SetVar::Op::kDelete;
    s.remove_prefix(1);
    sv.value.clear();
  }
  size_t eq = s.find('=');
  std::string_view lhs = trimAsciiSpace(s.substr(0, eq));
  if (eq != std::string_view::npos) {
    if (sv.op == SetVar::Op::kDelete) {
      return Status::invalidArgument("setvar:!" + std::string(s) + ": a deletion takes no value");
    }
    std::string_view rhs = s.substr(eq + 1);
    if (!rhs.empty() && rhs[0] == '+') {
      sv.op = SetVar::Op::kAdd;
      rhs.remove_prefix(1);
    } else if (!rhs.empty() && rhs[0] == '-') {
      sv.op = SetVar::Op::kSubtract;
      rhs.remove_prefix(1);
    }
    sv.value = std::string(rhs);
  } else if (sv.op != SetVar::Op::kDelete) {
    sv.value = "1";
  }
  size_t dot = lhs.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == lhs.size()) {
    return Status::invalidArgument("setvar:" + std::string(v) +
                                   ": expected collection.name (e.g. tx.score)");
  }
  std::string coll = asciiLowerCopy(lhs.substr(0, dot));
  static constexpr std::string_view kColls[] = {"tx",   "ip",   "global",
                                                             "session", "user", "resource"};
  bool known = false;
  for (auto c : kColls) known = known || c == coll;
  if (!known) {
    return Status::invalidArgument("setvar:" + std::string(v) + ": unknown collection " + coll);
  }
  sv.collection = std::move(coll);
  sv.name = std::string(lhs.substr(dot + 1));
  return sv;
}

std::optional<Transform> lookupTransform(std::string_view name) {
  if (auto t = parseTransform(name)) return t;
  // `t:` names are case-insensitive (the CRS writes t:base64decode).
  for (int i = 0; i <= static_cast<int>(Transform::kParityZero7bit); ++i) {
    auto t = static_cast<Transform>(i);
    if (equalsIgnoreCase(transformName(t), name)) return t;
  }
  if (equalsIgnoreCase(name, "normalizePath")) return Transform::kNormalisePath;
  if (equalsIgnoreCase(name, "normalizePathWin")) return Transform::kNormalisePathWin;
  return std::nullopt;
}

// Every %{VAR} or %{COLLECTION.key} macro in `text` is closed and names a known variable.
Status checkMacros(std::string_view text, std::string_view where) {
  size_t i = 0;
  while ((i = text.find("%{", i)) != std::string_view::npos) {
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Status::invalidArgument("unclosed macro %{ in " + std::string(where));
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view var = inner.substr(0, inner.find('.'));
    if (!parseVar(var)) {
      return Status::invalidArgument("unknown variable in macro %{" + std::string(inner) +
                                     "} in " + std::string(where));
    }
    i = close + 1;
  }
  return Status::success();
}

bool oneOf(std::string_view v, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (equalsIgnoreCase(o, v)) return true;
  }
  return false;
}

// The value of a ctl: option, where it has a form to check (and holds no macro).
Status checkCtlValue(const std::string& name, const std::string& value) {
  const std::string where = "ctl:" + name + "=" + value;
  SG_RETURN_IF_ERROR(checkMacros(value, where));
  if (value.find("%{") != std::string::npos) return Status::success();
  auto bad = [&](std::string_view expected) {
    return Status::invalidArgument("bad value in " + where + " (expected " +
                                   std::string(expected) + ")");
  };
  if (name == "ruleRemoveById") {
    auto ids = parseIdRanges(value);
    if (!ids.isOk()) return Status::invalidArgument(where + ": " + ids.status().message());
  } else if (name == "ruleRemoveTargetById" || name == "ruleRemoveTargetByTag" ||
             name == "ruleRemoveTargetByMsg") {
    size_t semi = value.find(';');
    if (semi == std::string::npos || semi == 0) return bad("RULE;TARGET");
    if (name == "ruleRemoveTargetById") {
      auto ids = parseIdRanges(value.substr(0, semi));
      if (!ids.isOk()) return Status::invalidArgument(where + ": " + ids.status().message());
    }
    auto t = parseTargets(std::string_view(value).substr(semi + 1));
    if (!t.isOk()) return Status::invalidArgument(where + ": " + t.status().message());
  } else if (name == "ruleRemoveByTag" || name == "ruleRemoveByMsg") {
    if (value.empty()) return bad("a tag or message");
  } else if (name == "ruleEngine") {
    if (!oneOf(value, {"On", "Off", "DetectionOnly"})) return bad("On, Off or DetectionOnly");
  } else if (name == "requestBodyProcessor") {
    if (!oneOf(value, {"URLENCODED", "MULTIPART", "XML", "JSON"})) {
      return bad("URLENCODED, MULTIPART, XML or JSON");
    }
  } else if (name == "requestBodyAccess" || name == "responseBodyAccess" ||
             name == "forceRequestBodyVariable" || name == "hashEngine" ||
             name == "hashEnforcement" || name == "parseXmlIntoArgs") {
    if (!oneOf(value, {"On", "Off"})) return bad("On or Off");
  } else if (name == "auditEngine") {
    if (!oneOf(value, {"On", "Off", "RelevantOnly"})) return bad("On, Off or RelevantOnly");
  }
  return Status::success();
}

Status applyAction(std::string_view name, std::optional<std::string> value, Actions& a) {
  auto need = [&](std::string_view what) -> Status {
    if (!value) {
      return Status::invalidArgument("action " + std::string(name) + " needs a value (" +
                                     std::string(what) + ")");
    }
    return Status::success();
  };
  const std::string val = value.value_or("");
  if (name == "id") {
    SG_RETURN_IF_ERROR(need("id:N"));
    int64_t id = 0;
    if (!parseInt64(val, id) || id <= 0) {
      return Status::invalidArgument("bad rule id '" + val + "' (a positive integer)");
    }
    a.id = id;
  } else if (name == "phase") {
    SG_RETURN_IF_ERROR(need("phase:1..5"));
    int p = 0;
    if (val == "request") {
      p = 2;
    } else if (val == "response") {
      p = 4;
    } else if (val == "logging") {
      p = 5;
    } else if (!parseInt(val, p) || p < 1 || p > 5) {
      return Status::invalidArgument("bad phase '" + val + "' (1..5, request, response, logging)");
    }
    a.phase = p;
  } else if (name == "t") {
    SG_RETURN_IF_ERROR(need("t:name"));
    auto t = lookupTransform(val);
    if (!t) return Status::invalidArgument("unknown transformation t:" + val);
    a.transforms.push_back(*t);
  } else if (name == "pass" || name == "block" || name == "deny" || name == "drop" ||
             name == "allow" || name == "redirect") {
    if (a.disruptive != Disruptive::kNone) {
      return Status::invalidArgument("more than one disruptive action (" + std::string(name) +
                                     ")");
    }
    a.disruptive = name == "pass"    ? Disruptive::kPass
                   : name == "block" ? Disruptive::kBlock
                   : name == "deny"  ? Disruptive::kDeny
                   : name == "drop"  ? Disruptive::kDrop
                   : name == "allow" ? Disruptive::kAllow
                                     : Disruptive::kRedirect;
    if (name == "redirect") {
      SG_RETURN_IF_ERROR(need("redirect:URL"));
      a.other.emplace_back("redirect", val);
    } else if (name == "allow" && value) {
      if (val != "phase" && val != "request") {
        return Status::invalidArgument("bad allow:" + val + " (allow, allow:phase, allow:request)");
      }
      a.other.emplace_back("allow", val);
    }
  } else if (name == "status") {
    SG_RETURN_IF_ERROR(need("status:NNN"));
    int st = 0;
    if (!parseInt(val, st) || st < 100 || st > 599) {
      return Status::invalidArgument("bad status '" + val + "' (100..599)");
    }
    a.status = st;
  } else if (name == "chain") {
    a.chain = true;
  } else if (name == "capture") {
    a.capture = true;
  } else if (name == "multiMatch") {
    a.multi_match = true;
  } else if (name == "log" || name == "nolog") {
    a.log = name == "log";
  } else if (name == "auditlog" || name == "noauditlog") {
    a.auditlog = name == "auditlog";
  } else if (name == "msg") {
    SG_RETURN_IF_ERROR(checkMacros(val, "msg"));
    a.msg = val;
  } else if (name == "logdata") {
    SG_RETURN_IF_ERROR(checkMacros(val, "logdata"));
    a.logdata = val;
  } else if (name == "severity") {
    SG_RETURN_IF_ERROR(need("severity:CRITICAL or 0..7"));
    int n = -1;
    bool ok = parseInt(val, n) && n >= 0 && n <= 7;
    for (auto s : kSeverities) ok = ok || equalsIgnoreCase(s, val);
    if (!ok) {
      return Status::invalidArgument("bad severity '" + val + "' (EMERGENCY..DEBUG or 0..7)");
    }
    a.severity = val;
  } else if (name == "tag") {
    SG_RETURN_IF_ERROR(need("tag:text"));
    a.tags.push_back(val);
  } else if (name == "skipAfter") {
    SG_RETURN_IF_ERROR(need("skipAfter:MARKER"));
    if (val.empty()) return Status::invalidArgument("skipAfter needs a marker name");
    a.skip_after = val;
  } else if (name == "skip") {
    SG_RETURN_IF_ERROR(need("skip:N"));
    int n = 0;
    if (!parseInt(val, n) || n < 1) {
      return Status::invalidArgument("bad skip '" + val + "' (a positive integer)");
    }
    a.skip = n;
  } else if (name == "setvar") {
    SG_RETURN_IF_ERROR(need("setvar:tx.name=value"));
    SG_RETURN_IF_ERROR(checkMacros(val, "setvar:" + val));
    auto sv = parseSetVar(val);
    if (!sv.isOk()) return sv.status();
    a.setvars.push_back(std::move(sv.value()));
  } else if (name == "ctl") {
    SG_RETURN_IF_ERROR(need("ctl:option=value"));
    size_t eq = val.find('=');
    if (eq == std::string::npos) {
      return Status::invalidArgument("ctl:" + val + ": expected ctl:option=value");
    }
    std::string cname = std::string(trimAsciiSpace(std::string_view(val).substr(0, eq)));
    bool known = false;
    for (auto c : kCtlNames) known = known || c == cname;
    if (!known) return Status::invalidArgument("unknown ctl option " + cname);
    std::string cval = std::string(trimAsciiSpace(std::string_view(val).substr(eq + 1)));
    SG_RETURN_IF_ERROR(checkCtlValue(cname, cval));
    a.ctls.push_back(Ctl{std::move(cname), std::move(cval)});
  } else {
    for (auto o : kOtherActions) {
      if (o == name) {
        SG_RETURN_IF_ERROR(checkMacros(val, std::string(name) + ":" + val));
        a.other.emplace_back(std::string(name), val);
        return Status::success();
      }
    }
    return Status::invalidArgument("unknown action " + std::string(name));
  }
  return Status::success();
}

}  // namespace

Status checkOperatorMacros(std::string_view param) { return checkMacros(param, "operator"); }

Result<Actions> parseActions(std::string_view text) {
  Actions a;
  size_t i = 0;
  while (i < text.size()) {
    // One action: up to a comma outside single quotes.
    std::string name;
    std::optional<std::string> value;
    size_t j = i;
    while (j < text.size() && text[j] != ',' && text[j] != ':') ++j;
    name = std::string(trimAsciiSpace(text.substr(i, j - i)));
    if (j < text.size() && text[j] == ':') {
      ++j;
      while (j < text.size() && isAsciiSpace(text[j])) ++j;
      std::string v;
      if (j < text.size() && text[j] == '\'') {
        // '...' with \' for a quote and \\ for a backslash; other backslashes kept as written.
        size_t k = j + 1;
        bool closed = false;
        for (; k < text.size(); ++k) {
          if (text[k] == '\\' && k + 1 < text.size() &&
              (text[k + 1] == '\'' || text[k + 1] == '\\')) {
            v.push_back(text[k + 1]);
            ++k;
          } else if (text[k] == '\'') {
            closed = true;
            break;
          } else {
            v.push_back(text[k]);
          }
        }
        if (!closed) {
          return Status::invalidArgument("unterminated single quote in action " + name);
        }
        j = k + 1;
        while (j < text.size() && isAsciiSpace(text[j])) ++j;
        if (j < text.size() && text[j] != ',') {
          return Status::invalidArgument("unexpected text after quoted value of action " + name);
        }
      } else {
        size_t k = j;
        bool in_quote = false;
        for (; k < text.size(); ++k) {
          if (text[k] == '\\' && k + 1 < text.size() && text[k + 1] == '\'') {
            ++k;
          } else if (text[k] == '\'') {
            in_quote = !in_quote;
          } else if (text[k] == ',' && !in_quote) {
            break;
          }
        }
        if (in_quote) {
          return Status::invalidArgument("unterminated single quote in action " + name);
        }
        v = std::string(trimAsciiSpace(text.substr(j, k - j)));
        j = k;
      }
      value = std::move(v);
    }
    if (name.empty()) {
      if (value) return Status::invalidArgument("action without a name before ':'");
    } else {
      SG_RETURN_IF_ERROR(applyAction(name, std::move(value), a));
    }
    i = j + 1;
  }
  return a;
}

}  // namespace shipgate::managed
