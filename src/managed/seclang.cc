// The SecRule vocabulary: variables, operators, target lists, id ranges and *.data files. The
// actions are in seclang_actions.cc, the directive reader (lines, quoting, chains) in
// seclang_reader.cc, the printer in seclang_print.cc.
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

bool parseInt64(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
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
  std::string_view s = trimAsciiSpace(text);
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
    return Status::success();
  }
  std::string_view sel = trimAsciiSpace(s.substr(colon + 1));
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
  return Status::success();
}

}  // namespace

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
  std::string_view s = trimAsciiSpace(text);
  if (s.empty()) return Status::invalidArgument("empty target list");
  size_t i = 0;
  while (i <= s.size()) {
    // The selector (after ':') may be quoted or a /regex/ holding '|'.
    size_t colon = s.find(':', i);
    size_t bar = s.find('|', i);
    size_t end;
    if (colon != std::string_view::npos && (bar == std::string_view::npos || colon < bar)) {
      // XML's selector is an XPath expression ("XML:/*"), never a /regex/.
      std::string_view vname = s.substr(i, colon - i);
      while (!vname.empty() && (vname[0] == '!' || vname[0] == '&' || isAsciiSpace(vname[0]))) {
        vname.remove_prefix(1);
      }
      if (equalsIgnoreCase(trimAsciiSpace(vname), "XML")) {
        end = bar == std::string_view::npos ? s.size() : bar;
      } else {
        size_t sel_at = colon + 1;
        while (sel_at < s.size() && isAsciiSpace(s[sel_at])) ++sel_at;
        end = selectorEnd(s, sel_at);
      }
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
    while (i < text.size() && (isAsciiSpace(text[i]) || text[i] == ',')) ++i;
    size_t j = i;
    while (j < text.size() && !isAsciiSpace(text[j]) && text[j] != ',') ++j;
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

std::vector<std::string> parseDataFile(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t nl = text.find('\n', i);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trimAsciiSpace(text.substr(i, nl - i));
    if (!line.empty() && line[0] != '#') out.emplace_back(line);
    i = nl + 1;
  }
  return out;
}

}  // namespace shipgate::managed
