// The SecRule vocabulary: variables, operators, actions, target lists, id ranges and *.data
// files. The directive reader (lines, quoting, chains) is in seclang_reader.cc.
#include "shipgate/managed/seclang.h"

#include <array>
#include <charconv>
#include <string>
#include <utility>

#include "seclang_impl.h"
#include "shipgate/common/strings.h"

namespace shipgate::managed {

std::string SourceLocation::toString() const { return file + ":" + std::to_string(line); }

namespace {

struct VarEntry {
  std::string_view name;
  Var var;
  bool collection;
};

// Canonical spelling first for each Var (varName returns the first match).
constexpr std::array kVars = {
    VarEntry{"ARGS", Var::kArgs, true},
    VarEntry{"ARGS_GET", Var::kArgsGet, true},
    VarEntry{"ARGS_POST", Var::kArgsPost, true},
    VarEntry{"ARGS_NAMES", Var::kArgsNames, true},
    VarEntry{"ARGS_GET_NAMES", Var::kArgsGetNames, true},
    VarEntry{"ARGS_POST_NAMES", Var::kArgsPostNames, true},
    VarEntry{"REQUEST_HEADERS", Var::kRequestHeaders, true},
    VarEntry{"REQUEST_HEADERS_NAMES", Var::kRequestHeadersNames, true},
    VarEntry{"REQUEST_COOKIES", Var::kRequestCookies, true},
    VarEntry{"REQUEST_COOKIES_NAMES", Var::kRequestCookiesNames, true},
    VarEntry{"FILES", Var::kFiles, true},
    VarEntry{"FILES_NAMES", Var::kFilesNames, true},
    VarEntry{"FILES_SIZES", Var::kFilesSizes, true},
    VarEntry{"MULTIPART_PART_HEADERS", Var::kMultipartPartHeaders, true},
    VarEntry{"XML", Var::kXml, true},
    VarEntry{"TX", Var::kTx, true},
    VarEntry{"IP", Var::kIp, true},
    VarEntry{"GLOBAL", Var::kGlobal, true},
    VarEntry{"SESSION", Var::kSession, true},
    VarEntry{"USER", Var::kUser, true},
    VarEntry{"RESOURCE", Var::kResource, true},
    VarEntry{"GEO", Var::kGeo, true},
    VarEntry{"ENV", Var::kEnv, true},
    VarEntry{"RULE", Var::kRule, true},
    VarEntry{"MATCHED_VARS", Var::kMatchedVars, true},
    VarEntry{"MATCHED_VARS_NAMES", Var::kMatchedVarsNames, true},
    VarEntry{"REQUEST_URI", Var::kRequestUri, false},
    VarEntry{"REQUEST_URI_RAW", Var::kRequestUriRaw, false},
    VarEntry{"REQUEST_FILENAME", Var::kRequestFilename, false},
    VarEntry{"REQUEST_BASENAME", Var::kRequestBasename, false},
    VarEntry{"REQUEST_LINE", Var::kRequestLine, false},
    VarEntry{"REQUEST_METHOD", Var::kRequestMethod, false},
    VarEntry{"REQUEST_PROTOCOL", Var::kRequestProtocol, false},
    VarEntry{"REQUEST_BODY", Var::kRequestBody, false},
    VarEntry{"REQUEST_BODY_LENGTH", Var::kRequestBodyLength, false},
    VarEntry{"QUERY_STRING", Var::kQueryString, false},
    VarEntry{"ARGS_COMBINED_SIZE", Var::kArgsCombinedSize, false},
    VarEntry{"FILES_COMBINED_SIZE", Var::kFilesCombinedSize, false},
    VarEntry{"REQBODY_PROCESSOR", Var::kReqbodyProcessor, false},
    VarEntry{"REQBODY_ERROR", Var::kReqbodyError, false},
    VarEntry{"REQBODY_PROCESSOR_ERROR", Var::kReqbodyError, false},  // ModSecurity 2 alias
    VarEntry{"REQBODY_ERROR_MSG", Var::kReqbodyErrorMsg, false},
    VarEntry{"REQBODY_PROCESSOR_ERROR_MSG", Var::kReqbodyErrorMsg, false},
    VarEntry{"MULTIPART_STRICT_ERROR", Var::kMultipartStrictError, false},
    VarEntry{"MULTIPART_UNMATCHED_BOUNDARY", Var::kMultipartUnmatchedBoundary, false},
    VarEntry{"REMOTE_ADDR", Var::kRemoteAddr, false},
    VarEntry{"REMOTE_PORT", Var::kRemotePort, false},
    VarEntry{"SERVER_NAME", Var::kServerName, false},
    VarEntry{"SERVER_PORT", Var::kServerPort, false},
    VarEntry{"UNIQUE_ID", Var::kUniqueId, false},
    VarEntry{"DURATION", Var::kDuration, false},
    VarEntry{"MATCHED_VAR", Var::kMatchedVar, false},
    VarEntry{"MATCHED_VAR_NAME", Var::kMatchedVarName, false},
    VarEntry{"RESPONSE_BODY", Var::kResponseBody, false},
    VarEntry{"RESPONSE_STATUS", Var::kResponseStatus, false},
    VarEntry{"RESPONSE_HEADERS", Var::kResponseHeaders, true},
    VarEntry{"RESPONSE_HEADERS_NAMES", Var::kResponseHeadersNames, true},
};

// Operators the reader knows (lower-case). Which are evaluated is the engine's business.
constexpr std::string_view kOperators[] = {
    "rx", "pm", "pmfromfile", "pmf", "streq", "contains", "containsword", "beginswith",
    "endswith", "within", "eq", "ge", "gt", "le", "lt", "ipmatch", "ipmatchfromfile",
    "ipmatchf", "validatebyterange", "validateurlencoding", "validateutf8encoding",
    "detectsqli", "detectxss", "unconditionalmatch", "nomatch", "rbl", "geolookup",
    "strmatch", "validatedtd", "validateschema", "verifycc", "verifycpf", "verifyssn",
    "inspectfile", "fuzzyhash", "gsblookup", "rsub", "validatehash"};

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

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

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

// Index of the end of a selector starting at `i` (exclusive), honouring '...' and /.../ forms
// whose text may hold '|'.
size_t selectorEnd(std::string_view s, size_t i) {
  if (i < s.size() && s[i] == '\'') {
    for (size_t j = i + 1; j < s.size(); ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        ++j;
      } else if (s[j] == '\'') {
        return j + 1;
      }
    }
    return std::string_view::npos;  // unterminated
  }
  if (i < s.size() && s[i] == '/') {
    // A regex: the closing '/' is the last unescaped one before a '|' or the end.
    for (size_t j = i + 1; j < s.size(); ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        ++j;
      } else if (s[j] == '/' && (j + 1 == s.size() || s[j + 1] == '|')) {
        return j + 1;
      }
    }
  }
  size_t bar = s.find('|', i);
  return bar == std::string_view::npos ? s.size() : bar;
}

Status parseOneTarget(std::string_view text, Target& t) {
  std::string_view s = trimView(text);
  if (s.empty()) return Status::invalidArgument("empty target in target list");
  if (s[0] == '!') {
    t.exclude = true;
    s.remove_prefix(1);
  }
  if (!s.empty() && s[0] == '&') {
    t.count = true;
    s.remove_prefix(1);
  }
  size_t colon = s.find(':');
  std::string_view name = s.substr(0, colon);
  auto v = parseVar(name);
  if (!v) return Status::invalidArgument("unknown variable " + std::string(name));
  t.var = *v;
  if (colon == std::string_view::npos) {
    if (t.exclude) {
      return Status::invalidArgument("exclusion !" + std::string(name) + " needs a selector");
    }
    return Status::ok();
  }
  std::string_view sel = s.substr(colon + 1);
  if (sel.size() >= 2 && sel.front() == '\'' && sel.back() == '\'') {
    sel = sel.substr(1, sel.size() - 2);
  } else if (!sel.empty() && sel.front() == '\'') {
    return Status::invalidArgument("unterminated quote in target " + std::string(text));
  }
  if (sel.empty()) {
    return Status::invalidArgument("empty selector in target " + std::string(text));
  }
  if (sel.size() >= 2 && sel.front() == '/' && sel.back() == '/') {
    t.selector_is_regex = true;
    sel = sel.substr(1, sel.size() - 2);
    if (sel.empty()) return Status::invalidArgument("empty regex in target " + std::string(text));
  }
  if (!isCollection(t.var)) {
    return Status::invalidArgument("variable " + std::string(varName(t.var)) +
                                   " has no elements to select (" + std::string(text) + ")");
  }
  t.selector = std::string(sel);
  return Status::ok();
}

Result<SetVar> parseSetVar(std::string_view v) {
  SetVar sv;
  std::string_view s = trimView(v);
  if (!s.empty() && s[0] == '!') {
    sv.op = SetVar::Op::kDelete;
    s.remove_prefix(1);
    sv.value.clear();
  }
  size_t eq = s.find('=');
  std::string_view lhs = trimView(s.substr(0, eq));
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

Status applyAction(std::string_view name, std::optional<std::string> value, Actions& a) {
  auto need = [&](std::string_view what) -> Status {
    if (!value) {
      return Status::invalidArgument("action " + std::string(name) + " needs a value (" +
                                     std::string(what) + ")");
    }
    return Status::ok();
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
    a.msg = val;
  } else if (name == "logdata") {
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
    auto sv = parseSetVar(val);
    if (!sv.isOk()) return sv.status();
    a.setvars.push_back(std::move(sv.value()));
  } else if (name == "ctl") {
    SG_RETURN_IF_ERROR(need("ctl:option=value"));
    size_t eq = val.find('=');
    if (eq == std::string::npos) {
      return Status::invalidArgument("ctl:" + val + ": expected ctl:option=value");
    }
    std::string cname = std::string(trimView(std::string_view(val).substr(0, eq)));
    bool known = false;
    for (auto c : kCtlNames) known = known || c == cname;
    if (!known) return Status::invalidArgument("unknown ctl option " + cname);
    a.ctls.push_back(Ctl{cname, std::string(trimView(std::string_view(val).substr(eq + 1)))});
  } else {
    for (auto o : kOtherActions) {
      if (o == name) {
        a.other.emplace_back(std::string(name), val);
        return Status::ok();
      }
    }
    return Status::invalidArgument("unknown action " + std::string(name));
  }
  return Status::ok();
}

}  // namespace

std::string_view trimView(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string asciiLowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = asciiLower(c);
  return out;
}

std::optional<Var> parseVar(std::string_view name) {
  for (const auto& e : kVars) {
    if (equalsIgnoreCase(e.name, name)) return e.var;
  }
  return std::nullopt;
}

std::string_view varName(Var v) {
  for (const auto& e : kVars) {
    if (e.var == v) return e.name;
  }
  return "?";
}

bool isCollection(Var v) {
  for (const auto& e : kVars) {
    if (e.var == v) return e.collection;
  }
  return false;
}

bool isKnownOperator(std::string_view lower_name) {
  for (auto o : kOperators) {
    if (equalsIgnoreCase(o, lower_name)) return true;
  }
  return false;
}

Result<std::vector<Target>> parseTargets(std::string_view text) {
  std::vector<Target> out;
  std::string_view s = trimView(text);
  if (s.empty()) return Status::invalidArgument("empty target list");
  size_t i = 0;
  while (i <= s.size()) {
    // The selector (after ':') may be quoted or a /regex/ holding '|'.
    size_t colon = s.find(':', i);
    size_t bar = s.find('|', i);
    size_t end;
    if (colon != std::string_view::npos && (bar == std::string_view::npos || colon < bar)) {
      end = selectorEnd(s, colon + 1);
      if (end == std::string_view::npos) {
        return Status::invalidArgument("unterminated quote in target list " + std::string(s));
      }
    } else {
      end = bar == std::string_view::npos ? s.size() : bar;
    }
    Target t;
    SG_RETURN_IF_ERROR(parseOneTarget(s.substr(i, end - i), t));
    out.push_back(std::move(t));
    if (end >= s.size()) break;
    if (s[end] != '|') {
      return Status::invalidArgument("expected '|' after target in " + std::string(s));
    }
    i = end + 1;
  }
  return out;
}

Result<std::vector<IdRange>> parseIdRanges(std::string_view text) {
  std::vector<IdRange> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (isSpace(text[i]) || text[i] == ',')) ++i;
    size_t j = i;
    while (j < text.size() && !isSpace(text[j]) && text[j] != ',') ++j;
    if (j == i) break;
    std::string_view tok = text.substr(i, j - i);
    IdRange r;
    size_t dash = tok.find('-', 1);
    bool ok;
    if (dash == std::string_view::npos) {
      ok = parseInt64(tok, r.first);
      r.last = r.first;
    } else {
      ok = parseInt64(tok.substr(0, dash), r.first) && parseInt64(tok.substr(dash + 1), r.last);
    }
    if (!ok || r.first <= 0 || r.last < r.first) {
      return Status::invalidArgument("bad rule id range '" + std::string(tok) +
                                     "' (expected N or N-M with N <= M)");
    }
    out.push_back(r);
    i = j;
  }
  if (out.empty()) return Status::invalidArgument("no rule ids given");
  return out;
}

Result<Actions> parseActions(std::string_view text) {
  Actions a;
  size_t i = 0;
  while (i < text.size()) {
    // One action: up to a comma outside single quotes.
    std::string name;
    std::optional<std::string> value;
    size_t j = i;
    while (j < text.size() && text[j] != ',' && text[j] != ':') ++j;
    name = std::string(trimView(text.substr(i, j - i)));
    if (j < text.size() && text[j] == ':') {
      ++j;
      while (j < text.size() && isSpace(text[j])) ++j;
      std::string v;
      if (j < text.size() && text[j] == '\'') {
        // '...' with \' for a quote; other backslashes kept as written.
        size_t k = j + 1;
        bool closed = false;
        for (; k < text.size(); ++k) {
          if (text[k] == '\\' && k + 1 < text.size() && text[k + 1] == '\'') {
            v.push_back('\'');
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
        while (j < text.size() && isSpace(text[j])) ++j;
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
        v = std::string(trimView(text.substr(j, k - j)));
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

std::vector<std::string> parseDataFile(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t nl = text.find('\n', i);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trimView(text.substr(i, nl - i));
    if (!line.empty() && line[0] != '#') out.emplace_back(line);
    i = nl + 1;
  }
  return out;
}

}  // namespace shipgate::managed
