#include "shipgate/flags/flag_definitions.h"

#include <set>

#include "shipgate/flags/json_logic.h"

namespace shipgate::flags {
namespace {

using json = nlohmann::json;

// RFC 6901: "~" -> "~0", "/" -> "~1".
std::string escapePointer(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string typeOf(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "a number";
  }
}

std::optional<FlagType> typeOfVariant(const json& v) {
  if (v.is_boolean()) return FlagType::kBoolean;
  if (v.is_string()) return FlagType::kString;
  if (v.is_number()) return FlagType::kNumber;
  if (v.is_object()) return FlagType::kObject;
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(ParsedDefinitions& out) : out_(out) {}

  void error(const std::string& flag, const std::string& pointer, std::string message) {
    if (out_.errors.size() < 100) out_.errors.push_back({flag, pointer, std::move(message)});
  }

  // Replaces every {"$ref": NAME} in `node` by the evaluator NAME (resolved in turn).
  bool resolve(const std::string& flag, const std::string& pointer, const json& evaluators,
               json& node, std::vector<std::string>& stack, int depth) {
    if (depth > kMaxDepth) {
      error(flag, pointer, "nested deeper than " + std::to_string(kMaxDepth));
      return false;
    }
    if (node.is_object()) {
      if (node.size() == 1 && node.contains("$ref")) {
        const json& name = node["$ref"];
        if (!name.is_string()) {
          error(flag, pointer + "/$ref", "must be a string naming an evaluator");
          return false;
        }
        const std::string n = name.get<std::string>();
        if (!evaluators.is_object() || !evaluators.contains(n)) {
          error(flag, pointer + "/$ref", "no evaluator \"" + n + "\" in $evaluators");
          return false;
        }
        if (std::find(stack.begin(), stack.end(), n) != stack.end()) {
          error(flag, pointer + "/$ref", "evaluator \"" + n + "\" refers to itself");
          return false;
        }
        json copy = evaluators[n];
        stack.push_back(n);
        bool ok = resolve(flag, "/$evaluators/" + escapePointer(n), evaluators, copy, stack,
                          depth + 1);
        stack.pop_back();
        node = std::move(copy);
        return ok;
      }
      if (node.size() == 1) {
        const std::string& op = node.begin().key();
        if (!isKnownOperator(op)) {
          error(flag, pointer + "/" + escapePointer(op), "unknown operator \"" + op + "\"");
          return false;
        }
      }
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!resolve(flag, pointer + "/" + escapePointer(it.key()), evaluators, it.value(), stack,
                     depth + 1)) {
          return false;
        }
      }
      return true;
    }
    if (node.is_array()) {
      for (size_t i = 0; i < node.size(); ++i) {
        if (!resolve(flag, pointer + "/" + std::to_string(i), evaluators, node[i], stack,
                     depth + 1)) {
          return false;
        }
      }
    }
    return true;
  }

  void flag(const std::string& key, const std::string& base, const json& f,
            const json& evaluators) {
    if (!validFlagKey(key)) {
      error(key, base,
            "a flag key is 1.." + std::to_string(kMaxKeyLength) +
                " of letters, digits, '_', '.', ':' and '-', starting with a letter or digit");
      return;
    }
    if (!f.is_object()) {
      error(key, base, "must be an object, not " + typeOf(f));
      return;
    }
    Flag out;
    out.key = key;
    bool ok = true;
    for (auto it = f.begin(); it != f.end(); ++it) {
      static const std::set<std::string> kKnown = {"state", "variants", "defaultVariant",
                                                   "targeting", "metadata"};
      if (!kKnown.count(it.key())) {
        error(key, base + "/" + escapePointer(it.key()),
              "unknown member (a flag has state, variants, defaultVariant, targeting, metadata)");
        ok = false;
      }
    }
    auto state = f.find("state");
    if (state == f.end()) {
      error(key, base + "/state", "missing (ENABLED or DISABLED)");
      ok = false;
    } else if (!state->is_string() || (*state != "ENABLED" && *state != "DISABLED")) {
      error(key, base + "/state", "must be \"ENABLED\" or \"DISABLED\", not " + state->dump());
      ok = false;
    } else {
      out.enabled = *state == "ENABLED";
    }
    auto variants = f.find("variants");
    if (variants == f.end()) {
      error(key, base + "/variants", "missing (an object of variant name -> value)");
      ok = false;
    } else if (!variants->is_object() || variants->empty()) {
      error(key, base + "/variants", "must be a non-empty object, not " + typeOf(*variants));
      ok = false;
    } else {
      std::optional<FlagType> type;
      std::string first;
      for (auto it = variants->begin(); it != variants->end(); ++it) {
        auto t = typeOfVariant(it.value());
        const std::string p = base + "/variants/" + escapePointer(it.key());
        if (!t) {
          error(key, p, "a variant is a boolean, string, number or object, not " +
                            typeOf(it.value()));
          ok = false;
        } else if (!type) {
          type = t;
          first = it.key();
        } else if (*type != *t) {
          error(key, p,
                "is " + std::string(flagTypeName(*t)) + " but variant \"" + first + "\" is " +
                    std::string(flagTypeName(*type)) + " (all variants have one type)");
          ok = false;
        }
      }
      if (type) out.type = *type;
      out.variants = *variants;
    }
    auto def = f.find("defaultVariant");
    if (def == f.end()) {
      error(key, base + "/defaultVariant", "missing (a variant name, or null for the code default)");
      ok = false;
    } else if (def->is_null()) {
      out.default_variant.reset();
    } else if (!def->is_string()) {
      error(key, base + "/defaultVariant", "must be a variant name or null, not " + typeOf(*def));
      ok = false;
    } else {
      out.default_variant = def->get<std::string>();
      if (variants != f.end() && variants->is_object() && !variants->contains(*def)) {
        std::string names;
        for (auto it = variants->begin(); it != variants->end(); ++it) {
          names += names.empty() ? "" : ", ";
          names += it.key();
        }
        error(key, base + "/defaultVariant",
              "\"" + *out.default_variant + "\" is not one of its variants (" + names + ")");
        ok = false;
      }
    }
    auto targeting = f.find("targeting");
    if (targeting != f.end() && !targeting->is_null()) {
      if (!targeting->is_object()) {
        error(key, base + "/targeting", "must be a JSON Logic object, not " + typeOf(*targeting));
        ok = false;
      } else if (!targeting->empty()) {
        json t = *targeting;
        std::vector<std::string> stack;
        if (!resolve(key, base + "/targeting", evaluators, t, stack, 0)) {
          ok = false;
        } else {
          out.targeting = std::move(t);
        }
      }
    }
    out.metadata = json::object();
    auto meta = f.find("metadata");
    if (meta != f.end()) {
      if (!meta->is_object()) {
        error(key, base + "/metadata", "must be an object, not " + typeOf(*meta));
        ok = false;
      } else {
        for (auto it = meta->begin(); it != meta->end(); ++it) {
          if (!it->is_string() && !it->is_number() && !it->is_boolean()) {
            error(key, base + "/metadata/" + escapePointer(it.key()),
                  "metadata values are strings, numbers or booleans, not " + typeOf(*it));
            ok = false;
          }
        }
        out.metadata = *meta;
      }
    }
    if (ok) out_.flags.push_back(std::move(out));
  }

 private:
  ParsedDefinitions& out_;
};

}  // namespace

std::string_view flagTypeName(FlagType t) {
  switch (t) {
    case FlagType::kBoolean: return "boolean";
    case FlagType::kString: return "string";
    case FlagType::kNumber: return "number";
    case FlagType::kObject: return "object";
  }
  return "?";
}

json Flag::toJson() const {
  json j = {{"state", enabled ? "ENABLED" : "DISABLED"}, {"variants", variants}};
  j["defaultVariant"] = default_variant ? json(*default_variant) : json(nullptr);
  if (!targeting.is_null()) j["targeting"] = targeting;
  if (metadata.is_object() && !metadata.empty()) j["metadata"] = metadata;
  return j;
}

bool Flag::operator==(const Flag& o) const { return key == o.key && toJson() == o.toJson(); }

std::string DefinitionError::toString() const {
  std::string out;
  if (!flag.empty()) out = "flag '" + flag + "' ";
  if (!pointer.empty()) out += "at " + pointer + ": ";
  return out + message;
}

bool validFlagKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) return false;
  if (!std::isalnum(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != ':' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

std::string lineColumn(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ":col " + std::to_string(col);
}

ParsedDefinitions parseDefinitions(std::string_view text, std::optional<std::string> single_key) {
  ParsedDefinitions out;
  if (text.size() > kMaxDocumentBytes) {
    out.errors.push_back({"", "", "more than the " + std::to_string(kMaxDocumentBytes) +
                                      " bytes a flag document may have"});
    return out;
  }
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // nlohmann's byte is 1-based and points just past the offending character.
    size_t at = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    if (auto p = what.find("syntax error"); p != std::string::npos) what = what.substr(p);
    out.errors.push_back({"", "", lineColumn(text, at) + ": not JSON: " + what});
    return out;
  } catch (const json::out_of_range&) {  // a number beyond a double: 1e999
    out.errors.push_back({"", "", "not JSON: a number is out of range"});
    return out;
  }
  return definitionsFromJson(doc, std::move(single_key));
}

ParsedDefinitions definitionsFromJson(const json& doc, std::optional<std::string> single_key) {
  ParsedDefinitions out;
  Parser p(out);
  if (single_key) {
    if (doc.is_object() && doc.contains("flags")) {
      p.error(*single_key, "", "give one flag's definition, not a document with \"flags\"");
      return out;
    }
    p.flag(*single_key, "", doc, json());
    return out;
  }
  if (!doc.is_object()) {
    p.error("", "", "a flag document is an object with \"flags\", not " + typeOf(doc));
    return out;
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "flags" && it.key() != "$evaluators" && it.key() != "$schema" &&
        it.key() != "metadata") {
      p.error("", "/" + escapePointer(it.key()),
              "unknown member (a document has flags, $evaluators, $schema, metadata)");
    }
  }
  auto flags = doc.find("flags");
  if (flags == doc.end() || !flags->is_object()) {
    p.error("", "/flags", "missing or not an object of flag key -> definition");
    return out;
  }
  if (flags->size() > kMaxFlags) {
    p.error("", "/flags", "more than " + std::to_string(kMaxFlags) + " flags");
    return out;
  }
  json evaluators = json::object();
  if (auto ev = doc.find("$evaluators"); ev != doc.end()) {
    if (!ev->is_object()) {
      p.error("", "/$evaluators", "must be an object of name -> JSON Logic");
    } else {
      evaluators = *ev;
    }
  }
  for (auto it = flags->begin(); it != flags->end(); ++it) {
    p.flag(it.key(), "/flags/" + escapePointer(it.key()), it.value(), evaluators);
  }
  if (!out.errors.empty()) out.flags.clear();
  return out;
}

Resolution flagNotFound(std::string_view key) {
  Resolution r;
  r.key = std::string(key);
  r.reason = "ERROR";
  r.error_code = "FLAG_NOT_FOUND";
  r.error_details = "flag '" + std::string(key) + "' was not found";
  return r;
}

Resolution evaluateFlag(const Flag& flag, const json& context, int64_t now_seconds) {
  Resolution r;
  r.key = flag.key;
  r.metadata = flag.metadata.is_object() ? flag.metadata : json::object();
  auto fail = [&](std::string code, std::string details) {
    r.value.reset();
    r.variant.clear();
    r.reason = "ERROR";
    r.error_code = std::move(code);
    r.error_details = std::move(details);
    return r;
  };
  auto pick = [&](const std::string& variant, std::string reason) {
    r.variant = variant;
    r.value = flag.variants[variant];
    r.reason = std::move(reason);
    return r;
  };
  auto fallback = [&](std::string reason) {
    r.reason = std::move(reason);
    if (flag.default_variant) return pick(*flag.default_variant, r.reason);
    return r;  // no value: the code default
  };
  if (!flag.enabled) {
    r.reason = "DISABLED";
    return r;
  }
  if (flag.targeting.is_null()) return fallback("STATIC");
  json data = context.is_object() ? context : json::object();
  data["$flagd"] = {{"flagKey", flag.key}, {"timestamp", now_seconds}};
  auto outcome = evaluateLogic(flag.targeting, LogicInput{&data, flag.key});
  if (!outcome.isOk()) return fail("GENERAL", outcome.status().message());
  const json& v = outcome->value;
  if (outcome->targeting_key_missing) {
    return fail("TARGETING_KEY_MISSING",
                "flag '" + flag.key + "' splits by targetingKey and the context has none");
  }
  if (v.is_null()) return fallback("DEFAULT");
  std::string name;
  if (v.is_string()) {
    name = v.get<std::string>();
  } else if (v.is_boolean()) {
    name = v.get<bool>() ? "true" : "false";
  } else {
    return fail("GENERAL", "flag '" + flag.key + "': the targeting answered " + v.dump() +
                               ", not a variant name");
  }
  if (!flag.variants.contains(name)) {
    return fail("GENERAL",
                "flag '" + flag.key + "': the targeting answered \"" + name +
                    "\", which is not one of its variants");
  }
  return pick(name, "TARGETING_MATCH");
}

}  // namespace shipgate::flags
