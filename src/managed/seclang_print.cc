// The SecRule printer: the typed model back to text the reader reads to the same model. Every
// argument is double-quoted (with " and backslash escaped), every action value single-quoted
// (with ' and backslash escaped), one directive per line, chained rules indented under their
// starter.
#include <string>

#include "seclang_impl.h"
#include "shipgate/common/strings.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::managed {
namespace {

std::string dquote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string squote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

void action(std::string& out, std::string_view name, std::string_view value, bool quote = true) {
  if (!out.empty()) out += ',';
  out += name;
  out += ':';
  out += quote ? squote(value) : std::string(value);
}

void flag(std::string& out, std::string_view name) {
  if (!out.empty()) out += ',';
  out += name;
}

std::string setvarText(const SetVar& sv) {
  std::string lhs = sv.collection + "." + sv.name;
  switch (sv.op) {
    case SetVar::Op::kDelete:
      return "!" + lhs;
    case SetVar::Op::kAdd:
      return lhs + "=+" + sv.value;
    case SetVar::Op::kSubtract:
      return lhs + "=-" + sv.value;
    case SetVar::Op::kSet:
      break;
  }
  return lhs + "=" + sv.value;
}

std::string idsText(const std::vector<IdRange>& ids) {
  std::string out;
  for (const IdRange& r : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.first);
    if (r.last != r.first) out += "-" + std::to_string(r.last);
  }
  return out;
}

std::string ruleText(const Rule& r, bool is_action, int depth) {
  std::string out(static_cast<size_t>(depth) * 2, ' ');
  if (is_action) {
    out += "SecAction " + dquote(printActions(r.actions));
  } else {
    std::string op = r.op.negated ? "!@" : "@";
    op += r.op.name;
    if (!r.op.param.empty()) op += " " + r.op.param;
    out += "SecRule " + dquote(printTargets(r.targets)) + " " + dquote(op) + " " +
           dquote(printActions(r.actions));
  }
  out += '\n';
  if (r.chained) out += ruleText(*r.chained, false, depth + 1);
  return out;
}

}  // namespace

std::string printTargets(const std::vector<Target>& targets) {
  std::string out;
  for (const Target& t : targets) {
    if (!out.empty()) out += '|';
    if (t.exclude) out += '!';
    if (t.count) out += '&';
    out += varName(t.var);
    if (t.selector.empty()) continue;
    out += ':';
    std::string sel = t.selector_is_regex ? "/" + t.selector + "/" : t.selector;
    // Quoted where the bare form would read differently: a '|' that would end the target (for
    // a /regex/, a "/|" that would end it early), or whitespace the reader would trim.
    bool quote = t.var != Var::kXml &&
                 (t.selector.find(t.selector_is_regex ? "/|" : "|") != std::string::npos ||
                  isAsciiSpace(sel.front()) || isAsciiSpace(sel.back()));
    out += quote ? "'" + sel + "'" : sel;
  }
  return out;
}

std::string printActions(const Actions& a) {
  std::string out;
  if (a.id) action(out, "id", std::to_string(*a.id), false);
  if (a.phase) action(out, "phase", std::to_string(*a.phase), false);
  switch (a.disruptive) {
    case Disruptive::kNone:
      break;
    case Disruptive::kPass:
      flag(out, "pass");
      break;
    case Disruptive::kBlock:
      flag(out, "block");
      break;
    case Disruptive::kDeny:
      flag(out, "deny");
      break;
    case Disruptive::kDrop:
      flag(out, "drop");
      break;
    case Disruptive::kAllow:
    case Disruptive::kRedirect: {
      std::string_view name = a.disruptive == Disruptive::kAllow ? "allow" : "redirect";
      bool said = false;
      for (const auto& [k, v] : a.other) {
        if (k == name) {
          action(out, name, v);
          said = true;
          break;
        }
      }
      if (!said) flag(out, name);
      break;
    }
  }
  if (a.status) action(out, "status", std::to_string(*a.status), false);
  for (Transform t : a.transforms) action(out, "t", transformName(t), false);
  if (a.chain) flag(out, "chain");
  if (a.capture) flag(out, "capture");
  if (a.multi_match) flag(out, "multiMatch");
  if (a.log) flag(out, *a.log ? "log" : "nolog");
  if (a.auditlog) flag(out, *a.auditlog ? "auditlog" : "noauditlog");
  if (!a.msg.empty()) action(out, "msg", a.msg);
  if (!a.logdata.empty()) action(out, "logdata", a.logdata);
  if (a.severity) action(out, "severity", *a.severity);
  for (const auto& t : a.tags) action(out, "tag", t);
  if (!a.skip_after.empty()) action(out, "skipAfter", a.skip_after);
  if (a.skip != 0) action(out, "skip", std::to_string(a.skip), false);
  for (const auto& sv : a.setvars) action(out, "setvar", setvarText(sv));
  for (const auto& c : a.ctls) action(out, "ctl", c.name + "=" + c.value);
  for (const auto& [k, v] : a.other) {
    if (k == "allow" || k == "redirect") continue;  // printed with the disruptive action
    if (v.empty()) {
      flag(out, k);
    } else {
      action(out, k, v);
    }
  }
  return out;
}

std::string printSecLang(const std::vector<Directive>& directives) {
  std::string out;
  for (const Directive& d : directives) {
    switch (d.kind) {
      case DirectiveKind::kRule:
      case DirectiveKind::kAction:
        if (d.rule) out += ruleText(*d.rule, d.kind == DirectiveKind::kAction, 0);
        break;
      case DirectiveKind::kDefaultAction:
        if (d.rule) out += "SecDefaultAction " + dquote(printActions(d.rule->actions)) + "\n";
        break;
      case DirectiveKind::kMarker:
        out += "SecMarker " + dquote(d.name) + "\n";
        break;
      case DirectiveKind::kRemoveById:
        out += "SecRuleRemoveById " + dquote(idsText(d.ids)) + "\n";
        break;
      case DirectiveKind::kRemoveByTag:
        out += "SecRuleRemoveByTag " + dquote(d.name) + "\n";
        break;
      case DirectiveKind::kUpdateTargetById:
        out += "SecRuleUpdateTargetById " + dquote(idsText(d.ids)) + " " +
               dquote(printTargets(d.targets)) + "\n";
        break;
      case DirectiveKind::kUpdateTargetByTag:
        out += "SecRuleUpdateTargetByTag " + dquote(d.name) + " " +
               dquote(printTargets(d.targets)) + "\n";
        break;
      case DirectiveKind::kUpdateActionById:
        out += "SecRuleUpdateActionById " + dquote(idsText(d.ids)) + " " +
               dquote(d.actions ? printActions(*d.actions) : std::string()) + "\n";
        break;
      case DirectiveKind::kSetting:
        out += d.name + " " + dquote(d.value) + "\n";
        break;
    }
  }
  return out;
}

}  // namespace shipgate::managed
