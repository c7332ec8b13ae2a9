// The SecRule reader on small texts: logical lines, quoting, targets, operators, every typed
// action, chains, the other directives, and errors located at file:line.
#include "shipgate/managed/seclang.h"

#include <gtest/gtest.h>

namespace shipgate::managed {
namespace {

std::vector<Directive> parseOk(std::string_view text) {
  auto r = parseSecLang(text, "t.conf");
  EXPECT_TRUE(r.isOk()) << r.status().message();
  if (!r.isOk()) return {};
  return std::move(r.value());
}

std::string parseErr(std::string_view text) {
  auto r = parseSecLang(text, "t.conf");
  EXPECT_FALSE(r.isOk());
  return r.isOk() ? "" : r.status().message();
}

TEST(SecLang, ContinuationsCommentsAndLineNumbers) {
  auto d = parseOk(
      "# a comment\n"
      "   # an indented comment\n"
      "\n"
      "SecRule ARGS \"@rx a\" \\\n"
      "    \"id:1,\\\n"
      "    phase:2,\\\n"
      "    pass\"\r\n"
      "\n"
      "SecMarker \"END-X\"\n"
      "SecMarker END-Y\n"
      "SecAction \\\n  \"id:2,nolog,pass,setvar:tx.x=1\"");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].kind, DirectiveKind::kRule);
  EXPECT_EQ(d[0].where.toString(), "t.conf:4");
  EXPECT_EQ(d[0].rule->actions.id, 1);
  EXPECT_EQ(d[0].rule->actions.phase, 2);
  EXPECT_EQ(d[0].rule->actions.disruptive, Disruptive::kPass);
  EXPECT_EQ(d[1].kind, DirectiveKind::kMarker);
  EXPECT_EQ(d[1].name, "END-X");
  EXPECT_EQ(d[1].where.line, 9);
  EXPECT_EQ(d[2].name, "END-Y");
  EXPECT_EQ(d[3].kind, DirectiveKind::kAction);
  EXPECT_EQ(d[3].where.line, 11);
  EXPECT_EQ(d[3].rule->op.name, "unconditionalmatch");
  EXPECT_TRUE(d[3].rule->targets.empty());
  EXPECT_EQ(d[3].rule->actions.log, false);
}

TEST(SecLang, DoubleQuotesKeepRegexBackslashes) {
  auto d = parseOk(R"(SecRule ARGS "@rx \d+\"x\\\\y[\\/]\w" "id:1")");
  ASSERT_EQ(d.size(), 1u);
  // \" is a quote, \\ one backslash, any other backslash as written.
  EXPECT_EQ(d[0].rule->op.param, R"(\d+"x\\y[\/]\w)");
  auto e = parseOk(R"x(SecRule REQUEST_HEADERS:Content-Type "@rx charset\s*=\s*[\"']?([^;\"'\s]+)" "id:2")x");
  EXPECT_EQ(e[0].rule->op.param, R"x(charset\s*=\s*["']?([^;"'\s]+))x");
}

TEST(SecLang, Operators) {
  auto op = [](std::string_view text) {
    auto d = parseOk("SecRule ARGS \"" + std::string(text) + "\" \"id:1\"");
    return d.empty() ? Operator{} : d[0].rule->op;
  };
  Operator o = op("^abc$");
  EXPECT_EQ(o.name, "rx");
  EXPECT_EQ(o.param, "^abc$");
  EXPECT_FALSE(o.negated);
  o = op("!@rx ^a");
  EXPECT_TRUE(o.negated);
  EXPECT_EQ(o.name, "rx");
  EXPECT_EQ(o.param, "^a");
  o = op("!^a");
  EXPECT_TRUE(o.negated);
  EXPECT_EQ(o.param, "^a");
  o = op("@pmFromFile   lfi-os-files.data");
  EXPECT_EQ(o.name, "pmfromfile");
  EXPECT_EQ(o.param, "lfi-os-files.data");
  o = op("@detectSQLi");
  EXPECT_EQ(o.name, "detectsqli");
  EXPECT_EQ(o.param, "");
  o = op("@within %{tx.allowed_methods}");
  EXPECT_EQ(o.name, "within");
  EXPECT_EQ(o.param, "%{tx.allowed_methods}");
  o = op("@validateByteRange 1-255");
  EXPECT_EQ(o.name, "validatebyterange");
  o = op("@rbl sbl-xbl.spamhaus.org");
  EXPECT_EQ(o.name, "rbl");
  for (const char* n : {"pm", "streq", "contains", "containsWord", "beginsWith", "endsWith", "eq",
                        "ge", "gt", "le", "lt", "ipMatch", "ipMatchFromFile", "ipMatchF",
                        "validateUrlEncoding", "validateUtf8Encoding", "detectXSS", "noMatch",
                        "geoLookup", "strmatch", "validateDTD", "validateSchema", "verifyCC",
                        "inspectFile", "fuzzyHash", "gsbLookup", "rsub", "pmf"}) {
    EXPECT_FALSE(op(std::string("@") + n + " x").name.empty()) << n;
  }
}

TEST(SecLang, Targets) {
  auto t = parseTargets(
      "ARGS|!ARGS:foo|&TX:x|REQUEST_HEADERS:User-Agent|ARGS:/^id_(a|b)/|XML:/*|"
      "REQUEST_COOKIES:'/^x|y/'|request_cookies_names|!REQUEST_COOKIES:/__utm/");
  ASSERT_TRUE(t.isOk()) << t.status().message();
  ASSERT_EQ(t->size(), 9u);
  const auto& v = t.value();
  EXPECT_EQ(v[0].var, Var::kArgs);
  EXPECT_EQ(v[0].selector, "");
  EXPECT_TRUE(v[1].exclude);
  EXPECT_EQ(v[1].selector, "foo");
  EXPECT_FALSE(v[1].selector_is_regex);
  EXPECT_TRUE(v[2].count);
  EXPECT_EQ(v[2].var, Var::kTx);
  EXPECT_EQ(v[2].selector, "x");
  EXPECT_EQ(v[3].var, Var::kRequestHeaders);
  EXPECT_EQ(v[3].selector, "User-Agent");
  EXPECT_TRUE(v[4].selector_is_regex);
  EXPECT_EQ(v[4].selector, "^id_(a|b)");
  EXPECT_EQ(v[5].var, Var::kXml);
  EXPECT_EQ(v[5].selector, "/*");
  EXPECT_FALSE(v[5].selector_is_regex);
  EXPECT_TRUE(v[6].selector_is_regex);
  EXPECT_EQ(v[6].selector, "^x|y");
  EXPECT_EQ(v[7].var, Var::kRequestCookiesNames);
  EXPECT_TRUE(v[8].exclude);
  EXPECT_TRUE(v[8].selector_is_regex);
  EXPECT_EQ(v[8].selector, "__utm");

  EXPECT_EQ(parseVar("request_headers"), Var::kRequestHeaders);
  EXPECT_EQ(parseVar("REQBODY_PROCESSOR_ERROR"), Var::kReqbodyError);
  EXPECT_EQ(parseVar("NOPE"), std::nullopt);
  EXPECT_EQ(varName(Var::kRequestFilename), "REQUEST_FILENAME");
  EXPECT_TRUE(isCollection(Var::kArgs));
  EXPECT_FALSE(isCollection(Var::kQueryString));
  // Every Var has a name that parses back to it.
  for (int i = 0; i <= static_cast<int>(Var::kResponseHeadersNames); ++i) {
    auto v2 = static_cast<Var>(i);
    EXPECT_EQ(parseVar(varName(v2)), v2) << i;
  }

  EXPECT_EQ(parseTargets("ARGS|NOPE").status().message(), "unknown variable NOPE");
  EXPECT_FALSE(parseTargets("").isOk());
  EXPECT_FALSE(parseTargets("ARGS|").isOk());
  EXPECT_FALSE(parseTargets("ARGS:'abc").isOk());
  EXPECT_FALSE(parseTargets("!ARGS").isOk());
  EXPECT_FALSE(parseTargets("QUERY_STRING:x").isOk());
}

TEST(SecLang, ActionsTyped) {
  auto a = parseActions(
      "id:942100,phase:request,block,capture,t:none,t:utf8toUnicode,t:urlDecodeUni,"
      "t:base64decode,t:normalizePath,"
      "msg:'SQL Injection Attack Detected via libinjection',"
      "logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}',"
      "tag:'application-multi',tag:'paranoia-level/1',ver:'OWASP_CRS/3.3.4',severity:'CRITICAL',"
      "multiMatch,nolog,auditlog,status:403,skipAfter:END-X,"
      "setvar:'tx.sql_injection_score=+%{tx.critical_anomaly_score}',"
      "setvar:'tx.anomaly_score_pl1=-5',setvar:!tx.gone,setvar:tx.flag,"
      "setvar:'tx.%{rule.id}-OWASP_CRS/WEB_ATTACK/SQL_INJECTION-%{MATCHED_VAR_NAME}=%{tx.0}',"
      "setvar:'tx.allowed_methods=%{tx.allowed_methods} PUT DELETE',"
      "ctl:ruleRemoveTargetById=942100;ARGS:password,ctl:ruleRemoveById=920000-920999,"
      "ctl:ruleEngine=Off,ctl:requestBodyProcessor=JSON,"
      "maturity:9,accuracy:9,rev:2,expirevar:'ip.x=60',initcol:'ip=%{remote_addr}'");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->id, 942100);
  EXPECT_EQ(a->phase, 2);
  EXPECT_EQ(a->disruptive, Disruptive::kBlock);
  EXPECT_TRUE(a->capture);
  EXPECT_TRUE(a->multi_match);
  EXPECT_EQ(a->log, false);
  EXPECT_EQ(a->auditlog, true);
  EXPECT_EQ(a->status, 403);
  EXPECT_EQ(a->skip_after, "END-X");
  ASSERT_EQ(a->transforms.size(), 5u);
  EXPECT_EQ(a->transforms[0], Transform::kNone);
  EXPECT_EQ(a->transforms[1], Transform::kUtf8ToUnicode);
  EXPECT_EQ(a->transforms[2], Transform::kUrlDecodeUni);
  EXPECT_EQ(a->transforms[3], Transform::kBase64Decode);
  EXPECT_EQ(a->transforms[4], Transform::kNormalisePath);
  EXPECT_EQ(a->msg, "SQL Injection Attack Detected via libinjection");
  EXPECT_EQ(a->logdata, "Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}");
  EXPECT_EQ(a->tags, (std::vector<std::string>{"application-multi", "paranoia-level/1"}));
  EXPECT_EQ(a->severity, "CRITICAL");
  ASSERT_EQ(a->setvars.size(), 6u);
  EXPECT_EQ(a->setvars[0].op, SetVar::Op::kAdd);
  EXPECT_EQ(a->setvars[0].collection, "tx");
  EXPECT_EQ(a->setvars[0].name, "sql_injection_score");
  EXPECT_EQ(a->setvars[0].value, "%{tx.critical_anomaly_score}");
  EXPECT_EQ(a->setvars[1].op, SetVar::Op::kSubtract);
  EXPECT_EQ(a->setvars[1].value, "5");
  EXPECT_EQ(a->setvars[2].op, SetVar::Op::kDelete);
  EXPECT_EQ(a->setvars[2].name, "gone");
  EXPECT_EQ(a->setvars[3].op, SetVar::Op::kSet);
  EXPECT_EQ(a->setvars[3].value, "1");
  EXPECT_EQ(a->setvars[4].name, "%{rule.id}-OWASP_CRS/WEB_ATTACK/SQL_INJECTION-%{MATCHED_VAR_NAME}");
  EXPECT_EQ(a->setvars[4].value, "%{tx.0}");
  EXPECT_EQ(a->setvars[5].value, "%{tx.allowed_methods} PUT DELETE");
  ASSERT_EQ(a->ctls.size(), 4u);
  EXPECT_EQ(a->ctls[0].name, "ruleRemoveTargetById");
  EXPECT_EQ(a->ctls[0].value, "942100;ARGS:password");
  EXPECT_EQ(a->ctls[1].value, "920000-920999");
  EXPECT_EQ(a->ctls[2].name, "ruleEngine");
  EXPECT_EQ(a->ctls[3].value, "JSON");
  ASSERT_EQ(a->other.size(), 6u);
  EXPECT_EQ(a->other[0], (std::pair<std::string, std::string>{"ver", "OWASP_CRS/3.3.4"}));
  EXPECT_EQ(a->other[4], (std::pair<std::string, std::string>{"expirevar", "ip.x=60"}));
  EXPECT_EQ(a->other[5], (std::pair<std::string, std::string>{"initcol", "ip=%{remote_addr}"}));

  // Quotes: a comma inside '...' does not split, \' is a quote.
  auto q = parseActions("id:5,msg:'a, b \\'c\\' d',pass");
  ASSERT_TRUE(q.isOk()) << q.status().message();
  EXPECT_EQ(q->msg, "a, b 'c' d");
  EXPECT_EQ(q->disruptive, Disruptive::kPass);

  // Phases by name and number; each disruptive action.
  EXPECT_EQ(parseActions("phase:response")->phase, 4);
  EXPECT_EQ(parseActions("phase:logging")->phase, 5);
  EXPECT_EQ(parseActions("phase:1")->phase, 1);
  EXPECT_EQ(parseActions("deny")->disruptive, Disruptive::kDeny);
  EXPECT_EQ(parseActions("drop")->disruptive, Disruptive::kDrop);
  EXPECT_EQ(parseActions("allow")->disruptive, Disruptive::kAllow);
  EXPECT_EQ(parseActions("redirect:'http://x/'")->disruptive, Disruptive::kRedirect);
  EXPECT_EQ(parseActions("skip:2")->skip, 2);
  EXPECT_EQ(parseActions("severity:2")->severity, "2");
}

TEST(SecLang, ActionErrors) {
  auto err = [](std::string_view t) {
    auto a = parseActions(t);
    EXPECT_FALSE(a.isOk()) << t;
    return a.isOk() ? "" : a.status().message();
  };
  EXPECT_EQ(err("id:1,frobnicate"), "unknown action frobnicate");
  EXPECT_EQ(err("t:noSuchThing"), "unknown transformation t:noSuchThing");
  EXPECT_EQ(err("ID:1"), "unknown action ID");  // action names are case-sensitive
  EXPECT_EQ(err("ctl:ruleFoo=1"), "unknown ctl option ruleFoo");
  EXPECT_EQ(err("phase:9"), "bad phase '9' (1..5, request, response, logging)");
  EXPECT_EQ(err("id:abc"), "bad rule id 'abc' (a positive integer)");
  EXPECT_EQ(err("msg:'open"), "unterminated single quote in action msg");
  EXPECT_EQ(err("setvar:novalue"), "setvar:novalue: expected collection.name (e.g. tx.score)");
  EXPECT_EQ(err("setvar:foo.x=1"), "setvar:foo.x=1: unknown collection foo");
  EXPECT_EQ(err("pass,deny"), "more than one disruptive action (deny)");
  EXPECT_EQ(err("severity:HUGE"), "bad severity 'HUGE' (EMERGENCY..DEBUG or 0..7)");
  EXPECT_EQ(err("status:99"), "bad status '99' (100..599)");
  EXPECT_EQ(err("tag"), "action tag needs a value (tag:text)");
  EXPECT_EQ(err("ctl:ruleEngine"), "ctl:ruleEngine: expected ctl:option=value");
  // ctl: values with a form are checked (unless they hold a macro).
  EXPECT_EQ(err("ctl:ruleEngine=Maybe"),
            "bad value in ctl:ruleEngine=Maybe (expected On, Off or DetectionOnly)");
  EXPECT_EQ(err("ctl:ruleRemoveById=9-1"),
            "ctl:ruleRemoveById=9-1: bad rule id range '9-1' (expected N or N-M with N <= M)");
  EXPECT_EQ(err("ctl:ruleRemoveTargetById=942100"),
            "bad value in ctl:ruleRemoveTargetById=942100 (expected RULE;TARGET)");
  EXPECT_EQ(err("ctl:ruleRemoveTargetById=942100;ARG:x"),
            "ctl:ruleRemoveTargetById=942100;ARG:x: unknown variable ARG");
  EXPECT_EQ(err("ctl:ruleRemoveTargetByTag=attack-sqli;"),
            "ctl:ruleRemoveTargetByTag=attack-sqli;: empty target list");
  EXPECT_EQ(err("ctl:requestBodyProcessor=YAML"),
            "bad value in ctl:requestBodyProcessor=YAML (expected URLENCODED, MULTIPART, XML or "
            "JSON)");
  EXPECT_TRUE(parseActions("ctl:ruleRemoveById=%{tx.id}").isOk());
  EXPECT_TRUE(parseActions("ctl:ruleRemoveTargetByTag=OWASP_CRS;ARGS:pwd").isOk());
  EXPECT_TRUE(parseActions("ctl:ruleEngine=detectiononly").isOk());
  // Macros are closed and name known variables.
  EXPECT_EQ(err("msg:'at %{tx.0'"), "unclosed macro %{ in msg");
  EXPECT_EQ(err("logdata:'%{FOO.bar}'"), "unknown variable in macro %{FOO.bar} in logdata");
  EXPECT_EQ(err("setvar:'tx.a=%{nope}'"), "unknown variable in macro %{nope} in setvar:tx.a=%{nope}");
  EXPECT_TRUE(parseActions("msg:'%{MATCHED_VAR_NAME} %{rule.id} %{request_headers.host}'").isOk());
}

TEST(SecLang, Chains) {
  auto d = parseOk(
      "SecRule REQUEST_METHOD \"@streq POST\" \"id:10,phase:2,block,chain,t:none\"\n"
      "  SecRule &REQUEST_HEADERS:Content-Length \"@eq 0\" \"t:none,chain,capture\"\n"
      "    SecRule TX:0 \"!@rx ^x\" \"setvar:tx.a=+1,ctl:ruleRemoveById=1\"\n"
      "SecRule ARGS \"@rx b\" \"id:11,pass\"\n");
  ASSERT_EQ(d.size(), 2u);
  const Rule& r = *d[0].rule;
  EXPECT_EQ(r.actions.id, 10);
  ASSERT_NE(r.chained, nullptr);
  EXPECT_EQ(r.chained->where.line, 2);
  EXPECT_TRUE(r.chained->targets[0].count);
  EXPECT_EQ(r.chained->op.name, "eq");
  ASSERT_NE(r.chained->chained, nullptr);
  EXPECT_TRUE(r.chained->chained->op.negated);
  EXPECT_EQ(r.chained->chained->actions.setvars.size(), 1u);
  EXPECT_EQ(r.chained->chained->chained, nullptr);
  EXPECT_EQ(d[1].rule->actions.id, 11);
  EXPECT_EQ(d[1].rule->chained, nullptr);
}

TEST(SecLang, OtherDirectives) {
  auto d = parseOk(
      "SecDefaultAction \"phase:2,log,auditlog,pass\"\n"
      "SecComponentSignature \"OWASP_CRS/3.3.4\"\n"
      "SecCollectionTimeout 600\n"
      "secruleengine On\n"
      "SecRuleRemoveById 942100 920000-920999\n"
      "SecRuleRemoveById \"1, 2\"\n"
      "SecRuleRemoveByTag \"attack-sqli\"\n"
      "SecRuleUpdateTargetById 942100 \"!ARGS:password|!REQUEST_COOKIES:/^sess/\"\n"
      "SecRuleUpdateTargetByTag attack-xss !ARGS:body\n"
      "SecRuleUpdateActionById 942100 \"pass,nolog\"\n"
      "SecRequestBodyLimit 13107200\n"
      "SecArgumentSeparator &\n");
  ASSERT_EQ(d.size(), 12u);
  EXPECT_EQ(d[0].kind, DirectiveKind::kDefaultAction);
  EXPECT_EQ(d[0].rule->actions.phase, 2);
  EXPECT_EQ(d[1].kind, DirectiveKind::kSetting);
  EXPECT_EQ(d[1].name, "SecComponentSignature");
  EXPECT_EQ(d[1].value, "OWASP_CRS/3.3.4");
  EXPECT_EQ(d[2].value, "600");
  EXPECT_EQ(d[3].name, "SecRuleEngine");
  EXPECT_EQ(d[3].value, "On");
  EXPECT_EQ(d[4].kind, DirectiveKind::kRemoveById);
  ASSERT_EQ(d[4].ids.size(), 2u);
  EXPECT_TRUE(d[4].ids[1].contains(920500));
  EXPECT_FALSE(d[4].ids[1].contains(921000));
  EXPECT_EQ(d[5].ids.size(), 2u);
  EXPECT_EQ(d[6].kind, DirectiveKind::kRemoveByTag);
  EXPECT_EQ(d[6].name, "attack-sqli");
  EXPECT_EQ(d[7].kind, DirectiveKind::kUpdateTargetById);
  ASSERT_EQ(d[7].targets.size(), 2u);
  EXPECT_TRUE(d[7].targets[1].exclude);
  EXPECT_TRUE(d[7].targets[1].selector_is_regex);
  EXPECT_EQ(d[8].kind, DirectiveKind::kUpdateTargetByTag);
  EXPECT_EQ(d[8].name, "attack-xss");
  EXPECT_EQ(d[8].targets[0].selector, "body");
  EXPECT_EQ(d[9].kind, DirectiveKind::kUpdateActionById);
  ASSERT_TRUE(d[9].actions.has_value());
  EXPECT_EQ(d[9].actions->disruptive, Disruptive::kPass);
  EXPECT_EQ(d[10].value, "13107200");
  EXPECT_EQ(d[11].value, "&");
}

// print(parse(x)) reads back to a model that prints the same, for every tricky form.
TEST(SecLang, PrintReadsBack) {
  const char* texts[] = {
      R"x(SecRule "ARGS|!ARGS:foo|&TX:x|ARGS:/^id_(a|b)/|XML:/*|REQUEST_COOKIES:'/^x/|y/'|ARGS:' sp '|ARGS:'a|b'" "!@rx \d+\"x\\\\y" "id:1,phase:2,block,t:none,t:urlDecodeUni,msg:'a, \'b\' \\c',setvar:tx.a=+1,setvar:!tx.b,setvar:tx.c,ctl:ruleRemoveTargetById=1;ARGS:x,ver:'v',sanitiseMatched,chain"
  SecRule TX:0 "@within %{tx.allowed}" "t:lowercase,capture"
)x",
      R"x(SecAction "id:2,phase:1,nolog,pass,setvar:'tx.x=%{tx.y} PUT'"
SecDefaultAction "phase:2,log,auditlog,pass"
SecMarker END
SecRuleRemoveById 1 5-9
SecRuleRemoveByTag attack-sqli
SecRuleUpdateTargetById 3 "!ARGS:p|!REQUEST_COOKIES:/^s/"
SecRuleUpdateTargetByTag t !ARGS:q
SecRuleUpdateActionById 4 "deny,status:403"
SecRuleEngine On
SecRule ARGS "@rx a" "id:5,redirect:'http://x/'"
SecRule ARGS "@rx a" "id:6,allow:phase"
)x",
  };
  for (const char* t : texts) {
    auto d = parseSecLang(t, "t.conf");
    ASSERT_TRUE(d.isOk()) << d.status().message();
    std::string printed = printSecLang(d.value());
    auto again = parseSecLang(printed, "p.conf");
    ASSERT_TRUE(again.isOk()) << again.status().message() << "\n" << printed;
    EXPECT_EQ(again->size(), d->size());
    EXPECT_EQ(printSecLang(again.value()), printed);
  }
  auto d = parseOk(R"x(SecRule ARGS:'a|b'|ARGS:/x/|XML:/* "@rx a\d" "id:1,msg:'it\'s',pass")x");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(printSecLang(d),
            R"x(SecRule "ARGS:'a|b'|ARGS:/x/|XML:/*" "@rx a\\d" "id:1,pass,msg:'it\\'s'")x" "\n");
}

TEST(SecLang, IdRanges) {
  auto r = parseIdRanges("942100, 942200-942299 1");
  ASSERT_TRUE(r.isOk());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(r.value()[1].first, 942200);
  EXPECT_EQ(r.value()[1].last, 942299);
  EXPECT_EQ(parseIdRanges("5-3").status().message(),
            "bad rule id range '5-3' (expected N or N-M with N <= M)");
  EXPECT_FALSE(parseIdRanges("abc").isOk());
  EXPECT_FALSE(parseIdRanges("").isOk());
  EXPECT_FALSE(parseIdRanges("1-").isOk());
  EXPECT_FALSE(parseIdRanges("-4").isOk());
}

TEST(SecLang, ErrorsAreLocated) {
  EXPECT_EQ(parseErr("\n\nSecFooBar On\n"), "t.conf:3: unknown directive SecFooBar");
  EXPECT_EQ(parseErr("# x\nSecRule ARGS \"@foo x\" \"id:1\""), "t.conf:2: unknown operator @foo");
  EXPECT_EQ(parseErr("SecRule ARGS \"@rx x \"id:1\""),
            "t.conf:1: unexpected text after a closing double quote: 'id:1\"'");
  EXPECT_EQ(parseErr("SecRule ARGS \"@rx x\" \"id:1\nSecMarker A\n"),
            "t.conf:1: unterminated double quote");
  EXPECT_EQ(parseErr("SecRule ARGS \"@rx x\" \"id:1,msg:'x\"\n"),
            "t.conf:1: unterminated single quote in action msg");
  EXPECT_EQ(parseErr("SecRule ARGS \"@rx a\" \"id:1,chain\"\n\n"),
            "t.conf:1: rule chain left open at end of file (the last rule has 'chain')");
  EXPECT_EQ(parseErr("SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecMarker X\n"),
            "t.conf:2: a rule with 'chain' (line 1) must be followed by a SecRule, not SecMarker");
  EXPECT_EQ(parseErr("SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule ARGS \"b\" \"id:2\"\n"),
            "t.conf:2: a chained rule may not hold id, phase, a disruptive action, skip or "
            "skipAfter (they belong to the chain's first rule)");
  EXPECT_EQ(parseErr("SecRuleRemoveById 10-1\n"),
            "t.conf:1: bad rule id range '10-1' (expected N or N-M with N <= M)");
  EXPECT_EQ(parseErr("SecRule ARGS \"@rx a\" \"phase:2\"\n"), "t.conf:1: rule has no id action");
  EXPECT_EQ(parseErr("SecRule FOO \"@rx a\" \"id:1\"\n"), "t.conf:1: unknown variable FOO");
  EXPECT_EQ(parseErr("SecRule ARGS \"@rx a\" \"id:1,t:bogus\"\n"),
            "t.conf:1: unknown transformation t:bogus");
  EXPECT_EQ(parseErr("SecRule ARGS\n"),
            "t.conf:1: SecRule takes VARIABLES \"OPERATOR\" [\"ACTIONS\"], got 1 argument(s)");
  EXPECT_EQ(parseErr("SecDefaultAction \"log,pass\"\n"),
            "t.conf:1: SecDefaultAction needs a phase");
  EXPECT_EQ(parseErr("SecRuleUpdateTargetById 1 ARGS ARGS:x\n"),
            "t.conf:1: SecRuleUpdateTargetById with a replacement target (third argument) is not "
            "supported");
  EXPECT_EQ(parseErr("SecAction \"id:3,chain\"\n"), "t.conf:1: SecAction cannot start a chain");
  EXPECT_EQ(parseErr("SecRule ARGS \"@within %{tx.allowed\" \"id:4\"\n"),
            "t.conf:1: unclosed macro %{ in operator");
  EXPECT_EQ(parseErr("\nSecRule ARGS \"@rx a\" \"id:5,ctl:ruleRemoveTargetById=1;NOPE\"\n"),
            "t.conf:2: ctl:ruleRemoveTargetById=1;NOPE: unknown variable NOPE");
}

}  // namespace
}  // namespace shipgate::managed
