// The SecRule language reader: the subset of ModSecurity's configuration language that the OWASP
// Core Rule Set 3.3 uses (its rule files, its *.data files, crs-setup.conf), read into a typed
// model the engine compiles. The reader knows the syntax and the vocabulary; it knows nothing of
// requests.
//
// Syntax handled: one directive per logical line, `\` line continuation (the next physical line is
// appended as written), `#` comments (a line whose first non-blank is '#'), arguments in double
// quotes or bare. As Apache httpd reads them (the CRS is written for it): inside "...", \" is a
// quote and \\ one backslash, every other backslash is kept (a regex's \d reaches the engine as
// \d, the file's "[^\\\\]" as [^\\]); in a bare argument \\ is one backslash. A rule's action
// list is split on commas outside single quotes ('...' with \' and \\ escapes; the quotes are
// removed). ctl: values with a form (id ranges, RULE;TARGET, On/Off...) and %{macros} (closed,
// naming a known variable) are checked.
// Directive names and variable names are case-insensitive, action names case-sensitive,
// operator and `t:` names case-insensitive. A selector is a key, a /regex/ (which may hold '|'),
// or either in single quotes; XML's selector is an XPath ("XML:/*") and never a regex.
//
// Directives: SecRule, SecAction, SecMarker, SecDefaultAction, SecComponentSignature,
// SecCollectionTimeout, SecRuleRemoveById, SecRuleRemoveByTag, SecRuleUpdateTargetById,
// SecRuleUpdateTargetByTag, SecRuleUpdateActionById, and the engine switches (SecRuleEngine, SecRequestBodyAccess, SecRequestBodyLimit,
// SecRequestBodyNoFilesLimit, SecRequestBodyLimitAction, SecArgumentSeparator,
// SecPcreMatchLimit, SecPcreMatchLimitRecursion, SecRequestBodyInMemoryLimit,
// SecRequestBodyJsonDepthLimit, SecArgumentsLimit, SecResponseBodyAccess,
// SecResponseBodyMimeType, SecResponseBodyLimit, SecResponseBodyLimitAction) kept as key/value
// settings in canonical spelling. Not supported (an error): SecRuleRemoveByMsg,
// SecRuleUpdateTargetBy* with a replacement target, SecRuleUpdateActionById on ID:offset.
// Checked here: a top-level SecRule/SecAction has an id; a chained rule holds no id, phase,
// disruptive action, skip or skipAfter; SecDefaultAction has a phase and no id/chain/skip.
//
// Anything else — an unknown directive, variable, operator, action or transformation, a
// malformed quote, a chain left open at the end of a file — is an error at file:line
// ("REQUEST-942-APPLICATION-ATTACK-SQLI.conf:123: unknown operator @foo"). Vocabulary the reader
// knows but the engine does not evaluate (the @rbl and @geoLookup operators, persistent
// collections) is accepted here and reported by the engine at compile time, with file:line.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/managed/transform.h"

namespace shipgate::managed {

struct SourceLocation {
  std::string file;  // as given to the reader (the engine passes the file's base name)
  int line = 0;      // 1-based line where the directive starts
  std::string toString() const;  // "file:line"
};

// Variables (targets). Collections have elements (name, value); scalars have one value whose
// name is the variable's own name. Names are matched case-insensitively when read.
enum class Var : uint8_t {
  // Request collections
  kArgs, kArgsGet, kArgsPost, kArgsNames, kArgsGetNames, kArgsPostNames,
  kRequestHeaders, kRequestHeadersNames, kRequestCookies, kRequestCookiesNames,
  kFiles, kFilesNames, kFilesSizes, kMultipartPartHeaders, kXml,
  // Engine collections (TX is the transaction's variables; IP, GLOBAL, SESSION, USER, RESOURCE
  // are ModSecurity's persistent collections: per-transaction here, see the engine's report)
  kTx, kIp, kGlobal, kSession, kUser, kResource, kGeo, kEnv, kRule,
  kMatchedVars, kMatchedVarsNames,
  // Request scalars
  kRequestUri, kRequestUriRaw, kRequestFilename, kRequestBasename, kRequestLine,
  kRequestMethod, kRequestProtocol, kRequestBody, kRequestBodyLength, kQueryString,
  kArgsCombinedSize, kFilesCombinedSize, kReqbodyProcessor, kReqbodyError,
  kReqbodyErrorMsg, kMultipartStrictError, kMultipartUnmatchedBoundary,
  kRemoteAddr, kRemotePort, kServerName, kServerPort, kUniqueId, kDuration,
  kMatchedVar, kMatchedVarName,
  // Response (phases 3 and 4)
  kResponseBody, kResponseStatus, kResponseHeaders, kResponseHeadersNames,
};

// "ARGS" -> kArgs (case-insensitive); nullopt when unknown.
std::optional<Var> parseVar(std::string_view name);
std::string_view varName(Var v);  // "ARGS"
bool isCollection(Var v);

// One entry of a rule's target list: ARGS, ARGS:id, ARGS:/^id_/, !ARGS:foo, &ARGS, XML:/*.
struct Target {
  Var var = Var::kArgs;
  std::string selector;        // "" = every element; else the key (as written) or the regex
  bool selector_is_regex = false;  // ARGS:/regex/ (slashes stripped)
  bool count = false;          // &VAR: the number of (selected) elements
  bool exclude = false;        // !VAR:key — removes matching elements from the rule's targets
};

// The operator, as written: "@rx ^a", "!@pm a b", a bare "^a" (= @rx ^a).
struct Operator {
  std::string name = "rx";  // lower-case, without '@': rx pm pmfromfile streq contains ...
  bool negated = false;     // "!@..."
  std::string param;        // raw parameter text; may hold %{macros} (the engine expands them)
};

// setvar:'tx.a=+%{tx.b}' / setvar:!tx.a / setvar:tx.a (=1).
struct SetVar {
  enum class Op : uint8_t { kSet, kAdd, kSubtract, kDelete };
  Op op = Op::kSet;
  std::string collection;  // lower-case: "tx", "ip", ...
  std::string name;        // may hold %{macros}
  std::string value;       // may hold %{macros}; "1" when omitted
};

// ctl:name=value, e.g. ctl:ruleRemoveTargetById=942100;ARGS:password,
// ctl:ruleRemoveById=920420, ctl:ruleEngine=Off, ctl:requestBodyProcessor=JSON.
struct Ctl {
  std::string name;   // as written ("ruleRemoveTargetById")
  std::string value;  // after '=' (may hold %{macros})
};

enum class Disruptive : uint8_t { kNone, kPass, kBlock, kDeny, kDrop, kAllow, kRedirect };

// The actions of one rule (or SecAction / SecDefaultAction), typed. Unknown actions are errors;
// known metadata without effect here (ver, rev, maturity, accuracy, auditlog...) is accepted.
struct Actions {
  std::optional<int64_t> id;
  std::optional<int> phase;  // 1..5 ("request" = 2, "response" = 4, "logging" = 5)
  std::vector<Transform> transforms;  // in order; kNone entries kept (they clear the default)
  Disruptive disruptive = Disruptive::kNone;
  std::optional<int> status;  // status:403
  bool chain = false;
  bool capture = false;
  bool multi_match = false;
  std::optional<bool> log;       // log / nolog (nullopt = not said)
  std::optional<bool> auditlog;  // auditlog / noauditlog
  std::string msg;      // may hold macros
  std::string logdata;  // may hold macros
  std::optional<std::string> severity;  // "CRITICAL", "2"... as written
  std::vector<std::string> tags;
  std::string skip_after;  // skipAfter:MARKER
  int skip = 0;            // skip:N
  std::vector<SetVar> setvars;
  std::vector<Ctl> ctls;
  // initcol, expirevar, ver, ... (name, value as written, unquoted). Also the parameters of
  // disruptive actions: ("redirect", URL) and ("allow", "phase"|"request") for allow:phase.
  std::vector<std::pair<std::string, std::string>> other;
};

struct Rule;

enum class DirectiveKind : uint8_t {
  kRule,                // SecRule (with its chain)
  kAction,              // SecAction
  kMarker,              // SecMarker NAME
  kDefaultAction,       // SecDefaultAction "phase:N,..."
  kRemoveById,          // SecRuleRemoveById 1 2 3-5
  kRemoveByTag,         // SecRuleRemoveByTag regex
  kUpdateTargetById,    // SecRuleUpdateTargetById ID "!ARGS:foo|..."
  kUpdateTargetByTag,   // SecRuleUpdateTargetByTag TAG "!ARGS:foo"
  kUpdateActionById,    // SecRuleUpdateActionById ID "actions"
  kSetting,             // SecRuleEngine On, SecComponentSignature "...", ...
};

// A SecRule: targets, operator, actions; `chained` holds the next rule of a chain (its actions
// may only be the ones ModSecurity allows in chained rules: transforms, setvar, capture, ctl...).
struct Rule {
  SourceLocation where;
  std::vector<Target> targets;  // empty for SecAction
  Operator op;                  // name "unconditionalmatch" for SecAction
  Actions actions;
  std::unique_ptr<Rule> chained;
};

// Id ranges for SecRuleRemoveById and ctl:ruleRemoveById ("942100", "942100-942199").
struct IdRange {
  int64_t first = 0;
  int64_t last = 0;
  bool contains(int64_t id) const { return id >= first && id <= last; }
};

struct Directive {
  DirectiveKind kind = DirectiveKind::kSetting;
  SourceLocation where;
  std::unique_ptr<Rule> rule;      // kRule, kAction, kDefaultAction (actions only)
  std::string name;                // kMarker: marker; kSetting: directive name; kRemoveByTag /
                                   // kUpdateTargetByTag: the tag (regex as written)
  std::string value;               // kSetting: its argument(s) as written
  std::vector<IdRange> ids;        // kRemoveById, kUpdateTargetById, kUpdateActionById
  std::vector<Target> targets;     // kUpdateTargetBy*: the target changes ("!ARGS:foo")
  std::optional<Actions> actions;  // kUpdateActionById
};

// Reads one file's text. `file_name` names it in errors. On error, the Status message is
// "file:line: what" (the first error; reading stops there).
Result<std::vector<Directive>> parseSecLang(std::string_view text, std::string_view file_name);

// Parses a target list ("ARGS|!ARGS:foo|&TX:x"), for exclusions given in shipgate's own config.
Result<std::vector<Target>> parseTargets(std::string_view text);
// Parses "942100", "942100-942199", or several separated by spaces/commas.
Result<std::vector<IdRange>> parseIdRanges(std::string_view text);
// Parses an action list ("id:1,phase:2,t:none,pass"), for SecAction-style config and tests.
Result<Actions> parseActions(std::string_view text);

// The model back to SecRule text that parseSecLang reads to the same model (one directive per
// line, every argument double-quoted, action values single-quoted, chained rules indented):
// print(parse(print(parse(x)))) == print(parse(x)). Locations are not printed.
std::string printSecLang(const std::vector<Directive>& directives);
std::string printTargets(const std::vector<Target>& targets);  // "ARGS|!ARGS:foo|&TX:x"
std::string printActions(const Actions& actions);              // "id:1,phase:2,pass,..."

// A *.data file for @pmFromFile / @ipMatchFromFile: one phrase per line, '#' comments and blank
// lines skipped, surrounding whitespace trimmed.
std::vector<std::string> parseDataFile(std::string_view text);

}  // namespace shipgate::managed
