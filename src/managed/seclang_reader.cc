// The SecRule directive reader: logical lines (`\` continuation, '#' comments), arguments
// (double-quoted or bare), directives, and rule chains. The vocabulary (variables, operators,
// actions) is in seclang.cc.
//
// Quoting follows Apache httpd's configuration reader, which the CRS is written for: inside
// "...", \" is a quote and \\ one backslash; every other backslash is kept as written (a regex's
// \d reaches the engine as \d). A bare argument ends at whitespace; \\ in it is one backslash.
#include <string>
#include <utility>

#include "seclang_impl.h"
#include "shipgate/common/strings.h"
#include "shipgate/managed/seclang.h"

namespace shipgate::managed {
namespace {

// Settings kept as (name, value) for the engine, in canonical spelling.
constexpr std::string_view kSettings[] = {
    "SecRuleEngine",           "SecRequestBodyAccess",      "SecRequestBodyLimit",
    "SecRequestBodyNoFilesLimit", "SecRequestBodyLimitAction", "SecRequestBodyInMemoryLimit",
    "SecRequestBodyJsonDepthLimit", "SecArgumentsLimit",    "SecArgumentSeparator",
    "SecPcreMatchLimit",       "SecPcreMatchLimitRecursion", "SecComponentSignature",
    "SecCollectionTimeout",    "SecResponseBodyAccess",     "SecResponseBodyMimeType",
    "SecResponseBodyLimit",    "SecResponseBodyLimitAction"};

struct Arg {
  std::string text;
  bool quoted = false;
};

// Splits a logical line into arguments. Error text without location.
Status splitArgs(std::string_view line, std::vector<Arg>& out) {
  size_t i = 0;
  while (true) {
    while (i < line.size() && isAsciiSpace(line[i])) ++i;
    if (i >= line.size()) break;
    Arg a;
    if (line[i] == '"') {
      a.quoted = true;
      size_t j = i + 1;
      bool closed = false;
      for (; j < line.size(); ++j) {
        char c = line[j];
        if (c == '\\' && j + 1 < line.size() && (line[j + 1] == '"' || line[j + 1] == '\\')) {
          a.text.push_back(line[j + 1]);
          ++j;
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          a.text.push_back(c);
        }
      }
      if (!closed) return Status::invalidArgument("unterminated double quote");
      i = j + 1;
      if (i < line.size() && !isAsciiSpace(line[i])) {
        return Status::invalidArgument("unexpected text after a closing double quote: '" +
                                       std::string(line.substr(i, 20)) + "'");
      }
    } else {
      size_t j = i;
      for (; j < line.size() && !isAsciiSpace(line[j]); ++j) {
        if (line[j] == '\\' && j + 1 < line.size() && line[j + 1] == '\\') ++j;
        a.text.push_back(line[j]);
      }
      i = j;
    }
    out.push_back(std::move(a));
  }
  return Status::success();
}

Result<Operator> parseOperator(std::string_view text) {
  Operator op;
  std::string_view s = text;
  while (!s.empty() && isAsciiSpace(s.front())) s.remove_prefix(1);
  if (!s.empty() && s[0] == '!') {
    op.negated = true;
    s.remove_prefix(1);
    while (!s.empty() && isAsciiSpace(s.front())) s.remove_prefix(1);
  }
  if (!s.empty() && s[0] == '@') {
    size_t e = 1;
    while (e < s.size() && !isAsciiSpace(s[e])) ++e;
    std::string_view name = s.substr(1, e - 1);
    if (name.empty()) return Status::invalidArgument("operator name missing after '@'");
    if (!isKnownOperator(name)) {
      return Status::invalidArgument("unknown operator @" + std::string(name));
    }
    op.name = asciiLowerCopy(name);
    s.remove_prefix(e);
    while (!s.empty() && isAsciiSpace(s.front())) s.remove_prefix(1);
  }
  op.param = std::string(s);
  SG_RETURN_IF_ERROR(checkOperatorMacros(op.param));
  return op;
}

class Reader {
 public:
  Reader(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  Result<std::vector<Directive>> run() {
    size_t pos = 0;
    int line_no = 0;
    while (pos < text_.size()) {
      // One logical line: physical lines joined while they end in '\'.
      int start_line = line_no + 1;
      std::string logical;
      bool first = true;
      while (pos < text_.size()) {
        size_t nl = text_.find('\n', pos);
        if (nl == std::string_view::npos) nl = text_.size();
        std::string_view phys = text_.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (!phys.empty() && phys.back() == '\r') phys.remove_suffix(1);
        if (first) {
          std::string_view t = trimAsciiSpace(phys);
          if (t.empty() || t[0] == '#') {
            start_line = line_no + 1;
            continue;  // blank or comment line
          }
          first = false;
        }
        while (!phys.empty() && (phys.back() == ' ' || phys.back() == '\t')) phys.remove_suffix(1);
        if (!phys.empty() && phys.back() == '\\') {
          phys.remove_suffix(1);
          logical.append(phys);
          continue;
        }
        logical.append(phys);
        break;
      }
      if (first) break;  // only blanks/comments left
      SG_RETURN_IF_ERROR(directive(logical, start_line));
    }
    if (open_tail_ != nullptr) {
      return fail(open_tail_->where.line,
                  "rule chain left open at end of file (the last rule has 'chain')");
    }
    return std::move(out_);
  }

 private:
  Status fail(int line, const std::string& what) const {
    return Status::invalidArgument(std::string(file_) + ":" + std::to_string(line) + ": " + what);
  }

  Status directive(std::string_view line, int ln) {
    std::vector<Arg> args;
    Status st = splitArgs(line, args);
    if (!st.isOk()) return fail(ln, st.message());
    if (args.empty()) return Status::success();
    const std::string& dname = args[0].text;
    std::vector<Arg> rest(args.begin() + 1, args.end());
    bool is_rule = equalsIgnoreCase(dname, "SecRule");
    if (open_tail_ != nullptr && !is_rule) {
      return fail(ln, "a rule with 'chain' (line " + std::to_string(open_tail_->where.line) +
                          ") must be followed by a SecRule, not " + dname);
    }
    Directive d;
    d.where = SourceLocation{std::string(file_), ln};
    auto nargs = [&](size_t lo, size_t hi, std::string_view usage) -> Status {
      if (rest.size() < lo || rest.size() > hi) {
        return fail(ln, dname + " takes " + std::string(usage) + ", got " +
                            std::to_string(rest.size()) + " argument(s)");
      }
      return Status::success();
    };
    auto actionsOf = [&](const std::string& text) -> Result<Actions> {
      auto a = parseActions(text);
      if (!a.isOk()) return fail(ln, a.status().message());
      return a;
    };
    if (is_rule) {
      SG_RETURN_IF_ERROR(nargs(2, 3, "VARIABLES \"OPERATOR\" [\"ACTIONS\"]"));
      auto rule = std::make_unique<Rule>();
      rule->where = d.where;
      auto targets = parseTargets(rest[0].text);
      if (!targets.isOk()) return fail(ln, targets.status().message());
      rule->targets = std::move(targets.value());
      auto op = parseOperator(rest[1].text);
      if (!op.isOk()) return fail(ln, op.status().message());
      rule->op = std::move(op.value());
      if (rest.size() == 3) {
        auto a = actionsOf(rest[2].text);
        if (!a.isOk()) return a.status();
        rule->actions = std::move(a.value());
      }
      return addRule(std::move(rule), std::move(d));
    }
    if (equalsIgnoreCase(dname, "SecAction")) {
      SG_RETURN_IF_ERROR(nargs(1, 1, "\"ACTIONS\""));
      auto rule = std::make_unique<Rule>();
      rule->where = d.where;
      rule->op.name = "unconditionalmatch";
      auto a = actionsOf(rest[0].text);
      if (!a.isOk()) return a.status();
      rule->actions = std::move(a.value());
      d.kind = DirectiveKind::kAction;
      return addRule(std::move(rule), std::move(d));
    }
    if (equalsIgnoreCase(dname, "SecDefaultAction")) {
      SG_RETURN_IF_ERROR(nargs(1, 1, "\"ACTIONS\""));
      auto rule = std::make_unique<Rule>();
      rule->where = d.where;
      auto a = actionsOf(rest[0].text);
      if (!a.isOk()) return a.status();
      if (!a->phase) return fail(ln, "SecDefaultAction needs a phase");
      if (a->id || a->chain || !a->skip_after.empty() || a->skip != 0) {
        return fail(ln, "SecDefaultAction may not hold id, chain, skip or skipAfter");
      }
      rule->actions = std::move(a.value());
      d.kind = DirectiveKind::kDefaultAction;
      d.rule = std::move(rule);
      out_.push_back(std::move(d));
      return Status::success();
    }
    if (equalsIgnoreCase(dname, "SecMarker")) {
      SG_RETURN_IF_ERROR(nargs(1, 1, "a marker name"));
      if (rest[0].text.empty()) return fail(ln, "SecMarker needs a non-empty name");
      d.kind = DirectiveKind::kMarker;
      d.name = rest[0].text;
      out_.push_back(std::move(d));
      return Status::success();
    }
    if (equalsIgnoreCase(dname, "SecRuleRemoveById")) {
      SG_RETURN_IF_ERROR(nargs(1, 1000, "rule ids or ranges"));
      std::string all;
      for (const auto& a : rest) all += a.text + " ";
      auto ids = parseIdRanges(all);
      if (!ids.isOk()) return fail(ln, ids.status().message());
      d.kind = DirectiveKind::kRemoveById;
      d.ids = std::move(ids.value());
      out_.push_back(std::move(d));
      return Status::success();
    }
    if (equalsIgnoreCase(dname, "SecRuleRemoveByTag")) {
      SG_RETURN_IF_ERROR(nargs(1, 1, "a tag (regex)"));
      d.kind = DirectiveKind::kRemoveByTag;
      d.name = rest[0].text;
      out_.push_back(std::move(d));
      return Status::success();
    }
    if (equalsIgnoreCase(dname, "SecRuleUpdateTargetById") ||
        equalsIgnoreCase(dname, "SecRuleUpdateTargetByTag")) {
      bool by_id = equalsIgnoreCase(dname, "SecRuleUpdateTargetById");
      if (rest.size() == 3) {
        return fail(ln, dname + " with a replacement target (third argument) is not supported");
      }
      SG_RETURN_IF_ERROR(nargs(2, 2, by_id ? "ID \"TARGETS\"" : "TAG \"TARGETS\""));
      if (by_id) {
        auto ids = parseIdRanges(rest[0].text);
        if (!ids.isOk()) return fail(ln, ids.status().message());
        d.ids = std::move(ids.value());
        d.kind = DirectiveKind::kUpdateTargetById;
      } else {
        d.name = rest[0].text;
        d.kind = DirectiveKind::kUpdateTargetByTag;
      }
      auto t = parseTargets(rest[1].text);
      if (!t.isOk()) return fail(ln, t.status().message());
      d.targets = std::move(t.value());
      out_.push_back(std::move(d));
      return Status::success();
    }
    if (equalsIgnoreCase(dname, "SecRuleUpdateActionById")) {
      SG_RETURN_IF_ERROR(nargs(2, 2, "ID \"ACTIONS\""));
      if (rest[0].text.find(':') != std::string::npos) {
        return fail(ln, "SecRuleUpdateActionById on a chained rule (ID:offset) is not supported");
      }
      auto ids = parseIdRanges(rest[0].text);
      if (!ids.isOk()) return fail(ln, ids.status().message());
      auto a = actionsOf(rest[1].text);
      if (!a.isOk()) return a.status();
      if (a->id || a->phase) return fail(ln, "SecRuleUpdateActionById may not change id or phase");
      d.kind = DirectiveKind::kUpdateActionById;
      d.ids = std::move(ids.value());
      d.actions = std::move(a.value());
      out_.push_back(std::move(d));
      return Status::success();
    }
    for (auto s : kSettings) {
      if (equalsIgnoreCase(s, dname)) {
        SG_RETURN_IF_ERROR(nargs(1, 1000, "a value"));
        d.kind = DirectiveKind::kSetting;
        d.name = std::string(s);
        for (size_t i = 0; i < rest.size(); ++i) {
          if (i) d.value += ' ';
          d.value += rest[i].text;
        }
        out_.push_back(std::move(d));
        return Status::success();
      }
    }
    return fail(ln, "unknown directive " + dname);
  }

  Status addRule(std::unique_ptr<Rule> rule, Directive d) {
    Rule* raw = rule.get();
    const Actions& a = rule->actions;
    const bool is_action = d.kind == DirectiveKind::kAction;
    if (is_action && a.chain) return fail(rule->where.line, "SecAction cannot start a chain");
    if (open_tail_ != nullptr) {
      // A chained rule: the chain starter holds id, phase, disruptive action and flow control.
      if (a.id || a.phase || a.disruptive != Disruptive::kNone || !a.skip_after.empty() ||
          a.skip != 0) {
        return fail(rule->where.line,
                    "a chained rule may not hold id, phase, a disruptive action, skip or "
                    "skipAfter (they belong to the chain's first rule)");
      }
      open_tail_->chained = std::move(rule);
    } else {
      if (!a.id) return fail(rule->where.line, "rule has no id action");
      if (!is_action) d.kind = DirectiveKind::kRule;
      d.rule = std::move(rule);
      out_.push_back(std::move(d));
    }
    if (raw->actions.chain) {
      open_tail_ = raw;
    } else {
      open_tail_ = nullptr;
    }
    return Status::success();
  }

  std::string_view text_;
  std::string_view file_;
  std::vector<Directive> out_;
  Rule* open_tail_ = nullptr;  // last rule of an open chain (owned by out_)
};

}  // namespace

Result<std::vector<Directive>> parseSecLang(std::string_view text, std::string_view file_name) {
  return Reader(text, file_name).run();
}

}  // namespace shipgate::managed
